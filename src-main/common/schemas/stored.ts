/**
 * The shapes of the host's files (docs/host.md): conversations and their messages, the model registry, notices,
 * probe files. Strict: a key the app never writes means the file is not what it claims to be.
 */
import { z } from 'zod';
import { ErrorCodes } from '../errors';
import { DIFFICULTIES, type Difficulty } from '../probe/types';
import { auditSummarySchema, overheadCountsSchema, receiptSchema } from './receipts';
import { count, detailsSchema, effortLevelSchema, effortSchema, MAX_ID, MAX_PATH, nonEmpty, numIn, text } from './primitives';

/** Stored text is whatever the model wrote (up to maxTokens); the stored-file JSON limits bound it. */
const long = () => z.string();
const difficulty = z.enum(DIFFICULTIES as readonly Difficulty[] as [Difficulty, ...Difficulty[]]);
const perClass = <T extends z.ZodType>(v: T) => z.strictObject({ easy: v, normal: v, hard: v });
const iso = () => text(100);

export const ledgerSchema = z.strictObject({
  visible: count(), thinking: count(), prompt: count(), cached: count(),
  overhead: overheadCountsSchema,
  billed: count(), sequential: count(),
});

export const errorPayloadSchema = z.strictObject({
  code: z.enum(ErrorCodes),
  message: long(),
  details: detailsSchema.optional(),
});

export const difficultyInfoSchema = z.strictObject({
  difficulty,
  probabilities: perClass(z.number()).nullable(),
  expectedThinkingTokens: z.number(),
  source: z.enum(['probe', 'fallback']),
  probeTokens: z.number(),
});

const concreteStrategy = z.enum(['long', 'budget', 'early-exit', 'short-m@k', 'pdr']);

/**
 * A model manifest's `effort` (common/controller/effort.ts ManifestEffort): the levels it honours, how to ask for
 * each, its default level and each level's thinking share of high's.
 */
export const manifestEffortSchema = z.strictObject({
  levels: z.strictObject({
    low: z.strictObject({ systemLine: nonEmpty(1000) }),
    medium: z.strictObject({ systemLine: nonEmpty(1000) }),
    high: z.strictObject({ systemLine: nonEmpty(1000) }),
  }).partial().refine((l) => Object.keys(l).length > 0, { error: 'must declare at least one of low, medium, high' }),
  default: effortLevelSchema,
  thinkingShare: z.strictObject({
    low: numIn(0, 1, 'must be 0..1'), medium: numIn(0, 1, 'must be 0..1'), high: numIn(0, 1, 'must be 0..1'),
  }).partial(),
}).refine((e) => e.levels[e.default] !== undefined, { error: 'must be one of the declared levels', path: ['default'] })
  .refine((e) => Object.keys(e.thinkingShare).every((k) => k in e.levels), { error: 'names a level that is not declared', path: ['thinkingShare'] });

export const planSchema = z.strictObject({
  requested: z.enum(['auto', 'long', 'budget', 'early-exit', 'short-m@k', 'pdr']),
  strategy: concreteStrategy,
  difficulty,
  effort: effortSchema,
  // Conversations stored before effort levels have neither field: the turn ran without a level.
  effortLevel: effortLevelSchema.nullable().default(null),
  effortControl: z.enum(['manifest', 'gpt-oss', 'qwen3']).nullable().default(null),
  expectedThinkingTokens: z.number(),
  thinkingBudget: z.number().nullable(),
  systemPrompt: long(),
  temperature: z.number(),
  earlyExitThreshold: z.number().nullable(),
  trialTokens: z.number(),
  earlyExitStart: z.number(),
  earlyExitAt: z.enum(['step', 'result']).optional(),
  sampling: z.strictObject({ k: z.number(), m: z.number() }).nullable(),
  rounds: z.array(z.number()).nullable(),
  kappa: z.number().nullable(),
  degraded: z.array(long()).optional(),
});

export const draftRecordSchema = z.strictObject({
  round: z.number(), index: z.number(), answer: long(), text: long(), tokens: z.number(),
  finished: z.boolean(), confidence: z.number(), winner: z.boolean(),
});

