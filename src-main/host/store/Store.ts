/**
 * The host's files under userDataDir, written through lowdb's JSONFile adapter (steno: write to a temp file,
 * then rename, so a file is always either the old or the new version):
 *   settings.json, models.json, notices.json, conversations/<id>.json (one file per conversation).
 * A file that does not parse, or parses into the wrong shape, is renamed aside (<name>.corrupt-<timestamp>)
 * and reported as a Notice; everything else keeps working.
 */
import { mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { JSONFile } from 'lowdb/node';
import { ReckonError } from '../../common/errors';
import type { Conversation, Notice, Settings } from '../../common/types';
import { defaultSettings } from '../../common/types';
import { isConversation, isModelsFile, isNoticesFile, settingsFrom, type ModelRecord } from './shapes';

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;

export class Store {
  readonly conversationsDir: string;
  /** One adapter per file: its steno Writer serialises writes to that file. */
  readonly #files = new Map<string, JSONFile<unknown>>();
  /** The last pending write per file, so a delete waits for it (else a late rename would resurrect the file). */
  readonly #pending = new Map<string, Promise<void>>();
  #notices: Notice[] = [];
  #noticeSeq = 0;

  private constructor(readonly dir: string) {
    this.conversationsDir = join(dir, 'conversations');
  }

  static async open(dir: string): Promise<Store> {
    const s = new Store(dir);
    await mkdir(s.conversationsDir, { recursive: true });
    const n = await s.#read(join(dir, 'notices.json'), isNoticesFile);
    s.#notices = n?.notices ?? [];
    return s;
  }

  // ---- notices ----

  notices(): Notice[] {
    return this.#notices.map((n) => ({ ...n }));
  }

  async addNotice(level: Notice['level'], message: string): Promise<Notice> {
    const notice: Notice = { id: `n${Date.now().toString(36)}${(this.#noticeSeq++).toString(36)}`, level, message, createdAt: new Date().toISOString() };
    this.#notices.push(notice);
    await this.#write(join(this.dir, 'notices.json'), { notices: this.#notices });
    return notice;
  }

  async dismissNotice(id: string): Promise<void> {
    this.#notices = this.#notices.filter((n) => n.id !== id);
    await this.#write(join(this.dir, 'notices.json'), { notices: this.#notices });
  }

  // ---- settings ----

  async readSettings(): Promise<Settings> {
    const raw = await this.#read(join(this.dir, 'settings.json'), (v): v is unknown => settingsFrom(v) !== null);
    return raw === null ? { ...defaultSettings } : (settingsFrom(raw) ?? { ...defaultSettings });
  }

  writeSettings(s: Settings): Promise<void> {
    return this.#write(join(this.dir, 'settings.json'), s);
  }

  // ---- model registry ----

  async readModels(): Promise<ModelRecord[]> {
    return (await this.#read(join(this.dir, 'models.json'), isModelsFile))?.models ?? [];
  }

  writeModels(models: ModelRecord[]): Promise<void> {
    return this.#write(join(this.dir, 'models.json'), { models });
  }

  // ---- conversations ----

  conversationPath(id: string): string {
    if (!idPattern.test(id)) throw new ReckonError('BAD_REQUEST', `Invalid conversation id '${id}'.`);
    return join(this.conversationsDir, `${id}.json`);
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
      // Skip steno's temp files (.x.json.tmp) and files already set aside.
      if (name.startsWith('.') || !name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      if (!idPattern.test(id)) continue;
      const c = await this.#read(join(this.conversationsDir, name), isConversation,
        (file, aside) => `Conversation file ${file} was unreadable and was set aside (as ${aside}); other conversations are unaffected.`);
      if (!c) continue;
      if (c.id !== id) c.id = id;
      out.push(c);
    }
    return out;
  }

  writeConversation(c: Conversation): Promise<void> {
    return this.#write(this.conversationPath(c.id), c);
  }

  async deleteConversation(id: string): Promise<void> {
    const path = this.conversationPath(id);
    await this.#pending.get(path)?.catch(() => undefined);
    this.#files.delete(path);
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw new ReckonError('IO_ERROR', `Cannot delete ${path}: ${err.message}`);
    });
  }

  /** Waits for every pending write (used by close and by tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending.values()].map((p) => p.catch(() => undefined)));
  }

  // ---- internals ----

  #file(path: string): JSONFile<unknown> {
    let f = this.#files.get(path);
    if (!f) {
      f = new JSONFile<unknown>(path);
      this.#files.set(path, f);
    }
    return f;
  }

  #write(path: string, data: unknown): Promise<void> {
    const p = this.#file(path).write(data).catch((err: Error) => {
      throw new ReckonError('IO_ERROR', `Cannot write ${path}: ${err.message}`);
    });
    this.#pending.set(path, p);
    void p.finally(() => {
      if (this.#pending.get(path) === p) this.#pending.delete(path);
    }).catch(() => undefined);
    return p;
  }

  /** Reads and checks one file; null when it is missing or was set aside. */
  async #read<T>(path: string, check: (v: unknown) => v is T,
    describe: (file: string, aside: string) => string = (file, aside) =>
      `${file} was unreadable and was set aside (as ${aside}); defaults are used instead.`): Promise<T | null> {
    let v: unknown;
    try {
      v = await this.#file(path).read();
    } catch (err) {
      if (err instanceof SyntaxError) {
        await this.#setAside(path, describe);
        return null;
      }
      throw new ReckonError('IO_ERROR', `Cannot read ${path}: ${(err as Error).message}`);
    }
    if (v === null) return null;
    if (!check(v)) {
      await this.#setAside(path, describe);
      return null;
    }
    return v;
  }

  async #setAside(path: string, describe: (file: string, aside: string) => string): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const aside = `${path}.corrupt-${stamp}`;
    await rename(path, aside);
    this.#files.delete(path);
    await this.addNotice('warning', describe(basename(path), basename(aside)));
  }
}
