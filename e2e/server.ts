import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RunningServer {
  url: string;
  home: string;
  /** The page's port. */
  port: number;
  child: ChildProcess;
  /** Stops the server; removes its RECKON_HOME unless `keepHome` (a restart on the same data folder follows). */
  stop(o?: { keepHome?: boolean }): Promise<void>;
}

export interface StartServerOptions {
  /** Defaults to 60 s. */
  timeoutMs?: number;
  /** An existing RECKON_HOME (a restart); defaults to a fresh temp folder. */
  home?: string;
  /** The page's port; defaults to 0 (a free one). */
  port?: number;
  /** More arguments for `reckon serve` (e.g. `--token T`). */
  args?: string[];
}

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Starts `reckon serve --port 0 --api-port 0` (free ports, never the fixed default) with a fresh RECKON_HOME
 * (or the given one, port and extra arguments) and resolves with the printed page URL.
 */
export async function startServer(o: StartServerOptions = {}): Promise<RunningServer> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const home = o.home ?? mkdtempSync(join(tmpdir(), 'reckon-e2e-'));
  const child = spawn(process.execPath, ['bin/reckon.mjs', 'serve', '--port', String(o.port ?? 0), '--api-port', '0', ...(o.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, RECKON_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`reckon serve printed no URL within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-zA-Z_-]+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        res(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`reckon serve exited (${code}) before printing its URL:\n${output}`));
    });
  });
  return {
    url,
    home,
    port: Number(new URL(url).port),
    child,
    async stop(so = {}) {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      if (so.keepHome !== true) rmSync(home, { recursive: true, force: true });
    },
  };
}
