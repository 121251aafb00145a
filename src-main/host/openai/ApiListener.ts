/**
 * The OpenAI-compatible API on a 127.0.0.1 port of its own (docs/api.md), beside the UI: the desktop app and
 * `reckon serve` open it (HostOptions.serveApi); `sync` follows settings.api live: enabled opens the port, disabled
 * closes it (open connections dropped), a new port moves it. A port another program holds is not fatal: the status
 * says API_PORT_IN_USE and `onError` tells the user (the host raises a notice); the next sync tries again.
 * Served: /v1/* (openaiApi.ts) and /audit/* (auditRoute.ts, the API key as Bearer), Host header 127.0.0.1:PORT or
 * localhost:PORT only (DNS rebinding), like browser mode.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReckonClient } from '../../common/api';
import type { ErrorCode } from '../../common/errors';
import type { ApiServerStatus, ApiSettings } from '../../common/types';
import { createAuditRoute } from './auditRoute';
import { errorBody } from './mapping';
import { hasApiKey, type OpenAiApi } from './openaiApi';

export interface ApiListenerOptions {
  host: ReckonClient;
  /** The /v1 handler; shared with browser mode's page port so both doors queue on one Limiter. */
  openAi: OpenAiApi;
  /** Listen here instead of settings.api.port (0 = any free port: tests, `reckon serve --api-port 0`). Defaults to the setting. */
  portOverride?: number;
  /** Called when the port cannot be opened, with a sentence for the user. Defaults to none. */
  onError?: (error: { code: ErrorCode; message: string }) => void;
}

const headers = (): Record<string, string> => ({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });

export class ApiListener {
  #server: Server | null = null;
  #status: ApiServerStatus = { state: 'off', port: null, baseUrl: null, error: null };
  /** Syncs run one after another, so a quick on-off-on ends in the last state asked for. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  readonly #audit: ReturnType<typeof createAuditRoute>;

  constructor(private readonly o: ApiListenerOptions) {
    this.#audit = createAuditRoute({ host: o.host, headers });
  }

  status(): ApiServerStatus {
    return { ...this.#status, error: this.#status.error && { ...this.#status.error } };
  }

  /** Opens, moves or closes the port to match `api`; resolves with the new status (never rejects). */
  sync(api: Pick<ApiSettings, 'enabled' | 'port'>): Promise<ApiServerStatus> {
    const run = this.#queue.then(async () => {
      const want = this.#closed || !api.enabled ? null : (this.o.portOverride ?? api.port);
      const listening = this.#status.state === 'listening';
      // Already where it should be (an override of 0 stays on the free port it got).
      if (want === null && this.#server === null) return this.#set({ state: 'off', port: null, baseUrl: null, error: null });
      if (want !== null && listening && (want === 0 || want === this.#status.port)) return this.status();
      await this.#stop();
      if (want === null) return this.#set({ state: 'off', port: null, baseUrl: null, error: null });
      return this.#listen(want);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the port for good (host.close). */
  close(): Promise<void> {
    this.#closed = true;
    return this.sync({ enabled: false, port: 0 }).then(() => undefined);
  }

  #set(s: ApiServerStatus): ApiServerStatus {
    this.#status = s;
    return this.status();
  }

  async #listen(port: number): Promise<ApiServerStatus> {
    let bound = 0;
    const server = createServer((req, res) => void this.#handle(req, res, bound));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      const error = {
        code: inUse ? 'API_PORT_IN_USE' as const : 'IO_ERROR' as const,
        message: inUse
          ? `Port ${port} on 127.0.0.1 is in use by another program, so the OpenAI-compatible API is not served. Choose another port in Settings > API.`
          : `The OpenAI-compatible API could not listen on 127.0.0.1:${port}: ${(err as Error).message}`,
      };
      this.o.onError?.(error);
      return this.#set({ state: 'error', port, baseUrl: null, error });
    }
    bound = (server.address() as AddressInfo).port;
    this.#server = server;
    return this.#set({ state: 'listening', port: bound, baseUrl: `http://127.0.0.1:${bound}/v1`, error: null });
  }

  async #stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server === null) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive sockets and running streams end now: "off" means refused at once.
      server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
    const refuse = (status: number, code: ErrorCode, message: string): void => {
      res.writeHead(status, { ...headers(), 'Content-Type': 'application/json' });
      res.end(JSON.stringify(errorBody(code, message)));
    };
    try {
      if (![`127.0.0.1:${port}`, `localhost:${port}`].includes(req.headers.host ?? '')) return refuse(421, 'UNAUTHORIZED', 'Unexpected Host header.');
      const path = req.url ?? '/';
      if (path === '/v1' || path.startsWith('/v1/') || path.startsWith('/v1?')) return await this.o.openAi.handle(req, res);
      if (path.startsWith('/audit/')) {
        if (!(await hasApiKey(this.o.host, req))) return refuse(401, 'UNAUTHORIZED', 'Missing or wrong API key: send Authorization: Bearer <key>.');
        return await this.#audit(req, res, new URL(path, `http://127.0.0.1:${port}`));
      }
      return refuse(404, 'BAD_REQUEST', 'Not found: the OpenAI-compatible API is under /v1.');
    } catch {
      if (!res.headersSent) refuse(500, 'INTERNAL', 'Internal error.');
      else res.destroy();
    }
  }
}
