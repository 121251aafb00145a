/**
 * Browser mode: the built renderer over HTTP, the API over a WebSocket and the OpenAI-compatible API under /v1
 * (host/openai/, its own Bearer key), on 127.0.0.1 only.
 * Security: a random token (stored in the data folder, so it survives restarts until rotated) is required on every request (query `?token=` or the HttpOnly cookie the
 * page gets on its first authorised load), WebSocket upgrades must carry the token in the query and, when an
 * Origin header is present, come from this server's own origin; Host headers other than 127.0.0.1/localhost
 * are refused (DNS rebinding). Static responses carry a strict CSP and nosniff.
 */
import { timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerFrame } from '../common/api';
import { ReckonError } from '../common/errors';
import type { Host } from '../host/index';
import { createAuditRoute } from '../host/openai/auditRoute';
import { hasApiKey } from '../host/openai/openaiApi';

export interface WebServerOptions {
  host: Host;
  /** Port on 127.0.0.1; 0 picks a free one. Defaults to 0. */
  port?: number;
  /** Built renderer folder (index.html + assets). */
  rendererDir: string;
  /**
   * The page's access token (`reckon serve --token`). Defaults to the one stored in the data folder
   * (`host.pageToken`: made once, kept across restarts until rotated).
   */
  token?: string;
  /** Called with the new page URL after the token was rotated (`page.rotateToken`); `reckon serve` prints it. */
  onUrlChange?: (url: string) => void;
}

export interface WebServer {
  /** The page URL, with the token in force: http://127.0.0.1:PORT/?token=TOKEN */
  readonly url: string;
  readonly port: number;
  /** The token in force (it changes when `page.rotateToken` rotates it). */
  readonly token: string;
  close(): Promise<void>;
}

/** WebSocket close code for sockets of a token that was rotated: the page's link no longer works. */
export const TOKEN_ROTATED_CLOSE = 4001;

const cookieName = 'reckon_token';
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf', '.map': 'application/json',
  '.wasm': 'application/wasm', '.txt': 'text/plain; charset=utf-8',
};

function sameToken(a: string | null | undefined, token: string): boolean {
  if (typeof a !== 'string' || a.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(token));
}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === cookieName) return v.join('=');
  }
  return null;
}

