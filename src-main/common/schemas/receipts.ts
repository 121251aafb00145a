/**
 * Receipts and the audit protocol (docs/receipts.md, docs/audit-protocol.md): the signed receipt, a provider store,
 * an export, a challenge. Shapes only: what the values mean (hex lengths, counts that add up, the signature) is
 * the verifier's job, so a tampered receipt still gets a verdict that says what is wrong.
 */
import { z } from 'zod';
import { count, MAX_ID, MAX_TEXT, text } from './primitives';

const hexish = () => text(1024);
/** Base64 leaves and sketches grow with the hidden tokens (kilobytes per token); the JSON limits bound them. */
const bulk = () => z.string();

export const overheadCountsSchema = z.strictObject({ probe: count(), trial: count(), draft: count(), distill: count() });

const planSchema = z.strictObject({
  strategy: text(100),
  requested: text(100),
  effort: z.union([text(100), z.number()]),
  seed: z.number().nullable(),
  thinkingBudget: z.number().nullable(),
  trialTokens: z.number(),
  sampling: z.strictObject({ k: z.number(), m: z.number() }).nullable(),
  rounds: z.array(z.number()).max(1000).nullable(),
  drafts: z.number(),
});

export const receiptSchema = z.strictObject({
  version: z.union([z.literal(1), z.literal(2)]),
  turnId: text(MAX_ID),
  messageId: text(MAX_ID).optional(),
  conversationId: text(MAX_ID).optional(),
  chatTurnId: text(MAX_ID).nullable().optional(),
  questionSha256: hexish().optional(),
  answerSha256: hexish().optional(),
  tokenizerSha256: hexish().nullable().optional(),
  plan: planSchema.nullable().optional(),
  remote: z.strictObject({
    kind: text(100), model: text(500), build: text(200).nullable(),
    vocabSize: z.number().nullable(), params: z.number().nullable(), size: z.number().nullable(),
  }).optional(),
  systemPromptSha256: hexish().optional(),
  historySha256: hexish().optional(),
  modelSha256: hexish(),
  embeddingSpec: z.strictObject({
    scheme: z.literal('reckon-fp-1'),
    modelSha256: hexish(),
    tensor: text(200),
    dims: z.number(),
    vocabSize: z.number(),
    blockSize: z.number(),
    quantisation: z.strictObject({ kind: z.literal('int8-l2'), scale: z.literal(127) }),
    sketch: z.strictObject({ kind: z.literal('simhash-pm1'), bits: z.literal(128), seed: text(200) }),
  }),
  counts: z.strictObject({ thinking: z.number(), overhead: overheadCountsSchema, hidden: z.number() }),
  treeSize: z.number(),
  root: hexish(),
  blockSize: z.number(),
  blockCount: z.number(),
  sketchDigest: hexish(),
  createdAt: text(100),
  publicKey: hexish(),
  signature: hexish(),
});

export const receiptStoreSchema = z.strictObject({
  version: z.literal(1),
  receipt: receiptSchema,
  leaves: bulk(),
  sketches: bulk(),
});

const exportShape = {
  version: z.literal(1),
  kind: z.literal('reckon-receipt'),
  messageId: text(MAX_ID),
  conversationId: text(MAX_ID),
  question: text(MAX_TEXT),
  /** Answers may run to maxTokens (up to a million tokens). */
  answer: text(16 * MAX_TEXT),
  context: z.strictObject({
    systemPrompt: text(MAX_TEXT),
    history: z.array(z.strictObject({ role: z.enum(['system', 'user', 'assistant']), text: text(16 * MAX_TEXT) })).max(10_000),
  }).optional(),
  receipt: receiptSchema,
};

/** What receipts.get exports and receipts.audit takes. */
export const receiptExportSchema = z.strictObject({ ...exportShape, store: receiptStoreSchema.optional() });

/** <userData>/receipts/<messageId>.json: an export that always keeps its provider store. */
export const storedReceiptSchema = z.strictObject({ ...exportShape, store: receiptStoreSchema });

export const auditChallengeSchema = z.strictObject({
  version: z.literal(1),
  turnId: text(MAX_ID),
  root: hexish(),
  treeSize: z.int(),
  indices: z.array(z.int().min(0)).max(4096),
  nonce: hexish(),
}, { error: 'must be {version, turnId, root, treeSize, indices (at most 4096), nonce} (docs/audit-protocol.md)' });

export const auditSummarySchema = z.strictObject({
  ok: z.boolean(),
  at: text(100),
  sampleSize: z.number(),
  confidence: z.strictObject({ inflation: z.number(), probability: z.number() }),
  failed: z.array(text(200)).max(1000),
  via: text(2000),
});

/** An Ed25519 public key as users paste it: 64 hex digits (any case, spaces and colons ignored by the host). */
export const publicKeyTextSchema = z.string().min(64).max(200).regex(/^[0-9a-fA-F:\s]+$/, { error: 'must be an Ed25519 public key (64 hex digits)' });

/** <userData>/trusted-keys.json: keys the user pinned and remote issuers trusted on first use. */
export const trustedKeysFileSchema = z.strictObject({
  version: z.literal(1),
  keys: z.array(z.strictObject({
    publicKey: text(64),
    source: z.enum(['pinned', 'remote']),
    label: text(200).optional(),
    addedAt: text(100),
  })).max(10_000),
});