export const earlyExitRecordSchema = z.strictObject({
  trials: z.number(), fired: z.boolean(), atThinkingTokens: z.number(), confidence: z.number(),
});

/** Message.reliability (common/controller/reliability.ts); files from before it have none. */
export const reliabilitySchema = z.strictObject({
  level: z.enum(['reliable', 'unsure']),
  reasons: z.array(long()),
});

export const messageSchema = z.strictObject({
  id: text(MAX_ID),
  role: z.enum(['user', 'assistant']),
  parentId: text(MAX_ID).nullable().optional(),
  text: long(),
  thinking: long().optional(),
  thinkingMs: z.number().optional(),
  createdAt: iso(),
  modelId: text(MAX_ID).optional(),
  ledger: ledgerSchema.optional(),
  receipt: receiptSchema.optional(),
  receiptError: long().optional(),
  audit: auditSummarySchema.optional(),
  status: z.enum(['streaming', 'done', 'stopped', 'interrupted', 'error']).optional(),
  error: errorPayloadSchema.optional(),
  difficulty: difficultyInfoSchema.optional(),
  plan: planSchema.optional(),
  drafts: z.array(draftRecordSchema).optional(),
  workspaces: z.array(z.strictObject({ round: z.number(), text: long(), tokens: z.number() })).optional(),
  earlyExit: earlyExitRecordSchema.optional(),
  stopReason: z.enum(['eos', 'maxTokens', 'aborted']).optional(),
  latencyTokens: z.number().optional(),
  answeredNow: z.strictObject({ atThinkingTokens: z.number() }).optional(),
  reliability: reliabilitySchema.optional(),
  timings: z.strictObject({ loadMs: z.number(), timeToFirstTokenMs: z.number(), decodeMs: z.number(), tokensPerSecond: z.number() }).optional(),
  context: z.strictObject({ size: z.number().int().positive(), clampedFrom: z.number().int().positive().optional() }).optional(),
});

/** conversations/<id>.json (messageCount is refreshed on every save). */
export const conversationSchema = z.strictObject({
  id: text(MAX_ID),
  title: long(),
  createdAt: iso(),
  updatedAt: iso(),
  messageCount: z.number(),
  origin: z.literal('api').optional(),
  pinned: z.boolean().optional(),
  messages: z.array(messageSchema),
  leafId: text(MAX_ID).optional(),
  systemPrompt: long().optional(),
});

/** One entry of models.json: ModelInfo plus whether the user hid it and, for bundled files, their mtime. */
export const modelRecordSchema = z.strictObject({
  id: text(MAX_ID),
  /** As the engine's inspect read it: general.name, else the file name. models.list names a model after its file. */
  name: long(),
  metadataName: long().nullable().optional(),
  path: text(MAX_PATH),
  bundled: z.boolean(),
  sizeBytes: z.number(),
  sha256: text(200),
  architecture: long(),
  parameters: z.number().nullable(),
  quantization: long(),
  contextLength: z.number().nullable(),
  kvBytesPerToken: z.number().optional(),
  chatTemplate: long(),
  thinking: z.boolean(),
  addedAt: iso(),
  historyTurns: z.number().nullable().optional(),
  pdrWorkspace: z.enum(['candidates', 'summary']).optional(),
  effort: manifestEffortSchema.nullable().optional(),
  broken: z.strictObject({ reason: long(), at: iso(), fileSize: z.number(), fileMtimeMs: z.number() }).optional(),
  hidden: z.boolean().optional(),
  mtimeMs: z.number().optional(),
});
export type ModelRecord = z.output<typeof modelRecordSchema>;

export const modelsFileSchema = z.strictObject({ models: z.array(modelRecordSchema) });

export const noticeSchema = z.strictObject({
  id: text(MAX_ID),
  level: z.enum(['info', 'warning', 'error']),
  message: long(),
  createdAt: iso(),
});

export const noticesFileSchema = z.strictObject({ notices: z.array(noticeSchema) });

const dense = z.strictObject({ w: z.array(z.array(z.number())), b: z.array(z.number()) });

