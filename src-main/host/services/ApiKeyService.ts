/**
 * The OpenAI-compatible API's key (docs/api.md): `--api-key` / RECKON_API_KEY when the front door fixed one, else
 * a random key made on first use and kept in `<userData>/api-key.json` (mode 0600), so it survives restarts.
 */
import { randomBytes } from 'node:crypto';
import { ReckonError } from '../../common/errors';
import type { JsonDoc, Store } from '../store/Store';

export const API_KEY_FILE = 'api-key.json';

interface StoredApiKey {
  version: 1;
  key: string;
}

function parseStoredKey(raw: unknown): StoredApiKey {
  const v = raw as Partial<StoredApiKey> | null;
  if (typeof v !== 'object' || v === null || v.version !== 1 || typeof v.key !== 'string' || !/^[A-Za-z0-9_-]{16,200}$/.test(v.key)) {
    throw new Error('not an API key file');
  }
  return { version: 1, key: v.key };
}

/** A new key: 'rk-' and 32 random bytes, base64url. */
export function newApiKey(): string {
  return `rk-${randomBytes(32).toString('base64url')}`;
}

export class ApiKeyService {
  #doc: JsonDoc<StoredApiKey>;
  #key: string | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  /** `fixed`: a key given by the front door (--api-key, RECKON_API_KEY); nothing is stored then. */
  constructor(store: Store, private readonly fixed?: string) {
    this.#doc = store.json(API_KEY_FILE, {
      parse: parseStoredKey,
      mode: 0o600,
      describe: (file, aside) => `The API key file ${file} was unreadable and was set aside (as ${aside}); a new API key was made.`,
    });
  }

  get(): Promise<{ key: string; fixed: boolean }> {
    if (this.fixed !== undefined) return Promise.resolve({ key: this.fixed, fixed: true });
    return this.#serial(async () => {
      if (this.#key === null) {
        const stored = await this.#doc.read();
        this.#key = stored?.key ?? null;
        if (this.#key === null) await this.#write(newApiKey());
      }
      return { key: this.#key!, fixed: false };
    });
  }

  rotate(): Promise<{ key: string; fixed: boolean }> {
    if (this.fixed !== undefined) {
      return Promise.reject(new ReckonError('BAD_REQUEST', 'The API key is fixed by --api-key / RECKON_API_KEY; change it there.'));
    }
    return this.#serial(async () => {
      await this.#write(newApiKey());
      return { key: this.#key!, fixed: false };
    });
  }

  async #write(key: string): Promise<void> {
    await this.#doc.write({ version: 1, key });
    this.#key = key;
  }

  #serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
