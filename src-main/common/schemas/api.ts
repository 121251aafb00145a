/**
 * The schema table of the API: one params schema per method of ReckonApi (common/api.ts). The method list is
 * derived from it, and a type-level check below fails compilation when a schema and the interface drift apart.
 */
import { z } from 'zod';
import type { ApiMethod, ApiParams, ReckonApi } from '../api';
import { defaultJsonLimits, type JsonLimits } from './limits';
import { safeParseJson, type ParseResult } from './parse';
import { effortSchema, filePath, id, intIn, nonEmpty, numIn, strategySchema, text } from './primitives';
import { downloadsStartParams, hubConfigureParams, hubFilesParams, hubSearchParams } from './downloads';
import { auditChallengeSchema, publicKeyTextSchema, receiptExportSchema } from './receipts';
import { settingsPatchSchema } from './settings';
import { modelSettingsShape } from './modelSettings';
import { MAX_MODEL_SYSTEM_PROMPT } from '../modelSettings';

/** No params: absent, null or {}. */
const none = z.strictObject({}).nullable().optional().transform(() => undefined);

/** Optional params: absent or null read as absent; otherwise the object. */
const optional = <T extends z.ZodType>(s: T) => s.nullable().optional().transform((v) => v ?? undefined);

const byId = z.strictObject({ id: id() });
const seedSchema = z.int({ error: 'must be a non-negative integer' }).min(0, { error: 'must be a non-negative integer' });
const maxTokensSchema = intIn(1, 1_000_000, 'must be an integer 1..1000000');

/** modelId or modelPath, never both (chat.send, probe.*). */
const oneModel = (o: { modelId?: string; modelPath?: string }): boolean => o.modelId === undefined || o.modelPath === undefined;
const oneModelError = { error: 'give modelId or modelPath, not both' };

