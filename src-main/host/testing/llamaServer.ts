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
  /** Total context over all slots (-c), tokens; defaults to 2048 (512 per slot at -np 4: the bundled model's training length). */
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
    '--host', '127.0.0.1', '--port', String(port), '-np', String(o.slots ?? 4), '-t', '1', '-c', String(o.contextSize ?? 2048),
    '--no-webui',
  ];
  if (o.apiKey !== undefined) args.push('--api-key', o.apiKey);
  // -lv 4: the server's log then names the devices it loads onto (the RPC test checks the weights went to the workers)
  if (o.rpc !== undefined && o.rpc.length > 0) args.push('--rpc', o.rpc.join(','), '-ngl', '99', '-lv', '4');
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
   * Holds the next /completion stream after its first chunk: `reached` resolves once that chunk went through;
   * `release` lets the rest through; `cut` breaks the client's connection there, losing what the server sent after
   * the first chunk (what a client sees when the server dies mid-stream, however fast the server was).
   */
  holdNextStream(): { reached: Promise<void>; release(): void; cut(): void };
  close(): Promise<void>;
}

interface Hold { reached: () => void; state: 'armed' | 'held' | 'released' | 'cut'; queue: Buffer[]; onChange: (() => void) | null }

export async function gatedProxy(upstream: string): Promise<GatedProxy> {
  const target = new URL(upstream);
  let armed: Hold | null = null;
  const server = createHttpServer((req, res) => {
    const hold = req.url === '/completion' ? armed : null;
    if (hold !== null) armed = null;
    let ended = false;
    // The client may be gone (an abort): nothing more is written to it then.
    const send = (d: Buffer): void => { if (!res.destroyed && !res.writableEnded) res.write(d); };
    const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.on('data', (d: Buffer) => {
        if (hold === null || hold.state === 'released') { send(d); return; }
        if (hold.state === 'armed') {
          hold.state = 'held';
          res.write(d, () => hold.reached());
          return;
        }
        if (hold.state === 'held') hold.queue.push(d);
      });
      upRes.on('end', () => {
        ended = true;
        if ((hold === null || hold.state === 'released') && !res.destroyed) res.end();
      });
      upRes.on('close', () => { if (!upRes.complete && (hold === null || hold.state === 'released')) res.destroy(); });
    });
    if (hold !== null) {
      hold.onChange = () => {
        if (hold.state === 'cut') { res.destroy(); up.destroy(); return; }
        for (const d of hold.queue.splice(0)) send(d);
        if (ended && !res.destroyed) res.end();
      };
    }
    up.on('error', () => { if (hold === null || hold.state !== 'held') res.destroy(); });
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    holdNextStream: () => {
      let reached!: () => void;
      const r = new Promise<void>((ok) => { reached = ok; });
      const h: Hold = { reached, state: 'armed', queue: [], onChange: null };
      armed = h;
      const set = (state: 'released' | 'cut'): void => { h.state = state; h.onChange?.(); };
      return { reached: r, release: () => set('released'), cut: () => set('cut') };
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
