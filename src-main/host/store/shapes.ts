/**
 * Shape checks for what the store reads back from disk. A file that parses but has the wrong shape is
 * treated like one that does not parse: set aside, never half-used.
 */
import { defaultSettings } from '../../common/types';
import { controllerSettingsError } from '../../common/controller/defaults';
import type { Conversation, Message, ModelInfo, Notice, Settings } from '../../common/types';

export type Rec = Record<string, unknown>;

export function isRec(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isOptStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
const isOptNum = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isFinite(v));

const messageStatuses = ['streaming', 'done', 'stopped', 'interrupted', 'error'];

export function isMessage(v: unknown): v is Message {
  return isRec(v) && isStr(v['id']) && (v['role'] === 'user' || v['role'] === 'assistant') && isStr(v['text']) &&
    isStr(v['createdAt']) && isOptStr(v['thinking']) && isOptNum(v['thinkingMs']) && isOptStr(v['modelId']) &&
    (v['status'] === undefined || messageStatuses.includes(v['status'] as string)) &&
    (v['ledger'] === undefined || isRec(v['ledger'])) && (v['error'] === undefined || isRec(v['error']));
}

export function isConversation(v: unknown): v is Conversation {
  return isRec(v) && isStr(v['id']) && isStr(v['title']) && isStr(v['createdAt']) && isStr(v['updatedAt']) &&
    Array.isArray(v['messages']) && v['messages'].every(isMessage);
}

/** A model registry entry: ModelInfo plus whether the user hid it (bundled models are hidden, not deleted). */
export interface ModelRecord extends ModelInfo {
  hidden?: boolean;
  /** Bundled files: modification time when inspected; a replaced file of the same size is inspected again. */
  mtimeMs?: number;
}

export function isModelRecord(v: unknown): v is ModelRecord {
  return isRec(v) && isStr(v['id']) && isStr(v['name']) && isStr(v['path']) && typeof v['bundled'] === 'boolean' &&
    typeof v['sizeBytes'] === 'number' && isStr(v['sha256']) && isStr(v['architecture']) &&
    (v['parameters'] === null || typeof v['parameters'] === 'number') && isStr(v['quantization']) &&
    (v['contextLength'] === null || typeof v['contextLength'] === 'number') && isStr(v['chatTemplate']) &&
    typeof v['thinking'] === 'boolean' && isStr(v['addedAt']) && (v['hidden'] === undefined || typeof v['hidden'] === 'boolean') && (v['mtimeMs'] === undefined || typeof v['mtimeMs'] === 'number');
}

export interface ModelsFile {
  models: ModelRecord[];
}

export function isModelsFile(v: unknown): v is ModelsFile {
  return isRec(v) && Array.isArray(v['models']) && v['models'].every(isModelRecord);
}

export function isNotice(v: unknown): v is Notice {
  return isRec(v) && isStr(v['id']) && ['info', 'warning', 'error'].includes(v['level'] as string) &&
    isStr(v['message']) && isStr(v['createdAt']);
}

export function isNoticesFile(v: unknown): v is { notices: Notice[] } {
  return isRec(v) && Array.isArray(v['notices']) && v['notices'].every(isNotice);
}

/**
 * Checks one settings field; returns an error text or null. Shared by the store (reading settings.json)
 * and the router (settings.update), so both accept exactly the same values.
 */
export function settingsFieldError(key: string, v: unknown): string | null {
  switch (key) {
    case 'modelId': return v === null || isStr(v) ? null : 'modelId must be a string or null';
    case 'backend': return ['auto', 'cpu', 'cuda', 'vulkan', 'metal'].includes(v as string) ? null : 'backend must be auto, cpu, cuda, vulkan or metal';
    case 'threads': return v === null || (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 256) ? null : 'threads must be null or an integer 1..256';
    case 'systemPrompt': return isStr(v) && v.length <= 100_000 ? null : 'systemPrompt must be a string';
    case 'theme': return ['system', 'light', 'dark'].includes(v as string) ? null : 'theme must be system, light or dark';
    case 'maxTokens': return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1_000_000 ? null : 'maxTokens must be an integer >= 1';
    case 'temperature': return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 5 ? null : 'temperature must be a number 0..5';
    case 'controller': return controllerSettingsError(v);
    default: return `unknown setting '${key}'`;
  }
}

