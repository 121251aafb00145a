/**
 * What the store reads back from disk, parsed by the stored-file schemas of common/schemas (stored-file limits,
 * strict shapes). A file that parses as JSON but has the wrong shape is treated like one that does not parse: set
 * aside, never half-used.
 */
import type { z } from 'zod';
import { parseStored, threadCacheEntrySchema, type ModelRecord, type StoredKind, type StoredValue } from '../../common/schemas';

export type { ModelRecord };

export type ModelsFile = StoredValue<'models'>;
export type ThreadCacheFile = StoredValue<'threadCache'>;
export type ThreadCacheEntry = z.output<typeof threadCacheEntrySchema>;
export type StoredReceiptKey = StoredValue<'receiptKey'>;

/** A `parse` function for `store.json`: the kind's schema; throws (saying why) on a wrong shape. */
export function stored<K extends StoredKind>(kind: K): (raw: unknown) => StoredValue<K> {
  return (raw) => {
    const r = parseStored(kind, raw);
    if (!r.ok) throw new Error(r.message);
    return r.value;
  };
}

/** A measurement the engine sent, checked like what the cache file holds. */
export function isThreadCacheEntry(v: unknown): v is ThreadCacheEntry {
  return threadCacheEntrySchema.safeParse(v).success;
}
