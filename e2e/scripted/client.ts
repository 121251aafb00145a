import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { EngineMethod } from '../../src-main/common/engineProtocol';
import type { ErrorCode } from '../../src-main/common/errors';
import { repoRoot } from '../server';

/** A running scripted host (main.ts): the real host and web server in front of the scripted fake engine. */
export interface ScriptedHost {
  /** The page URL, with its token. */
  url: string;
  /** Opens a gate of the running script (scripts.ts names them); it stays open. */
  open(gate: string): Promise<void>;
  /** Resolves once the engine's script has arrived at `gate`. */
  reached(gate: string): Promise<void>;
  /** The next call of a scripted engine method fails with this error. */
  failNext(method: EngineMethod, code: ErrorCode, message: string): Promise<void>;
  /** Stops the web server: sockets drop, reconnects are refused until resume(). */
  drop(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts main.ts under tsx with a fresh data folder and resolves once it printed its URLs. `env` adds to the
 * environment (HF_ENDPOINT: a fake hub).
 */
export async function startScriptedHost(timeoutMs = 60_000, env: Record<string, string> = {}): Promise<ScriptedHost> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join('e2e', 'scripted', 'main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const urls = await new Promise<{ url: string; control: string }>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`the scripted host printed no URL within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString('utf8');
      const line = output.split('\n').find((l) => l.startsWith('{"url"'));
      if (line !== undefined) {
        clearTimeout(timer);
        res(JSON.parse(line) as { url: string; control: string });
      }
    });
    child.stderr?.on('data', (d: Buffer) => { output += d.toString('utf8'); });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`the scripted host exited (${code}) before printing its URL:\n${output}`));
    });
  });
  const post = async (path: string, q: Record<string, string> = {}): Promise<void> => {
    const res = await fetch(`${urls.control}/__test/${path}?${new URLSearchParams(q)}`, { method: 'POST' });
    if (!res.ok) throw new Error(`scripted host /__test/${path}: ${res.status} ${await res.text()}`);
  };
  return {
    url: urls.url,
    open: (gate) => post('open', { gate }),
    reached: (gate) => post('reached', { gate }),
    failNext: (method, code, message) => post('fail', { method, code, message }),
    drop: () => post('drop'),
    resume: () => post('resume'),
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
