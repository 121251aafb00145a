/**
 * The one way the host writes and reads a user-data file.
 *
 * Writing: the text goes to a temp file in the same folder (same file system, so the rename is atomic), is
 * fsynced, then renamed over the target. A reader therefore sees the old file or the new one, never a torn mix,
 * and a crash at any point leaves the old file in place (plus at most a stray `.<name>.<pid>.<n>.tmp`).
 * Writes to one path are serialised; a write that arrives while another runs replaces any write still queued
 * behind it (the latest data wins, every caller's promise settles when data at least as new is on disk), so a
 * conversation persisted while it streams never queues up stale copies.
 *
 * Reading: `readJson` tells "missing", "parsed" and "corrupt" apart; the Store turns "corrupt" into a set-aside
 * file and a notice.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface WriteOptions {
  /** File mode for a newly created file (the temp file is created with it, the rename keeps it). */
  mode?: number;
}

interface Slot {
  /** Data waiting behind the running write; replaced by newer data. */
  queued: { text: string; mode: number | undefined; waiters: { resolve: () => void; reject: (e: unknown) => void }[] } | null;
}

let tempSeq = 0;

/** Renames can fail transiently on Windows while another process (an indexer, a virus scanner) holds the file. */
const retryable = new Set(['EPERM', 'EACCES', 'EBUSY']);

async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (attempt >= 9 || !retryable.has(code)) throw err;
      await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
    }
  }
}

/** One atomic replace of `path` with `text`: temp file in the same folder, fsync, rename. */
export async function writeFileAtomic(path: string, text: string, o: WriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${tempSeq++}.tmp`);
  const fh = await open(tmp, 'wx', o.mode ?? 0o666);
  try {
    try {
      await fh.writeFile(text, 'utf8');
      // Without the fsync a power cut after the rename could leave an empty file under the new name.
      await fh.sync();
    } finally {
      await fh.close();
    }
    await renameWithRetry(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Serialises atomic writes per path, coalescing queued ones. One instance per Store. */
export class AtomicWriter {
  readonly #slots = new Map<string, Slot>();
  /** The promise of the newest write per path: it settles once that path is idle. */
  readonly #tails = new Map<string, Promise<void>>();

  write(path: string, text: string, o: WriteOptions = {}): Promise<void> {
    let p: Promise<void>;
    const slot = this.#slots.get(path);
    if (slot === undefined) {
      const fresh: Slot = { queued: null };
      this.#slots.set(path, fresh);
      p = this.#run(path, fresh, text, o.mode);
    } else {
      slot.queued ??= { text, mode: o.mode, waiters: [] };
      slot.queued.text = text;
      slot.queued.mode = o.mode;
      const waiters = slot.queued.waiters;
      p = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
    }
    this.#tails.set(path, p);
    void p.catch(() => undefined).finally(() => {
      if (this.#tails.get(path) === p) this.#tails.delete(path);
    });
    return p;
  }

  /** Resolves when no write to `path` is running or queued (errors are the writers' to report). */
  async idle(path: string): Promise<void> {
    let t = this.#tails.get(path);
    while (t !== undefined) {
      await t.catch(() => undefined);
      // Another round only when a newer write arrived meanwhile (not for the settled one still listed).
      const next = this.#tails.get(path);
      t = next === t ? undefined : next;
    }
  }

  /** Resolves when every path is idle. */
  async flush(): Promise<void> {
    await Promise.all([...this.#tails.keys()].map((path) => this.idle(path)));
  }

  async #run(path: string, slot: Slot, text: string, mode: number | undefined): Promise<void> {
    try {
      await writeFileAtomic(path, text, { mode });
    } finally {
      const next = slot.queued;
      slot.queued = null;
      if (next === null) this.#slots.delete(path);
      else {
        void this.#run(path, slot, next.text, next.mode).then(
          () => next.waiters.forEach((w) => w.resolve()),
          (err: unknown) => next.waiters.forEach((w) => w.reject(err)),
        );
      }
    }
  }
}

export type ReadOutcome =
  | { state: 'missing' }
  | { state: 'parsed'; value: unknown }
  /** Not JSON, not text, or not a file: the caller sets it aside. */
  | { state: 'corrupt'; why: string };

/** Reads and JSON-parses one file. Errors other than "missing" and "corrupt" (EMFILE, EIO ...) are thrown. */
export async function readJson(path: string): Promise<ReadOutcome> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'missing' };
    if (code === 'EISDIR') return { state: 'corrupt', why: 'it is a folder, not a file' };
    throw err;
  }
  try {
    return { state: 'parsed', value: JSON.parse(text) as unknown };
  } catch (err) {
    return { state: 'corrupt', why: text.trim() === '' ? 'it is empty' : `it is not valid JSON (${(err as Error).message})` };
  }
}