export const probeReportSchema = z.strictObject({
  mode: z.enum(['answer-key', 'agreement']),
  questions: z.number(),
  samplesPerQuestion: z.number(),
  train: z.number(),
  heldOut: z.number(),
  heldOutAccuracy: z.number(),
  majorityBaseline: z.number(),
  confusion: z.array(z.array(z.number())),
  lengthMae: z.number(),
  labelCounts: perClass(z.number()),
  perLabel: perClass(z.strictObject({ accuracy: z.number(), thinkingTokens: z.number() })),
  calibrationMs: z.number(),
  trainMs: z.number(),
  seed: z.number(),
  createdAt: iso(),
  earlyExit: perClass(z.strictObject({
    threshold: z.number().min(0).max(1).nullable(), questions: z.number(), fullAccuracy: z.number(), exitAccuracy: z.number(),
    exitRate: z.number(), thinkingShare: z.number(),
  })).optional(),
});

/** <userData>/probes/<sha256>.json or a shipped models/probes/*.probe.json; featureDim, layer and norm sizes checked together. */
export const probeFileSchema = z.strictObject({
  version: z.literal(1),
  modelSha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 hex digits' }),
  modelName: long(),
  featureDim: z.int().min(1),
  features: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('logit-sketch'), dim: z.int().min(1), seed: z.int() }),
    z.strictObject({ kind: z.literal('logit-subset'), ids: z.int().min(1).max(4096), seed: z.int(), maxScan: z.int().min(1).optional() }),
  ]).optional(),
  hiddenDim: z.int().min(1),
  weights: z.strictObject({ hidden: dense, classHead: dense, lengthHead: dense }),
  norms: z.strictObject({ mean: z.array(z.number()), std: z.array(z.number()), lengthMean: z.number(), lengthStd: z.number() }),
  thresholds: z.strictObject({ easyMin: z.number(), hardMax: z.number(), entropyHard: z.number() }),
  earlyExit: perClass(z.number().min(0).max(1).nullable()).optional(),
  report: probeReportSchema,
}).superRefine((f, ctx) => {
  const bad = (path: PropertyKey[], message: string): void => { ctx.addIssue({ code: 'custom', path, message }); };
  if (f.weights.hidden.w.length === 0 || f.weights.hidden.w[0]?.length !== f.featureDim) bad(['weights', 'hidden', 'w'], 'does not match featureDim');
  if (f.weights.classHead.w.length !== 3) bad(['weights', 'classHead', 'w'], 'must have 3 rows');
  if (f.weights.lengthHead.w.length !== 1) bad(['weights', 'lengthHead', 'w'], 'must have 1 row');
  if (f.norms.mean.length !== f.featureDim || f.norms.std.length !== f.featureDim) bad(['norms'], 'do not match featureDim');
  if (f.features?.kind === 'logit-sketch' && f.features.dim !== f.featureDim) bad(['features', 'dim'], 'does not match featureDim');
});

// ---- host-private files ----

/** threads-cache.json: the measured thread count per machine ("<cpu model> x<cores>"). */
export const threadCacheEntrySchema = z.strictObject({
  threads: z.number().int().min(1).max(1024),
  /** Decode speed per candidate thread count, tokens/s. */
  tokensPerSecond: z.record(z.string().max(8), z.number().finite()),
  measuredAt: iso(),
});
export const threadCacheFileSchema = z.record(z.string().max(500), threadCacheEntrySchema);

/** page-token.json: browser mode's page access token (`reckon serve`), kept so a restart keeps the page's URL. */
export const pageTokenFileSchema = z.strictObject({ version: z.literal(1), token: z.string().regex(/^[A-Za-z0-9_-]{16,200}$/) });

// Ed25519 JWKs: 32-byte d and x, 43 base64url characters each; other JWK members (ext, key_ops) are kept.
const b64url43 = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const publicJwk = z.looseObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: b64url43, d: z.never().optional() });
const privateJwk = z.looseObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: b64url43, d: b64url43 });

/** receipt-key.json: the install's Ed25519 receipt key pair as JWKs (the format of every install so far). */
export const receiptKeyFileSchema = z.strictObject({ version: z.literal(1), privateJwk, publicJwk })
  .refine((k) => k.publicJwk.x === k.privateJwk.x, { message: 'the public key does not belong to the private key', path: ['publicJwk', 'x'] });