export const apiSchemas = {
  'system.info': none,
  'system.notices': none,
  'system.dismissNotice': byId,

  'settings.get': none,
  'settings.update': settingsPatchSchema,

  'models.list': none,
  'models.import': z.strictObject({ path: filePath() }),
  'models.remove': byId,
  'models.load': byId,
  'models.settings': byId,
  'models.updateSettings': z.strictObject({ id: id(), settings: modelSettingsShape }),
  'models.clearBroken': byId,

  'conversations.list': optional(z.strictObject({ query: text(1000).optional() })),
  'conversations.get': byId,
  'conversations.create': optional(z.strictObject({ title: text(500).optional() })),
  'conversations.rename': z.strictObject({ id: id(), title: text(500) }),
  'conversations.delete': byId,
  'conversations.pin': z.strictObject({ id: id(), pinned: z.boolean({ error: 'must be true or false' }) }),
  'conversations.deleteMessage': z.strictObject({ id: id(), messageId: id() }),
  'conversations.switchBranch': z.strictObject({ id: id(), messageId: id() }),
  'conversations.export': z.strictObject({ id: id(), format: z.enum(['markdown', 'json'], { error: "must be 'markdown' or 'json'" }) }),
  'conversations.setSystemPrompt': z.strictObject({ id: id(), systemPrompt: text(MAX_MODEL_SYSTEM_PROMPT) }),

  'chat.send': z.strictObject({
    conversationId: id().optional(),
    text: nonEmpty(),
    modelId: id().optional(),
    modelPath: filePath().optional(),
    systemPrompt: text().optional(),
    maxTokens: maxTokensSchema.optional(),
    effort: effortSchema.optional(),
    strategy: strategySchema.optional(),
    seed: seedSchema.optional(),
    temperature: numIn(0, 5, 'must be a number 0..5').optional(),
    topP: numIn(0, 1, 'must be a number 0..1').optional(),
    thinkingBudget: intIn(0, 1_000_000, 'must be an integer 0..1000000').optional(),
    history: z.array(z.strictObject({ role: z.enum(['user', 'assistant'], { error: 'must be user or assistant' }), text: text() })).max(1000).optional(),
    origin: z.literal('api', { error: "must be 'api'" }).optional(),
    parentId: id().nullable().optional(),
  }).refine(oneModel, oneModelError)
    .refine((p) => p.history === undefined || p.conversationId === undefined, { error: 'history is only for a new conversation (no conversationId)' }),
  'chat.stop': z.strictObject({ turnId: id() }),
  'chat.answerNow': z.strictObject({ turnId: id() }),
  'chat.regenerate': z.strictObject({
    conversationId: id(),
    messageId: id(),
    modelId: id().optional(),
    maxTokens: maxTokensSchema.optional(),
    effort: effortSchema.optional(),
    strategy: strategySchema.optional(),
    seed: seedSchema.optional(),
  }),

  'probe.calibrate': optional(z.strictObject({
    modelId: id().optional(),
    modelPath: filePath().optional(),
    perQuestion: intIn(1, 64).optional(),
    // MIN_CALIBRATION_QUESTIONS (host/services/ProbeService.ts): fewer leave too few held out to judge a probe.
    questions: intIn(24, 5000, 'must be a whole number 24..5000: a calibration needs at least 24 questions to hold enough out to judge the probe').optional(),
    temperature: numIn(0, 5, 'must be a number in (0, 5]').refine((t) => t > 0, { error: 'must be a number in (0, 5]' }).optional(),
    labelFree: z.boolean().optional(),
    seed: intIn(0, 2 ** 31 - 1).optional(),
  }).refine(oneModel, oneModelError)),
  'probe.status': optional(z.strictObject({ modelId: id().optional(), modelPath: filePath().optional() })),
  'probe.restore': optional(z.strictObject({ modelId: id().optional(), modelPath: filePath().optional() }).refine(oneModel, oneModelError)),
  'probe.cancel': optional(z.record(z.string(), z.never())),

  'hub.search': hubSearchParams,
  'hub.files': hubFilesParams,
  'hub.config': none,
  'hub.configure': hubConfigureParams,
  'downloads.start': downloadsStartParams,
  'downloads.list': none,
  'downloads.pause': byId,
  'downloads.resume': byId,
  'downloads.cancel': byId,

  'receipts.get': z.strictObject({ messageId: nonEmpty(100), includeStore: z.boolean().optional() }),
  'receipts.challenge': z.strictObject({ messageId: nonEmpty(100), challenge: auditChallengeSchema }),
  'receipts.audit': z.strictObject({
    messageId: nonEmpty(100).optional(),
    export: receiptExportSchema.optional(),
    remote: nonEmpty(2000).regex(/^https?:\/\//, { error: 'must be an http(s) URL' }).optional(),
    publicKey: nonEmpty(200).optional(),
    trust: z.array(publicKeyTextSchema).max(100).optional(),
  }).refine((p) => p.messageId !== undefined || p.export !== undefined, { error: 'give messageId or export' }),
  'receipts.replay': z.strictObject({
    messageId: nonEmpty(100).optional(),
    export: receiptExportSchema.optional(),
    remote: nonEmpty(2000).regex(/^https?:\/\//, { error: 'must be an http(s) URL' }).optional(),
  }).refine((p) => p.messageId !== undefined || p.export !== undefined, { error: 'give messageId or export' }),
  'receipts.trustedKeys': optional(z.record(z.string(), z.never())),
  'receipts.trustKey': z.strictObject({ publicKey: publicKeyTextSchema, label: nonEmpty(200).optional() }),
  'receipts.untrustKey': z.strictObject({ publicKey: publicKeyTextSchema }),

  'api.key': none,
  'api.rotateKey': none,
  'api.status': none,
  'engine.test': z.strictObject({
    url: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).max(2000, { error: 'must be at most 2000 characters' }),
    apiKey: z.string({ error: 'must be a string' }).max(1000, { error: 'must be at most 1000 characters' }).optional(),
  }),
  'page.rotateToken': none,
} satisfies { [M in keyof ReckonApi]: z.ZodType };

/** Every method, in the table's order. */
export const ApiMethods = Object.keys(apiSchemas) as readonly ApiMethod[];

export function isApiMethod(m: unknown): m is ApiMethod {
  return typeof m === 'string' && Object.hasOwn(apiSchemas, m);
}

/**
 * Methods whose params may carry more than the default JSON limits: an export with its provider store holds every
 * leaf (kilobytes per hidden token) in two strings; the export's schema bounds every other string.
 */
export const apiLimits: { readonly [M in ApiMethod]?: Readonly<JsonLimits> } = {
  'receipts.audit': { ...defaultJsonLimits, maxString: 2 ** 29, maxTotalString: 2 ** 30 },
  'receipts.replay': { ...defaultJsonLimits, maxString: 2 ** 29, maxTotalString: 2 ** 30 },
};

/** Parses one call's params; the message starts with the method ("settings.update: threads must be ..."). */
export function parseApiParams<M extends ApiMethod>(method: M, params: unknown): ParseResult<ApiParams<M>> {
  const r = safeParseJson(apiSchemas[method] as z.ZodType, params, { topKey: method === 'settings.update' ? 'setting' : 'parameter', limits: apiLimits[method] });
  return r.ok ? { ok: true, value: r.value as ApiParams<M> } : { ok: false, message: `${method}: ${r.message}.` };
}

// ---- the schemas agree with ReckonApi (compile-time only) ----

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Schema<M extends ApiMethod> = (typeof apiSchemas)[M];
/** Same params type (absent aside), and the schema accepts absent params exactly when the interface does. */
type Agrees<M extends ApiMethod> =
  Equals<Exclude<z.output<Schema<M>>, undefined>, Exclude<ApiParams<M>, undefined>> extends true
    ? (undefined extends ApiParams<M> ? true : false) extends (undefined extends z.input<Schema<M>> ? true : false) ? true : false
    : false;
type Drifted = { [M in ApiMethod]: Agrees<M> extends true ? never : M }[ApiMethod];
type NoneDrifted<T extends never> = T;
/** A compile error here names the methods whose schema no longer matches ReckonApi. */
export type SchemasMatchApi = NoneDrifted<Drifted>;
