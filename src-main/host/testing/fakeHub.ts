/**
 * A hub for tests, over real HTTP on 127.0.0.1: two servers, as Hugging Face has them. The hub answers the API
 * (`/api/models?search=&filter=gguf`, `/api/models/<repo>/tree/main`) and `/<repo>/resolve/main/<path>` with a
 * redirect to the CDN, another host:port, which serves the bytes with Content-Length, a strong ETag (the sha256),
 * Range / If-Range and nothing else. Gated repos want `Authorization: Bearer <token>` on the hub (the CDN URL stands
 * for a signed one). Faults a test injects per file path: a connection dropped after N bytes (once), a trickle
 * that sends N bytes and then holds until the test releases it (no timing), corrupted bytes, and files that change.
 * Every request is logged with its Range, If-Range and Authorization, so a test can see how a client resumed.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeHubRepo {
  /** "owner/name". */
  id: string;
  /** Path in the repo -> content. `.gguf` files are LFS files (with lfs.oid = sha256); others are plain. */
  files: Record<string, Buffer>;
  /** Needs the hub's token (401 without it). */
  gated?: boolean;
  downloads?: number;
}

export type FakeHubFault =
  /** Sends `afterBytes` of the body, then destroys the socket; once. */
  | { kind: 'drop'; afterBytes: number }
  /** Sends `afterBytes`, then holds the response until release(path). */
  | { kind: 'trickle'; afterBytes: number }
  /** Flips one byte in every body served (the ETag and the listed sha256 stay the real ones). */
  | { kind: 'corrupt' };

export interface FakeHubRequest {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  status: number;
  range: string | null;
  ifRange: string | null;
  authorization: string | null;
}

