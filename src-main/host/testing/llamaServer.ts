/**
 * Test support: llama.cpp's own server (and RPC workers) on 127.0.0.1, from the tools tools/engines/buildLlamaCpp.sh
 * builds into ${RECKON_CACHE_DIR:-~/.cache/reckon}/llama.cpp/<commit>/bin (the commit of node-llama-cpp's bundled
 * sources). This never builds: with the tools missing it throws, naming the script (`npm test`'s pretest runs it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../paths';

const BUNDLE = 'node_modules/node-llama-cpp/llama/gitRelease.bundle';

/** The bin folder with llama-server and rpc-server; throws when they are not built. */
export function llamaCppBin(): string {
  const root = repoRoot();
  const heads = execFileSync('git', ['bundle', 'list-heads', join(root, BUNDLE)], { encoding: 'utf8' });
  const commit = /^([0-9a-f]{40}) HEAD$/m.exec(heads)?.[1];
  if (commit === undefined) throw new Error(`${BUNDLE} names no HEAD commit`);
  const bin = join(process.env['RECKON_CACHE_DIR'] ?? join(homedir(), '.cache', 'reckon'), 'llama.cpp', commit, 'bin');
  for (const tool of ['llama-server', 'rpc-server']) {
    if (!existsSync(join(bin, tool))) {
      throw new Error(`${tool} is not built (${join(bin, tool)} is missing): run tools/engines/buildLlamaCpp.sh (npm test's pretest runs it).`);
    }
  }
  return bin;
}

/** A free TCP port on 127.0.0.1 (the OS picks; released at once for the tool to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface ToolProcess {
  readonly child: ChildProcess;
  /** What the tool wrote to stdout and stderr so far (its log, for a failing test's message). */
  log(): string;
  /** SIGKILL now; resolves when it is gone. */
  kill(): Promise<void>;
}

function run(bin: string, tool: string, args: string[]): ToolProcess {
  const child = spawn(join(bin, tool), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d: Buffer): void => { log = (log + d.toString('utf8')).slice(-20_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    log: () => log,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await gone;
    },
  };
}

/** Waits until `ready` resolves true, polling; rejects with the tool's log when it exits first. */
async function waitFor(p: ToolProcess, what: string, ready: () => Promise<boolean>): Promise<void> {
  let exited = false;
  p.child.once('exit', () => { exited = true; });
  for (;;) {
    if (exited) throw new Error(`${what} exited before it was ready:\n${p.log().slice(-3000)}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface LlamaServer extends ToolProcess {
  /** http://127.0.0.1:<port> */
  url: string;
}

export interface LlamaServerOptions {
  /** The GGUF to serve; defaults to the bundled models/reckon-arith.gguf. */
  model?: string;
  /** Parallel slots (-np); defaults to 4. */
  slots?: number;
  /** Total context over all slots (-c), tokens; defaults to 8192. */
  contextSize?: number;
  /** --api-key; absent = none. */
  apiKey?: string;
  /** RPC workers (host:port) the server offloads to (--rpc). */
  rpc?: string[];
}

/** Starts llama-server on a free 127.0.0.1 port with one thread and waits until /health says its model is loaded. */
export async function startLlamaServer(o: LlamaServerOptions = {}): Promise<LlamaServer> {
  const bin = llamaCppBin();
  const port = await freePort();
  const args = [
    '-m', o.model ?? join(repoRoot(), 'models', 'reckon-arith.gguf'),
    '--host', '127.0.0.1', '--port', String(port), '-np', String(o.slots ?? 4), '-t', '1', '-c', String(o.contextSize ?? 8192),
    '--no-webui',
  ];
  if (o.apiKey !== undefined) args.push('--api-key', o.apiKey);
  if (o.rpc !== undefined && o.rpc.length > 0) args.push('--rpc', o.rpc.join(','), '-ngl', '99');
  const p = run(bin, 'llama-server', args);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(p, 'llama-server', async () => (await fetch(`${url}/health`)).status === 200);
  } catch (err) {
    await p.kill();
    throw err;
  }
  return { ...p, url };
}

/** Starts an rpc-server worker on a free 127.0.0.1 port (one thread) and waits until it accepts connections. */
export async function startRpcServer(): Promise<ToolProcess & { endpoint: string }> {
  const bin = llamaCppBin();
  const port = await freePort();
  const p = run(bin, 'rpc-server', ['-H', '127.0.0.1', '-p', String(port), '-t', '1']);
  try {
    await waitFor(p, 'rpc-server', () => new Promise<boolean>((resolve) => {
      const c = createConnection({ host: '127.0.0.1', port }, () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    }));
  } catch (err) {
    await p.kill();
    throw err;
  }
  return { ...p, endpoint: `127.0.0.1:${port}` };
}

/** A pass-through HTTP proxy in front of a llama-server whose next /completion stream a test can hold. */
export interface GatedProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  /**
   * Holds the next /completion stream after its first event: `reached` resolves once that event went through,
   * `release` lets the rest through (when the server died meanwhile, the client's connection breaks instead).
   */
  holdNextStream(): { reached: Promise<void>; release(): void };
  close(): Promise<void>;
}

export async function gatedProxy(upstream: string): Promise<GatedProxy> {
  const target = new URL(upstream);
  let armed: { reached: () => void; released: Promise<void> } | null = null;
  const server = createHttpServer((req, res) => {
    const hold = req.url === '/completion' ? armed : null;
    if (hold !== null) armed = null;
    const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      let passed = false;
      let paused: Promise<void> | null = null;
      upRes.on('data', (d: Buffer) => {
        if (hold === null || passed) {
          if (paused === null) res.write(d);
          else void paused.then(() => res.write(d));
          return;
        }
        // The first event goes through; everything after it waits for the release.
        res.write(d, () => hold.reached());
        passed = true;
        paused = hold.released;
      });
      upRes.on('end', () => void (paused ?? Promise.resolve()).then(() => res.end()));
      upRes.on('error', () => void (paused ?? Promise.resolve()).then(() => res.destroy()));
      // A killed server closes the stream without ending it: the client's connection breaks the same way.
      upRes.on('close', () => { if (!upRes.complete) void (paused ?? Promise.resolve()).then(() => res.destroy()); });
    });
    // The server died: the client's connection breaks (after the release, when held).
    up.on('error', () => void (hold?.released ?? Promise.resolve()).then(() => res.destroy()));
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    holdNextStream: () => {
      let reached!: () => void;
      let release!: () => void;
      const r = new Promise<void>((ok) => { reached = ok; });
      const released = new Promise<void>((ok) => { release = ok; });
      armed = { reached, released };
      return { reached: r, release };
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
