/**
 * What the store reads back from disk, checked by the schemas of common/schemas (stored-file limits, strict
 * shapes). A file that parses but has the wrong shape is treated like one that does not parse: set aside, never
 * half-used. These guards keep Store's `#read(path, check)` signature.
 */
import { parseStored, settingsFromFile, type ModelRecord, type StoredKind } from '../../common/schemas';
import type { Conversation, Notice, Settings } from '../../common/types';

export type { ModelRecord };

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

export interface ModelsFile {
  models: ModelRecord[];
}

const is = <T>(kind: StoredKind) => (v: unknown): v is T => parseStored(kind, v).ok;

export const isConversation = is<Conversation>('conversation');
export const isModelsFile = is<ModelsFile>('models');
export const isNoticesFile = is<{ notices: Notice[] }>('notices');

/** Settings from a parsed file: known valid fields are kept, anything else falls back to the default. */
export function settingsFrom(v: unknown): Settings | null {
  return settingsFromFile(v);
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