export interface FakeHub {
  /** The hub's base URL (the HF_ENDPOINT a client uses). */
  endpoint: string;
  /** The CDN's origin (another port). */
  cdnOrigin: string;
  /** The token gated repos accept. */
  token: string;
  requests: FakeHubRequest[];
  fault(path: string, f: FakeHubFault): void;
  clearFaults(): void;
  /** Resolves when a trickled response for `path` has sent its first bytes and is holding. */
  holding(path: string): Promise<void>;
  /** Lets a held response for `path` send the rest (and later ones go through unheld). */
  release(path: string): void;
  /** Replaces a file's content (new sha256, new ETag). */
  setFile(repo: string, path: string, content: Buffer): void;
  sha256(repo: string, path: string): string;
  close(): Promise<void>;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function startFakeHub(opts: { repos: FakeHubRepo[]; token?: string }): Promise<FakeHub> {
  const token = opts.token ?? 'hf_test_token';
  const repos = new Map(opts.repos.map((r) => [r.id, { ...r, files: { ...r.files } }]));
  const blobs = new Map<string, { content: Buffer; path: string }>();
  const index = (): void => {
    blobs.clear();
    for (const r of repos.values()) for (const [path, content] of Object.entries(r.files)) blobs.set(sha(content), { content, path });
  };
  index();
  const faults = new Map<string, FakeHubFault>();
  const waiting = new Map<string, (() => void)[]>();
  const holds = new Map<string, () => void>();
  const requests: FakeHubRequest[] = [];

  const log = (server: 'hub' | 'cdn', req: IncomingMessage, status: number): void => {
    requests.push({
      server, method: req.method ?? 'GET', url: req.url ?? '', status,
      range: req.headers.range ?? null, ifRange: (req.headers['if-range'] as string | undefined) ?? null,
      authorization: req.headers.authorization ?? null,
    });
  };
  const json = (server: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void => {
    log(server, req, status);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  let cdnOrigin = '';
  const hub = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const authorized = req.headers.authorization === `Bearer ${token}`;
    if (u.pathname === '/api/models') {
      const q = (u.searchParams.get('search') ?? '').toLowerCase();
      const ggufOnly = u.searchParams.get('filter') === 'gguf';
      const limit = Number(u.searchParams.get('limit') ?? 50);
      const found = [...repos.values()]
        .filter((r) => r.id.toLowerCase().includes(q) && (!ggufOnly || Object.keys(r.files).some((f) => f.endsWith('.gguf'))))
        .slice(0, limit)
        .map((r) => ({ id: r.id, modelId: r.id, downloads: r.downloads ?? 0, likes: 0, gated: r.gated ? 'manual' : false, tags: ['gguf'], lastModified: '2026-01-01T00:00:00.000Z' }));
      return json('hub', req, res, 200, found);
    }
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/main\/?$/.exec(u.pathname);
    if (tree) {
      const r = repos.get(decodeURIComponent(tree[1]!));
      if (!r) return json('hub', req, res, 404, { error: 'Repository not found' });
      if (r.gated && !authorized) return json('hub', req, res, 401, { error: 'Access to this repo is restricted.' });
      return json('hub', req, res, 200, Object.entries(r.files).map(([path, content]) => ({
        type: 'file', path, size: path.endsWith('.gguf') ? 134 : content.length, oid: sha(content).slice(0, 40),
        ...(path.endsWith('.gguf') ? { lfs: { oid: sha(content), size: content.length, pointerSize: 134 } } : {}),
      })));
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(u.pathname);
    if (resolve) {
      const r = repos.get(decodeURIComponent(resolve[1]!));
      const path = resolve[2]!.split('/').map(decodeURIComponent).join('/');
      const content = r?.files[path];
      if (!r || !content) return json('hub', req, res, 404, { error: 'Entry not found' });
      if (r.gated && !authorized) return json('hub', req, res, 401, { error: 'Access to this repo is restricted.' });
      log('hub', req, 302);
      res.writeHead(302, { location: `${cdnOrigin}/blobs/${sha(content)}`, 'x-linked-etag': `"${sha(content)}"`, 'x-linked-size': String(content.length) }).end();
      return;
    }
    json('hub', req, res, 404, { error: 'not found' });
  });

  const cdn = createServer((req, res) => {
    const m = /^\/blobs\/([0-9a-f]{64})$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const blob = m ? blobs.get(m[1]!) : undefined;
    if (!blob) {
      log('cdn', req, 404);
      return void res.writeHead(404).end();
    }
    const etag = `"${m![1]}"`;
    let body = blob.content;
    let start = 0;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'] as string | undefined;
    const useRange = range !== null && (ifRange === undefined || ifRange === etag);
    if (useRange) {
      start = Number(range[1]);
      const end = range[2] === '' ? body.length - 1 : Math.min(Number(range[2]), body.length - 1);
      if (start >= body.length) {
        log('cdn', req, 416);
        return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      }
      body = body.subarray(start, end + 1);
    }
    const fault = faults.get(blob.path);
    if (fault?.kind === 'corrupt' && body.length > 0) {
      body = Buffer.from(body);
      body[Math.floor(body.length / 2)]! ^= 0xff;
    }
    const status = useRange ? 206 : 200;
    log('cdn', req, status);
    res.writeHead(status, {
      'content-length': String(body.length), etag, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream',
      ...(useRange ? { 'content-range': `bytes ${start}-${start + body.length - 1}/${blob.content.length}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    if (fault?.kind === 'drop' && fault.afterBytes < start + body.length) {
      faults.delete(blob.path); // once
      const n = Math.max(0, fault.afterBytes - start);
      res.write(body.subarray(0, n), () => res.socket?.destroy());
      return;
    }
    if (fault?.kind === 'trickle' && fault.afterBytes < start + body.length) {
      const n = Math.max(0, fault.afterBytes - start);
      const finish = (): void => void res.end(body.subarray(n));
      // A client that gave up (pause, restart) leaves no hold behind for the next request to trip over.
      res.once('close', () => { if (holds.get(blob.path) === finish) holds.delete(blob.path); });
      res.write(body.subarray(0, n), () => {
        holds.set(blob.path, finish);
        for (const w of waiting.get(blob.path) ?? []) w();
        waiting.delete(blob.path);
      });
      return;
    }
    res.end(body);
  });

  const endpoint = await listen(hub);
  cdnOrigin = await listen(cdn);
  return {
    endpoint, cdnOrigin, token, requests,
    fault: (path, f) => void faults.set(path, f),
    clearFaults: () => faults.clear(),
    holding: (path) => new Promise<void>((r) => {
      if (holds.has(path)) return r();
      waiting.set(path, [...(waiting.get(path) ?? []), r]);
    }),
    release: (path) => {
      faults.delete(path);
      const h = holds.get(path);
      holds.delete(path);
      h?.();
    },
    setFile: (repo, path, content) => {
      const r = repos.get(repo);
      if (!r) throw new Error(`no repo ${repo}`);
      r.files[path] = content;
      index();
    },
    sha256: (repo, path) => sha(repos.get(repo)!.files[path]!),
    close: async () => {
      hub.closeAllConnections();
      cdn.closeAllConnections();
      await Promise.all([new Promise((r) => hub.close(r)), new Promise((r) => cdn.close(r))]);
    },
  };
}
