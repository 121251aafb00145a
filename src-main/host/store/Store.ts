/**
 * The host's user-data files, all under userDataDir and all written and read through one atomic JSON writer
 * (atomicJson.ts: temp file in the same folder, fsync, rename; serialised per path):
 *   settings.json, models.json, notices.json, conversations/<id>.json (one file per conversation),
 *   receipts/<messageId>.json, probes/<sha256>.json (+ .records.json), receipt-key.json, threads-cache.json;
 *   and, while a turn streams, its append-only journal conversations/<id>.<messageId>.journal (StreamJournal.ts).
 * A file that does not parse, or parses into the wrong shape, is renamed aside (<name>.corrupt-<timestamp>)
 * and reported as a Notice; everything else keeps working.
 * Each document is a lowdb `Low` over a `StoreAdapter`: lowdb keeps the document API, the adapter adds what
 * lowdb's own JSONFile lacks (fsync before the rename, shape checks, set-aside with a notice).
 */
import { copyFile, lstat, mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { ReckonError } from '../../common/errors';
import type { Conversation, Notice, Settings } from '../../common/types';
import { defaultSettings } from '../../common/types';
import { Low, type Adapter } from 'lowdb';
import { AtomicWriter, readJson } from './atomicJson';
import { StreamJournal, type StreamJournalOptions } from './StreamJournal';
import { settingsFromFile } from '../../common/schemas';
import { stored, type ModelRecord } from './shapes';

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;
const journalSuffix = '.journal';
/** One path segment of a document: letters, digits and . _ - (no leading dot, so never a temp or hidden file). */
const segmentPattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

export interface JsonDocOptions<T> {
  /** Validates what was read and returns it typed; throws (any error) when the shape is wrong. */
  parse: (raw: unknown) => T;
  /** Notice text when the file is set aside; `file` and `aside` are base names. */
  describe?: (file: string, aside: string) => string;
  /** Mode of a newly created file (the receipt key is 0600). */
  mode?: number;
  /** Indented JSON, for files a person may read (settings, registry); receipts and probes are compact. */
  pretty?: boolean;
}

export type DocRead<T> =
  | { state: 'ok'; value: T }
  | { state: 'missing' }
  /** The file was corrupt or had the wrong shape: it now lies at `aside` and a notice says so. */
  | { state: 'set-aside'; aside: string; why: string };

/** One user-data JSON file with its shape. Get one from `store.json(...)`. */
export interface JsonDoc<T> {
  readonly path: string;
  /** The value; null when the file is missing or was set aside just now. */
  read(): Promise<T | null>;
  /** Like read, but says which of ok / missing / set-aside happened. */
  readDetailed(): Promise<DocRead<T>>;
  write(value: T): Promise<void>;
  /** Removes the file after any pending write to it; a missing file is fine. */
  delete(): Promise<void>;
  /**
   * Sets the file aside with a notice although it parsed: for checks `parse` cannot make (the key file's JWK
   * that the crypto library refuses). Returns the aside name, or null when the file was not there.
   */
  setAside(): Promise<string | null>;
}

const defaultDescribe = (file: string, aside: string): string =>
  `${file} was unreadable and was set aside (as ${aside}); defaults are used instead.`;

export class Store {
  readonly conversationsDir: string;
  readonly #writer = new AtomicWriter();
  #notices: Notice[] = [];
  #noticeSeq = 0;

  private constructor(readonly dir: string) {
    this.conversationsDir = join(dir, 'conversations');
  }

  static async open(dir: string): Promise<Store> {
    const s = new Store(dir);
    await mkdir(s.conversationsDir, { recursive: true });
    s.#notices = (await s.#noticesDoc().read())?.notices ?? [];
    return s;
  }

  /**
   * A typed document at `relativePath` under the data folder (segments joined by '/'). Every read goes through
   * `parse`; a file that fails it is set aside with a notice and reads as missing.
   */
  json<T>(relativePath: string, o: JsonDocOptions<T>): JsonDoc<T> {
    const segments = relativePath.split('/');
    if (!segments.every((x) => segmentPattern.test(x) && x !== '..' && x !== '.')) {
      throw new ReckonError('BAD_REQUEST', `Invalid store path '${relativePath}'.`);
    }
    const path = join(this.dir, ...segments);
    const describe = o.describe ?? defaultDescribe;
    const readDetailed = async (): Promise<DocRead<T>> => {
      let r;
      try {
        r = await readJson(path);
      } catch (err) {
        throw new ReckonError('IO_ERROR', `Cannot read ${path}: ${(err as Error).message}`);
      }
      if (r.state === 'missing') return r;
      let why = r.state === 'corrupt' ? r.why : '';
      if (r.state === 'parsed') {
        try {
          return { state: 'ok', value: o.parse(r.value) };
        } catch (err) {
          why = `it has the wrong shape (${(err as Error)?.message ?? String(err)})`;
        }
      }
      const aside = await this.#setAside(path, describe);
      return { state: 'set-aside', aside, why };
    };
    // lowdb's Low is the document; its adapter reads through the shape check and writes through the atomic writer.
    const adapter: Adapter<T> = {
      read: async () => {
        const r = await readDetailed();
        return r.state === 'ok' ? r.value : null;
      },
      write: (value) => this.#write(path, value, o),
    };
    return {
      path,
      readDetailed,
      read: async () => {
        const db = new Low<T | null>(adapter as Adapter<T | null>, null);
        await db.read();
        return db.data;
      },
      write: async (value) => {
        const db = new Low<T>(adapter, value);
        await db.write();
      },
      delete: async () => {
        await this.#writer.idle(path);
        await unlink(path).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw new ReckonError('IO_ERROR', `Cannot delete ${path}: ${err.message}`);
        });
      },
      setAside: async () => ((await exists(path)) ? this.#setAside(path, describe) : null),
    };
  }

  // ---- notices ----

  notices(): Notice[] {
    return this.#notices.map((n) => ({ ...n }));
  }

  async addNotice(level: Notice['level'], message: string): Promise<Notice> {
    const notice: Notice = { id: `n${Date.now().toString(36)}${(this.#noticeSeq++).toString(36)}`, level, message, createdAt: new Date().toISOString() };
    this.#notices.push(notice);
    await this.#noticesDoc().write({ notices: this.#notices });
    return notice;
  }

  async dismissNotice(id: string): Promise<void> {
    this.#notices = this.#notices.filter((n) => n.id !== id);
    await this.#noticesDoc().write({ notices: this.#notices });
  }

  #noticesDoc(): JsonDoc<{ notices: Notice[] }> {
    return this.json('notices.json', { parse: stored('notices'), pretty: true });
  }

  // ---- settings ----

  #settingsDoc(): JsonDoc<Settings> {
    return this.json('settings.json', {
      // Lenient on purpose: valid fields survive, invalid ones fall back to their defaults.
      parse: (v) => {
        const s = settingsFromFile(v);
        if (s === null) throw new Error('not an object');
        return s;
      },
      pretty: true,
    });
  }

  async readSettings(): Promise<Settings> {
    return (await this.#settingsDoc().read()) ?? { ...defaultSettings };
  }

  writeSettings(s: Settings): Promise<void> {
    return this.#settingsDoc().write(s);
  }

  // ---- model registry ----

  #modelsDoc(): JsonDoc<{ models: ModelRecord[] }> {
    return this.json('models.json', { parse: stored('models'), pretty: true });
  }

  async readModels(): Promise<ModelRecord[]> {
    return (await this.#modelsDoc().read())?.models ?? [];
  }

  writeModels(models: ModelRecord[]): Promise<void> {
    return this.#modelsDoc().write({ models });
  }

  // ---- conversations ----

  conversationPath(id: string): string {
    return this.#conversationDoc(id).path;
  }

  #conversationDoc(id: string): JsonDoc<Conversation> {
    if (!idPattern.test(id)) throw new ReckonError('BAD_REQUEST', `Invalid conversation id '${id}'.`);
    return this.json(`conversations/${id}.json`, {
      parse: stored('conversation'),
      describe: (file, aside) => `Conversation file ${file} was unreadable and was set aside (as ${aside}); other conversations are unaffected.`,
      pretty: true,
    });
  }

  /** Reads every conversation file; unreadable ones are set aside (with a notice) and skipped. */
  async readAllConversations(): Promise<Conversation[]> {
    let names: string[];
    try {
      names = await readdir(this.conversationsDir);
    } catch (err) {
      throw new ReckonError('IO_ERROR', `Cannot read ${this.conversationsDir}: ${(err as Error).message}`);
    }
    const out: Conversation[] = [];
    for (const name of names.sort()) {
      // Skip temp files (.x.json.<pid>.<n>.tmp) and files already set aside.
      if (name.startsWith('.') || !name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      if (!idPattern.test(id)) continue;
      const c = await this.#conversationDoc(id).read();
      if (!c) continue;
      if (c.id !== id) c.id = id;
      out.push(c);
    }
    return out;
  }

  writeConversation(c: Conversation): Promise<void> {
    return this.#conversationDoc(c.id).write(c);
  }

  deleteConversation(id: string): Promise<void> {
    return this.#conversationDoc(id).delete();
  }

  // ---- stream journals (StreamJournal.ts) ----

  /** Where the journal of a streaming message lives: beside its conversation. */
  streamJournalPath(conversationId: string, messageId: string): string {
    if (!idPattern.test(conversationId)) throw new ReckonError('BAD_REQUEST', `Invalid conversation id '${conversationId}'.`);
    if (!idPattern.test(messageId)) throw new ReckonError('BAD_REQUEST', `Invalid message id '${messageId}'.`);
    return join(this.conversationsDir, `${conversationId}.${messageId}${journalSuffix}`);
  }

  /** Starts the journal of a message that begins streaming; `start`: the lengths its thinking and answer have now. */
  openStreamJournal(conversationId: string, messageId: string, start: { thinking: number; answer: number }, o?: StreamJournalOptions): StreamJournal {
    const path = this.streamJournalPath(conversationId, messageId);
    try {
      return new StreamJournal(path, conversationId, messageId, start, o);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new ReckonError('IO_ERROR', `Cannot write ${path}: ${e.message}`, e.code !== undefined ? { errno: e.code } : undefined);
    }
  }

  /** Every journal a crash left behind, with its text (names that are not a journal's are skipped). */
  async readStreamJournals(): Promise<{ path: string; conversationId: string; messageId: string; text: string }[]> {
    const out = [];
    for (const name of (await readdir(this.conversationsDir).catch(() => [] as string[])).sort()) {
      if (!name.endsWith(journalSuffix)) continue;
      const [conversationId, messageId, ...rest] = name.slice(0, -journalSuffix.length).split('.');
      if (rest.length > 0 || conversationId === undefined || messageId === undefined || !idPattern.test(conversationId) || !idPattern.test(messageId)) continue;
      const path = join(this.conversationsDir, name);
      try {
        out.push({ path, conversationId, messageId, text: await readFile(path, 'utf8') });
      } catch (err) {
        throw new ReckonError('IO_ERROR', `Cannot read ${path}: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /** Removes a journal once what it held is in the conversation file (or is not wanted: its conversation is gone). */
  async removeStreamJournal(conversationId: string, messageId: string): Promise<void> {
    const path = this.streamJournalPath(conversationId, messageId);
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw new ReckonError('IO_ERROR', `Cannot delete ${path}: ${err.message}`);
    });
  }

  /** Whether a conversation's file was set aside as unreadable (a `<id>.json.corrupt-*` lies beside it). */
  async wasSetAside(conversationId: string): Promise<boolean> {
    const prefix = `${conversationId}.json.corrupt-`;
    return (await readdir(this.conversationsDir).catch(() => [] as string[])).some((n) => n.startsWith(prefix));
  }

  /** Sets a damaged journal aside (with a notice saying what was kept); the conversation is unaffected. */
  async setStreamJournalAside(conversationId: string, messageId: string, why: string): Promise<string> {
    return this.#setAside(this.streamJournalPath(conversationId, messageId), (file, aside) =>
      `The stream journal ${file} could not be replayed whole (${why}) and was set aside (as ${aside}); what could be replayed is in its conversation.`);
  }

  /** Waits for every pending write (used by close and by tests). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  // ---- internals ----

  #write<T>(path: string, data: T, o: JsonDocOptions<T>): Promise<void> {
    let text: string;
    try {
      text = o.pretty === true ? `${JSON.stringify(data, null, 2)}\n` : JSON.stringify(data);
    } catch (err) {
      return Promise.reject(new ReckonError('INTERNAL', `Cannot serialise ${basename(path)}: ${(err as Error).message}`));
    }
    return this.#writer.write(path, text, { mode: o.mode }).catch((err: NodeJS.ErrnoException) => {
      // details.errno (ENOSPC, EACCES...) lets a caller tell a full disk from other failures
      throw new ReckonError('IO_ERROR', `Cannot write ${path}: ${err.message}`, err.code !== undefined ? { errno: err.code } : undefined);
    });
  }

  /** Renames a bad file aside (copies it when the rename fails) and adds a notice; returns the aside base name. */
  async #setAside(path: string, describe: (file: string, aside: string) => string): Promise<string> {
    await this.#writer.idle(path);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    let aside = `${path}.corrupt-${stamp}`;
    // Two files set aside within the same millisecond must not overwrite each other's copy.
    for (let n = 2; n < 100 && (await exists(aside)); n++) aside = `${path}.corrupt-${stamp}-${n}`;
    try {
      await rename(path, aside);
    } catch (err) {
      // Keep a copy at least: the next write replaces the bad file, and its bytes may still be worth rescuing.
      try {
        await copyFile(path, aside);
      } catch {
        await this.addNotice('warning', `${relative(this.dir, path)} was unreadable and could not be set aside (${(err as Error).message}); it will be replaced on the next save.`);
        return basename(path);
      }
    }
    await this.addNotice('warning', describe(basename(path), basename(aside)));
    return basename(aside);
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, (err: NodeJS.ErrnoException) => err.code !== 'ENOENT');
}

function relative(dir: string, path: string): string {
  return path.startsWith(dir + sep) ? path.slice(dir.length + 1) : path;
}
