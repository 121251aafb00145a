/**
 * threads-cache.json: llama.cpp's measured thread count per machine. The engine measures (once, on the first
 * model it loads without a thread setting) and reports it in a `threads-measured` event; the host keeps it here
 * and hands it back in every init as `cachedThreads`, so the engine never writes a user-data file.
 */
import { availableParallelism, cpus } from 'node:os';
import type { JsonDoc, Store } from './Store';
import { isThreadCacheEntry, stored, type ThreadCacheEntry, type ThreadCacheFile } from './shapes';

export const THREAD_CACHE_FILE = 'threads-cache.json';

/** The cache key: CPU model and core count (the same machine with other hardware measures again). */
export function machineKey(): string {
  return `${cpus()[0]?.model.trim() ?? 'unknown cpu'} x${availableParallelism()}`;
}

export class ThreadCache {
  #all: ThreadCacheFile;

  private constructor(private readonly doc: JsonDoc<ThreadCacheFile>, all: ThreadCacheFile, private readonly key: string) {
    this.#all = all;
  }

  static async open(store: Store, key = machineKey()): Promise<ThreadCache> {
    const doc = store.json(THREAD_CACHE_FILE, {
      parse: stored('threadCache'),
      pretty: true,
      describe: (file, aside) => `The thread cache ${file} was unreadable and was set aside (as ${aside}); the thread count will be measured again on the next model load.`,
    });
    return new ThreadCache(doc, (await doc.read()) ?? {}, key);
  }

  /** This machine's cached thread count, or null (the engine then measures). */
  threads(): number | null {
    return this.#all[this.key]?.threads ?? null;
  }

  /** This machine's last measurement (threads and tokens/s per count tried), or null. */
  entry(): ThreadCacheEntry | null {
    const e = this.#all[this.key];
    return e ? structuredClone(e) : null;
  }

  /** Keeps a measurement in memory at once (a restarting engine gets it) and on disk. */
  record(measured: ThreadCacheEntry): Promise<void> {
    // What the engine sends (an event: more keys than an entry) is checked like what the file holds.
    const entry = { threads: measured.threads, tokensPerSecond: { ...measured.tokensPerSecond }, measuredAt: measured.measuredAt };
    if (!isThreadCacheEntry(entry)) return Promise.resolve();
    this.#all = { ...this.#all, [this.key]: entry };
    return this.doc.write(this.#all);
  }
}
