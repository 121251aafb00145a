/**
 * The API router: rejects unknown methods and malformed params with BAD_REQUEST, then dispatches.
 * Validators are small and hand-written (no schema dependency); they return the params typed.
 */
import { isApiMethod, type ApiMethod, type ApiParams, type ApiResult } from '../common/api';
import { ReckonError } from '../common/errors';
import type { Settings } from '../common/types';
import { isRec, settingsFieldError, type Rec } from './store/shapes';
import { StrategyNames, type StrategyName } from '../common/controller/types';

function bad(message: string): ReckonError {
  return new ReckonError('BAD_REQUEST', message);
}

/** Params must be an object with only the given keys (or absent when every key is optional). */
function obj(method: string, p: unknown, keys: readonly string[], optional = false): Rec {
  if (p === undefined || p === null) {
    if (optional) return {};
    throw bad(`${method}: params must be an object.`);
  }
  if (!isRec(p)) throw bad(`${method}: params must be an object.`);
  for (const k of Object.keys(p)) if (!keys.includes(k)) throw bad(`${method}: unknown parameter '${k}'.`);
  return p;
}

function str(method: string, p: Rec, key: string, opts: { optional?: boolean; nonEmpty?: boolean; max?: number } = {}): string | undefined {
  const v = p[key];
  if (v === undefined && opts.optional) return undefined;
  if (typeof v !== 'string') throw bad(`${method}: '${key}' must be a string.`);
  if (opts.nonEmpty && v.trim() === '') throw bad(`${method}: '${key}' must not be empty.`);
  if (v.length > (opts.max ?? 1_000_000)) throw bad(`${method}: '${key}' is too long.`);
  return v;
}