/** Settings from a parsed file: known valid fields are kept, anything else falls back to the default. */
export function settingsFrom(v: unknown): Settings | null {
  if (!isRec(v)) return null;
  const out: Settings = { ...defaultSettings };
  for (const key of Object.keys(defaultSettings) as (keyof Settings)[]) {
    if (key in v && settingsFieldError(key, v[key]) === null) (out as unknown as Rec)[key] = v[key];
  }
  return out;
}

/**
 * A `parse` function for `store.json` from a type guard: the shape checks above plug in where a schema's
 * `parse` will (common/schemas), both throw on a wrong shape.
 */
export function guard<T>(check: (v: unknown) => v is T, what: string): (raw: unknown) => T {
  return (raw) => {
    if (!check(raw)) throw new Error(`not ${what}`);
    return raw;
  };
}

/** receipts/<messageId>.json: the export (receipt, question, answer) plus the provider store the audits open. */
export interface StoredReceiptShape {
  version: 1;
  kind: 'reckon-receipt';
  messageId: string;
  conversationId: string;
  question: string;
  answer: string;
  receipt: Rec;
  store: { version: 1; receipt: Rec; leaves: string; sketches: string };
}

export function isStoredReceipt(v: unknown): v is StoredReceiptShape {
  if (!isRec(v) || v['version'] !== 1 || v['kind'] !== 'reckon-receipt') return false;
  if (!isStr(v['messageId']) || !isStr(v['conversationId']) || !isStr(v['question']) || !isStr(v['answer'])) return false;
  const st = v['store'];
  return isRec(v['receipt']) && isRec(st) && st['version'] === 1 && isRec(st['receipt']) && isStr(st['leaves']) && isStr(st['sketches']);
}

/** threads-cache.json: the measured thread count per machine ("<cpu model> x<cores>"). */
export interface ThreadCacheEntry {
  threads: number;
  /** Decode speed per candidate thread count, tokens/s. */
  tokensPerSecond: Record<string, number>;
  measuredAt: string;
}
export type ThreadCacheFile = Record<string, ThreadCacheEntry>;

export function isThreadCacheEntry(v: unknown): v is ThreadCacheEntry {
  return isRec(v) && Number.isInteger(v['threads']) && (v['threads'] as number) >= 1 && (v['threads'] as number) <= 1024 &&
    isRec(v['tokensPerSecond']) && Object.values(v['tokensPerSecond']).every((x) => typeof x === 'number' && Number.isFinite(x)) &&
    isStr(v['measuredAt']);
}

export function isThreadCacheFile(v: unknown): v is ThreadCacheFile {
  return isRec(v) && Object.values(v).every(isThreadCacheEntry);
}

/** receipt-key.json: an Ed25519 key pair as JWKs (the format of every install so far). */
export interface StoredReceiptKey {
  version: 1;
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
}

const isB64Url = (v: unknown, chars: number): boolean => isStr(v) && v.length === chars && /^[A-Za-z0-9_-]+$/.test(v);

export function isStoredReceiptKey(v: unknown): v is StoredReceiptKey {
  if (!isRec(v) || v['version'] !== 1) return false;
  const priv = v['privateJwk'];
  const pub = v['publicJwk'];
  // Ed25519: 32-byte d and x, 43 base64url characters each.
  return isRec(priv) && isRec(pub) && priv['kty'] === 'OKP' && priv['crv'] === 'Ed25519' && isB64Url(priv['d'], 43) &&
    isB64Url(priv['x'], 43) && pub['kty'] === 'OKP' && pub['crv'] === 'Ed25519' && pub['x'] === priv['x'] && pub['d'] === undefined;
}