export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  let token = o.token ?? await o.host.pageToken.get();
  const root = resolve(o.rendererDir);
  let port = 0;
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`);

  const securityHeaders = (): Record<string, string> => ({
    'Content-Security-Policy': `default-src 'self'; connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });

  const refuse = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  };

  const server = createServer((req, res) => {
    void (async () => {
      if (!allowedHosts().includes(req.headers.host ?? '')) return refuse(res, 421, 'Unexpected Host header.');
      const path = req.url ?? '';
      if (path === '/v1' || path.startsWith('/v1/') || path.startsWith('/v1?')) return openAi.handle(req, res);
      if (path.startsWith('/audit/')) return auditRoute(req, res);
      if (path.startsWith('/upload')) return uploadRoute(req, res);
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed.');
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      const queryOk = sameToken(url.searchParams.get('token'), token);
      if (!queryOk && !sameToken(cookieToken(req), token)) {
        return refuse(res, 401, 'Reckon: open the URL printed by `reckon serve` (it carries the access token).');
      }
      let rel: string;
      try {
        rel = decodeURIComponent(url.pathname);
      } catch {
        return refuse(res, 400, 'Bad path.');
      }
      if (rel === '/' || rel === '') rel = '/index.html';
      const file = normalize(join(root, rel));
      if (file !== root && !file.startsWith(root + sep)) return refuse(res, 403, 'Forbidden.');
      const st = await stat(file).catch(() => null);
      if (!st?.isFile()) {
        if (rel === '/index.html') return refuse(res, 503, 'The renderer is not built: run `npm run build`.');
        return refuse(res, 404, 'Not found.');
      }
      const headers: Record<string, string | string[]> = {
        ...securityHeaders(),
        'Content-Type': types[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': String(st.size),
      };
      if (queryOk) headers['Set-Cookie'] = `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`;
      res.writeHead(200, headers);
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
    })().catch(() => {
      if (!res.headersSent) refuse(res, 500, 'Internal error.');
      else res.destroy();
    });
  });

  const openAi = o.host.openAi;
  /**
   * Browser mode's model upload (docs/downloads.md): POST /upload?name=<file.gguf> with the file as the body,
   * token required like everything else and, as a page may be another site's, a foreign Origin refused. The body is
   * streamed to disk by the host (host.importUpload) and imported; the answer is the ModelInfo or {error}.
   */
  const uploadRoute = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!sameToken(url.searchParams.get('token'), token) && !sameToken(cookieToken(req), token)) return refuse(res, 401, 'Missing or wrong access token.');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().includes(origin)) return refuse(res, 403, 'Foreign origin.');
    if (url.pathname !== '/upload') return refuse(res, 404, 'Not found.');
    if (req.method !== 'POST') return refuse(res, 405, 'Method not allowed.');
    const answer = (status: number, body: unknown): void => {
      res.writeHead(status, { ...securityHeaders(), 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const len = req.headers['content-length'];
    const size = len !== undefined && /^\d+$/.test(len) ? Number(len) : null;
    try {
      answer(200, await o.host.importUpload(url.searchParams.get('name') ?? '', req, size));
    } catch (err) {
      const e = ReckonError.from(err);
      // The client may be gone (it aborted): there is no one to answer.
      if (!res.destroyed) answer(e.code === 'BAD_REQUEST' ? 400 : e.code === 'DOWNLOAD_NO_SPACE' ? 507 : e.code.startsWith('GGUF_') ? 422 : 500, { error: e.toPayload() });
    }
  };

  /** The audit endpoints (docs/audit-protocol.md), the page token or the API key (Bearer) required. */
  const audit = createAuditRoute({ host: o.host, headers: securityHeaders });
  const auditRoute = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!sameToken(url.searchParams.get('token'), token) && !sameToken(cookieToken(req), token) && !(await hasApiKey(o.host, req))) {
      return refuse(res, 401, 'Missing or wrong access token.');
    }
    return audit(req, res, url);
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const deny = (status: number, text: string): void => {
      socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (!allowedHosts().includes(req.headers.host ?? '')) return deny(421, 'Misdirected Request');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== '/api') return deny(404, 'Not Found');
    if (!sameToken(url.searchParams.get('token'), token)) return deny(401, 'Unauthorized');
    const origin = req.headers.origin;
    // Browsers always send Origin on WebSocket upgrades; a foreign one means another site's page.
    if (origin !== undefined && !allowedOrigins().includes(origin)) return deny(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    const send = (f: ServerFrame): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(f));
    };
    // One port per socket: the host's RPC server answers its calls (the router validates them) and sends it
    // every turn event; text that is not JSON is answered here, as the server never sees it.
    o.host.serve({
      send,
      onFrame: (cb) => ws.on('message', (data, isBinary) => {
        let frame: unknown;
        try {
          if (isBinary) throw new Error('binary');
          frame = JSON.parse(data.toString());
        } catch {
          return send({ kind: 'error', id: 0, error: { code: 'BAD_REQUEST', message: 'Frames must be JSON text.' } });
        }
        cb(frame);
      }),
      onClose: (cb) => {
        ws.on('close', () => cb());
        ws.on('error', () => cb());
      },
    });
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlOf = (t: string): string => `http://127.0.0.1:${port}/?token=${t}`;

  // A rotation (page.rotateToken, from Settings) takes effect at once: the old token is refused from here on, and
  // every socket opened with it is closed - after the current turn of the event loop, so the reply to the page that
  // asked (already queued on its socket) goes out first.
  const offRotate = o.host.pageToken.onRotate((t) => {
    token = t;
    setImmediate(() => {
      for (const ws of clients) ws.close(TOKEN_ROTATED_CLOSE, 'The access token was rotated.');
    });
    o.onUrlChange?.(urlOf(t));
  });

  let closing: Promise<void> | null = null;
  return {
    get url() {
      return urlOf(token);
    },
    port,
    get token() {
      return token;
    },
    close: () => {
      offRotate();
      closing ??= new Promise<void>((r) => {
        for (const ws of clients) ws.terminate();
        wss.close();
        server.close(() => r());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
