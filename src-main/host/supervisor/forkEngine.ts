import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ReckonError } from '../../common/errors';
import type { EngineToHost } from '../../common/engineProtocol';
import { repoRoot } from '../paths';
import type { EngineChannel, EngineChoice, EngineSpawner } from '../types';
import { FailureLog } from './FailureLog';

/** Environment variables the engine may see; everything else (tokens, proxies, NODE_OPTIONS...) stays out. */
const keepExact = new Set(['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TMP', 'TEMP', 'SYSTEMROOT', 'LD_LIBRARY_PATH', 'XDG_CACHE_HOME']);
const keepPrefixes = ['CUDA_', 'GGML_', 'LLAMA_', 'NODE_LLAMA_CPP_', 'VK_', 'HIP_', 'ROCR_', 'RECKON_ENGINE_'];

export function cleanEngineEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (keepExact.has(k) || keepPrefixes.some((p) => k.startsWith(p)))) out[k] = v;
  }
  return out;
}

/** Path of the built engine entry. */
export function engineEntryPath(): string {
  return join(repoRoot(), 'out', 'main', 'engine.js');
}

/** Path of the built remote engine entry (a llama-server over HTTP). */
export function remoteEngineEntryPath(): string {
  return join(repoRoot(), 'out', 'main', 'remoteEngine.js');
}

/** The spawner of an engine choice: the built-in engine, or the remote one with its URL and key in its environment. */
export function spawnerFor(choice: EngineChoice): EngineSpawner {
  if (choice.kind === 'builtin') return forkEngineSpawner();
  return forkEngineSpawner(remoteEngineEntryPath(), {
    RECKON_ENGINE_URL: choice.url,
    ...(choice.apiKey !== undefined ? { RECKON_ENGINE_KEY: choice.apiKey } : {}),
  });
}

/**
 * The engine choice of a front door's flags and environment: `--engine <url>` (else $RECKON_ENGINE_URL) picks the
 * remote engine, `--engine-key` (else $RECKON_ENGINE_KEY) its key; neither = the built-in engine.
 */
export function engineChoiceFrom(flags: { url?: string | undefined; key?: string | undefined }, env: NodeJS.ProcessEnv = process.env): EngineChoice {
  const url = flags.url ?? (env['RECKON_ENGINE_URL'] || undefined);
  if (url === undefined) return { kind: 'builtin' };
  const key = flags.key ?? (env['RECKON_ENGINE_KEY'] || undefined);
  return { kind: 'llama-server', url, ...(key !== undefined ? { apiKey: key } : {}) };
}

/**
 * Default spawner: child_process.fork of out/main/engine.js. The engine's stdout/stderr never reach our
 * stdout (the CLI's --json output must stay clean): they are drained, and what stderr holds since the engine last
 * answered a call is the crash reason (FailureLog). RECKON_ENGINE_LOG=1 mirrors both to our stderr. `env`: set in the
 * engine's environment over the cleaned one.
 */
export function forkEngineSpawner(entry = engineEntryPath(), env: Record<string, string> = {}): EngineSpawner {
  return (): EngineChannel => {
    if (!existsSync(entry)) {
      throw new ReckonError('ENGINE_UNAVAILABLE', `The engine is not built (${entry} is missing); run \`npm run build\`.`);
    }
    const child = fork(entry, [], {
      env: { ...cleanEngineEnv(), ...env },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const mirror = process.env['RECKON_ENGINE_LOG'] === '1';
    const failures = new FailureLog();
    child.stdout?.on('data', (d: Buffer) => { if (mirror) process.stderr.write(d); });
    child.stderr?.on('data', (d: Buffer) => {
      if (mirror) process.stderr.write(d);
      failures.write(d.toString('utf8'));
    });
    const exitCbs: ((info: { code: number | null; signal: string | null; reason?: string }) => void)[] = [];
    let exited = false;
    const fire = (code: number | null, signal: string | null, reason?: string): void => {
      if (exited) return;
      exited = true;
      const r = reason ?? failures.reason();
      for (const cb of exitCbs) cb(r === undefined ? { code, signal } : { code, signal, reason: r });
    };
    // 'close' comes after 'exit' once stderr has been read to its end: the assertion text is often its last line.
    child.on('close', (code, signal) => fire(code, signal));
    child.on('error', (err) => {
      // No process (the spawn failed): the error is the whole story. A message sent to an engine that has just died
      // (EPIPE) is not why it died: 'close' follows and tells how it ended (the kill below stops one that lives on).
      if (child.pid === undefined) fire(null, null, err.message);
      else child.kill('SIGKILL');
    });
    return {
      get pid() { return child.pid ?? null; },
      send(msg) {
        if (child.connected) child.send(msg);
      },
      onMessage(cb) {
        child.on('message', (m) => {
          const msg = m as EngineToHost;
          if (msg.kind === 'result' || msg.kind === 'error') failures.mark();
          cb(msg);
        });
      },
      onExit(cb) { exitCbs.push(cb); },
      kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  };
}