/** Validated params per method. */
export const validators: { [M in ApiMethod]: (p: unknown) => ApiParams<M> } = {
  'system.info': (p) => { obj('system.info', p, [], true); return undefined as never; },
  'system.notices': (p) => { obj('system.notices', p, [], true); return undefined as never; },
  'system.dismissNotice': (p) => {
    const o = obj('system.dismissNotice', p, ['id']);
    return { id: str('system.dismissNotice', o, 'id', { nonEmpty: true })! };
  },
  'settings.get': (p) => { obj('settings.get', p, [], true); return undefined as never; },
  'settings.update': (p) => {
    if (!isRec(p)) throw bad('settings.update: params must be an object.');
    for (const [k, v] of Object.entries(p)) {
      const err = settingsFieldError(k, v);
      if (err) throw bad(`settings.update: ${err}.`);
    }
    return p as Partial<Settings>;
  },
  'models.list': (p) => { obj('models.list', p, [], true); return undefined as never; },
  'models.import': (p) => {
    const o = obj('models.import', p, ['path']);
    return { path: str('models.import', o, 'path', { nonEmpty: true, max: 4096 })! };
  },
  'models.remove': (p) => ({ id: str('models.remove', obj('models.remove', p, ['id']), 'id', { nonEmpty: true })! }),
  'models.load': (p) => ({ id: str('models.load', obj('models.load', p, ['id']), 'id', { nonEmpty: true })! }),
  'conversations.list': (p) => {
    const o = obj('conversations.list', p, ['query'], true);
    const query = str('conversations.list', o, 'query', { optional: true, max: 1000 });
    return query === undefined ? {} : { query };
  },
  'conversations.get': (p) => ({ id: str('conversations.get', obj('conversations.get', p, ['id']), 'id', { nonEmpty: true })! }),
  'conversations.create': (p) => {
    const o = obj('conversations.create', p, ['title'], true);
    const title = str('conversations.create', o, 'title', { optional: true, max: 500 });
    return title === undefined ? {} : { title };
  },
  'conversations.rename': (p) => {
    const o = obj('conversations.rename', p, ['id', 'title']);
    return { id: str('conversations.rename', o, 'id', { nonEmpty: true })!, title: str('conversations.rename', o, 'title', { max: 500 })! };
  },
  'conversations.delete': (p) => ({ id: str('conversations.delete', obj('conversations.delete', p, ['id']), 'id', { nonEmpty: true })! }),
  'chat.send': (p) => {
    const m = 'chat.send';
    const o = obj(m, p, ['conversationId', 'text', 'modelId', 'modelPath', 'systemPrompt', 'maxTokens', 'effort', 'strategy', 'seed']);
    const out: ApiParams<'chat.send'> = { text: str(m, o, 'text', { nonEmpty: true })! };
    const conversationId = str(m, o, 'conversationId', { optional: true, nonEmpty: true });
    const modelId = str(m, o, 'modelId', { optional: true, nonEmpty: true });
    const modelPath = str(m, o, 'modelPath', { optional: true, nonEmpty: true, max: 4096 });
    const systemPrompt = str(m, o, 'systemPrompt', { optional: true });
    if (conversationId !== undefined) out.conversationId = conversationId;
    if (modelId !== undefined) out.modelId = modelId;
    if (modelPath !== undefined) out.modelPath = modelPath;
    if (modelId !== undefined && modelPath !== undefined) throw bad(`${m}: give modelId or modelPath, not both.`);
    if (systemPrompt !== undefined) out.systemPrompt = systemPrompt;
    if (o['maxTokens'] !== undefined) {
      const err = settingsFieldError('maxTokens', o['maxTokens']);
      if (err) throw bad(`${m}: ${err}.`);
      out.maxTokens = o['maxTokens'] as number;
    }
    const effort = o['effort'];
    if (effort !== undefined) {
      if (effort !== 'auto' && !(typeof effort === 'number' && Number.isFinite(effort) && effort >= 0 && effort <= 1)) throw bad(`${m}: 'effort' must be 'auto' or a number 0..1.`);
      out.effort = effort;
    }
    if (o['seed'] !== undefined) {
      if (!Number.isInteger(o['seed']) || (o['seed'] as number) < 0) throw bad(`${m}: 'seed' must be a non-negative integer.`);
      out.seed = o['seed'] as number;
    }
    if (o['strategy'] !== undefined) {
      if (!StrategyNames.includes(o['strategy'] as StrategyName)) throw bad(`${m}: 'strategy' must be one of ${StrategyNames.join(', ')}.`);
      out.strategy = o['strategy'] as StrategyName;
    }
    return out;
  },
  'chat.stop': (p) => ({ turnId: str('chat.stop', obj('chat.stop', p, ['turnId']), 'turnId', { nonEmpty: true })! }),
  'probe.calibrate': (p) => {
    const m = 'probe.calibrate';
    const o = obj(m, p, ['modelId', 'modelPath', 'perQuestion', 'questions', 'temperature', 'labelFree', 'seed'], true);
    const out: ApiParams<'probe.calibrate'> = {};
    const modelId = str(m, o, 'modelId', { optional: true, nonEmpty: true });
    const modelPath = str(m, o, 'modelPath', { optional: true, nonEmpty: true, max: 4096 });
    if (modelId !== undefined && modelPath !== undefined) throw bad(`${m}: give modelId or modelPath, not both.`);
    if (modelId !== undefined) out.modelId = modelId;
    if (modelPath !== undefined) out.modelPath = modelPath;
    const int = (k: 'perQuestion' | 'questions' | 'seed', lo: number, hi: number): void => {
      const v = o[k];
      if (v === undefined) return;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(`${m}: '${k}' must be a whole number in ${lo}..${hi}.`);
      out[k] = v;
    };
    int('perQuestion', 1, 64);
    int('questions', 4, 5000);
    int('seed', 0, 2 ** 31 - 1);
    if (o['temperature'] !== undefined) {
      const t = o['temperature'];
      if (typeof t !== 'number' || !(t > 0 && t <= 5)) throw bad(`${m}: 'temperature' must be a number in (0, 5].`);
      out.temperature = t;
    }
    if (o['labelFree'] !== undefined) {
      if (typeof o['labelFree'] !== 'boolean') throw bad(`${m}: 'labelFree' must be a boolean.`);
      out.labelFree = o['labelFree'];
    }
    return out;
  },
  'probe.status': (p) => {
    const o = obj('probe.status', p, ['modelId', 'modelPath'], true);
    const modelId = str('probe.status', o, 'modelId', { optional: true, nonEmpty: true });
    const modelPath = str('probe.status', o, 'modelPath', { optional: true, nonEmpty: true, max: 4096 });
    return { ...(modelId !== undefined ? { modelId } : {}), ...(modelPath !== undefined ? { modelPath } : {}) };
  },
  'probe.cancel': (p) => { obj('probe.cancel', p, [], true); return {}; },
  'receipts.get': (p) => {
    const o = obj('receipts.get', p, ['messageId', 'includeStore']);
    if (o['includeStore'] !== undefined && typeof o['includeStore'] !== 'boolean') throw bad("receipts.get: 'includeStore' must be a boolean.");
    return { messageId: str('receipts.get', o, 'messageId', { nonEmpty: true, max: 100 })!, ...(o['includeStore'] === true ? { includeStore: true } : {}) };
  },
  'receipts.challenge': (p) => {
    const o = obj('receipts.challenge', p, ['messageId', 'challenge']);
    const c = o['challenge'];
    if (!isRec(c) || !Array.isArray(c['indices']) || c['indices'].length > 4096 || !c['indices'].every((x) => Number.isSafeInteger(x) && (x as number) >= 0) ||
      typeof c['turnId'] !== 'string' || typeof c['root'] !== 'string' || typeof c['nonce'] !== 'string' || !Number.isSafeInteger(c['treeSize'])) {
      throw bad('receipts.challenge: challenge must be {version, turnId, root, treeSize, indices (at most 4096), nonce} (docs/audit-protocol.md).');
    }
    return { messageId: str('receipts.challenge', o, 'messageId', { nonEmpty: true, max: 100 })!, challenge: c as never };
  },
  'receipts.audit': (p) => {
    const m = 'receipts.audit';
    const o = obj(m, p, ['messageId', 'export', 'remote', 'publicKey']);
    const messageId = str(m, o, 'messageId', { optional: true, nonEmpty: true, max: 100 });
    const remote = str(m, o, 'remote', { optional: true, nonEmpty: true, max: 2000 });
    const publicKey = str(m, o, 'publicKey', { optional: true, nonEmpty: true, max: 200 });
    if (remote !== undefined && !/^https?:\/\//.test(remote)) throw bad(`${m}: 'remote' must be an http(s) URL.`);
    if (o['export'] !== undefined && (!isRec(o['export']) || !isRec(o['export']['receipt']))) throw bad(`${m}: 'export' must be a receipt export ({receipt, question, answer, ...}).`);
    if (messageId === undefined && o['export'] === undefined) throw bad(`${m}: give messageId or export.`);
    return {
      ...(messageId !== undefined ? { messageId } : {}), ...(remote !== undefined ? { remote } : {}),
      ...(publicKey !== undefined ? { publicKey } : {}), ...(o['export'] !== undefined ? { export: o['export'] as never } : {}),
    };
  },
};

export type Handlers = { [M in ApiMethod]: (p: ApiParams<M>) => Promise<ApiResult<M>> };

/** Builds call(method, params): validation first, then the handler. */
export function createRouter(handlers: Handlers): (method: unknown, params: unknown) => Promise<unknown> {
  return async (method, params) => {
    if (!isApiMethod(method)) throw bad(`Unknown method '${String(method).slice(0, 100)}'.`);
    const v = validators[method] as (p: unknown) => unknown;
    const h = handlers[method] as (p: unknown) => Promise<unknown>;
    return h(v(params));
  };
}
