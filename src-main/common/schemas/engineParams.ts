/**
 * One schema per engine method's params (common/engineProtocol.ts): the engine process parses what the host sends
 * with the same building blocks as the API (effort, strategy and controller settings are defined once, in
 * primitives.ts and controller.ts). The host is the engine's only caller, so objects are loose: known fields are
 * checked, fields a newer host adds pass through.
 */
import { z } from 'zod';
import type { EngineMethod } from '../engineProtocol';
import { controllerSettingsSchema } from './controller';
import { effortSchema, filePath, id, intIn, numIn, strategySchema, text } from './primitives';
import { difficultyInfoSchema, manifestEffortSchema } from './stored';

const backend = z.enum(['auto', 'cpu', 'cuda', 'vulkan', 'metal']);
const threads = z.int().min(1).max(1024).nullable();
const historyItem = z.looseObject({ role: z.enum(['system', 'user', 'assistant']), text: text() });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lower-case hex digits' });

const generate = z.looseObject({
  requestId: id(),
  chatKey: id(),
  modelPath: filePath(),
  systemPrompt: text(),
  history: z.array(historyItem).max(10_000),
  question: text(),
  maxTokens: intIn(1, 1_000_000),
  temperature: numIn(0, 5),
  topP: numIn(0, 1).optional(),
  topK: intIn(0, 1000).optional(),
  minP: numIn(0, 1).optional(),
  repeatPenalty: numIn(1, 2).optional(),
  stop: z.array(text(200)).max(16).optional(),
  contextSize: intIn(256, 1_048_576).optional(),
  thinkingBudget: z.int().min(0).nullable().optional(),
  seed: z.int().min(0).optional(),
  strategy: strategySchema.optional(),
  effort: effortSchema.optional(),
  controller: controllerSettingsSchema.optional(),
  difficulty: difficultyInfoSchema.nullable().optional(),
  pdrWorkspace: z.enum(['candidates', 'summary']).optional(),
  manifestEffort: manifestEffortSchema.nullable().optional(),
  probePath: filePath().nullable().optional(),
  receipt: z.looseObject({ modelSha256: sha256 }).nullable().optional(),
});

const calibrationQuestion = z.looseObject({
  id: id(),
  question: text().min(1),
  answer: text().nullable(),
  tier: text(200),
  kind: z.enum(['number', 'word', 'list', 'text']).optional(),
});

const calibrate = z.looseObject({
  requestId: id(),
  modelPath: filePath(),
  modelSha256: sha256,
  modelName: text(1000).min(1),
  questions: z.array(calibrationQuestion).min(2).max(20_000),
  perQuestion: intIn(1, 64),
  temperature: z.number().gt(0).max(5),
  maxTokens: intIn(1, 32768),
  labelFree: z.boolean(),
  heldOutShare: numIn(0, 0.9),
  seed: intIn(0, 2 ** 31 - 1),
  featureSystemPrompt: text().optional(),
});

const none = z.looseObject({}).optional();

export const engineSchemas = {
  init: z.looseObject({ backend, threads, cachedThreads: threads.optional() }),
  inspect: z.looseObject({ path: filePath() }),
  load: z.looseObject({ modelPath: filePath() }),
  generate,
  abort: z.looseObject({ requestId: id() }),
  answerNow: z.looseObject({ requestId: id() }),
  calibrate,
  info: none,
  embeddingRows: z.looseObject({
    modelPath: filePath(),
    ids: z.array(z.int().min(0)).max(65_536),
    texts: z.array(text()).max(64).optional(),
    centre: z.boolean().optional(),
  }),
  teacherForce: z.looseObject({
    modelPath: filePath(),
    systemPrompt: text(),
    history: z.array(historyItem).max(10_000),
    question: text(),
    tokens: z.array(z.int().min(0)).max(262_144),
    topK: intIn(1, 1000),
  }),
  crash: none,
} satisfies { [M in EngineMethod]: z.ZodType };
