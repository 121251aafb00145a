/**
 * Browser mode's page access token (`reckon serve`, docs/host.md): made on first use and kept in
 * `<userData>/page-token.json` (mode 0600), so a restarted server on the same data folder accepts the URL an open
 * page already has and the page reconnects by itself. `rotate` replaces it (`reckon serve --new-token`).
 */
import { randomBytes } from 'node:crypto';
import type { JsonDoc, Store } from '../store/Store';
import { stored } from '../store/shapes';

export const PAGE_TOKEN_FILE = 'page-token.json';

/** A new token: 32 random bytes, hex. */
export function newPageToken(): string {
  return randomBytes(32).toString('hex');
}

export class PageTokenService {
  #doc: JsonDoc<{ version: 1; token: string }>;
  #token: string | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<(token: string) => void>();

  constructor(store: Store) {
    this.#doc = store.json(PAGE_TOKEN_FILE, {
      parse: stored('pageToken'),
      mode: 0o600,
      describe: (file, aside) => `The page token file ${file} was unreadable and was set aside (as ${aside}); browser mode has a new URL.`,
    });
  }

  /** The stored token; one is made and stored when there is none (or the file was set aside). */
  get(): Promise<string> {
    return this.#serial(async () => {
      if (this.#token === null) {
        this.#token = (await this.#doc.read())?.token ?? null;
        if (this.#token === null) await this.#write(newPageToken());
      }
      return this.#token!;
    });
  }

  /**
   * Replaces the stored token and tells the listeners (a running web server switches to it at once); pages opened
   * with the old one are refused from then on.
   */
  rotate(): Promise<string> {
    return this.#serial(async () => {
      await this.#write(newPageToken());
      const token = this.#token!;
      for (const l of this.#listeners) l(token);
      return token;
    });
  }

  /** Hears every rotation (after the new token is stored); returns the unsubscribe. */
  onRotate(listener: (token: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #write(token: string): Promise<void> {
    await this.#doc.write({ version: 1, token });
    this.#token = token;
  }

  #serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
