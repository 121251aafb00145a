import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineEvent, EngineInitParams, EngineMethod, EngineMethods, HostToEngine } from '../../common/engineProtocol';
import { ReckonError } from '../../common/errors';
import { RpcClient } from '../../common/rpc/RpcClient';
import type { RpcArgs, RpcPort, RpcResult } from '../../common/rpc/types';

/**
 * A minimal host for model tests: forks the real engine entry (TypeScript through tsx) and drives it with the
 * generic RPC client, typed by EngineMethods; collects events. Not the app's supervisor - just enough to drive
 * the protocol end to end.
 */
export class TestEngineClient {
  readonly events: EngineEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private readonly child: ChildProcess;
  private readonly rpc = new RpcClient<EngineMethods, EngineEvent>({ linkErrorCode: 'ENGINE_CRASHED' });
  private readonly readyPromise: Promise<number>;

  /**
   * @param remote drive the remote engine entry (engine/remote/remoteEngineProcess.ts) against this llama-server
   *   instead of the built-in engine; absent = the built-in one.
   */
  constructor(remote?: { url: string; apiKey?: string }) {
    const entry = remote === undefined ? '../../engine/engineProcess.ts' : '../../engine/remote/remoteEngineProcess.ts';
    this.child = fork(fileURLToPath(new URL(entry, import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      ...(remote !== undefined ? {
        env: { ...process.env, RECKON_ENGINE_URL: remote.url, ...(remote.apiKey !== undefined ? { RECKON_ENGINE_KEY: remote.apiKey } : {}) },
      } : {}),
    });
    let ready!: (pid: number) => void;
    this.readyPromise = new Promise((r) => (ready = r));
    this.exited = new Promise((r) => this.child.on('exit', (code, signal) => r({ code, signal })));
    const child = this.child;
    const port: RpcPort<HostToEngine> = {
      send: (frame) => {
        if (!child.connected) throw new ReckonError('ENGINE_CRASHED', 'the engine is not running');
        child.send(frame);
      },
      onFrame: (cb) => child.on('message', (m: { kind?: unknown; pid?: unknown }) => {
        if (m?.kind === 'ready' && typeof m.pid === 'number') ready(m.pid);
        else cb(m);
      }),
      onClose: (cb) => child.on('exit', (code, signal) => cb(new ReckonError('ENGINE_CRASHED', `engine exited (${code ?? signal})`))),
    };
    this.rpc.connect(port);
    this.rpc.onEvent((e) => this.events.push(e));
  }

  ready(): Promise<number> {
    return this.readyPromise;
  }

  onEvent(l: (e: EngineEvent) => void): void {
    this.rpc.onEvent(l);
  }

  call<M extends EngineMethod>(method: M, ...params: RpcArgs<EngineMethods, M>): Promise<RpcResult<EngineMethods, M>> {
    return this.rpc.call(method, ...params);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill();
    await this.exited;
  }
}

/** What a model test runs against: one engine process, started and initialised, and a temp folder. */
export interface TestEngineSession {
  readonly engine: TestEngineClient;
  /** The engine process's pid, from its ready message. */
  readonly pid: number;
  /** What init answered. */
  readonly info: RpcResult<EngineMethods, 'init'>;
  /** A temp folder for the test's files; `close` removes it. */
  readonly tmp: string;
  /** Stops the engine and removes `tmp`. */
  close(): Promise<void>;
}

/**
 * Starts the real engine, waits for its ready message and inits it with 1 thread (the test machine's cores are
 * shared) and `backend` (default 'cpu'); makes a temp folder named from `tmpPrefix`.
 */
export async function startTestEngine(o: { tmpPrefix: string; backend?: EngineInitParams['backend'] }): Promise<TestEngineSession> {
  const tmp = mkdtempSync(join(tmpdir(), o.tmpPrefix));
  const engine = new TestEngineClient();
  const close = async (): Promise<void> => {
    await engine.close();
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const pid = await engine.ready();
    const info = await engine.call('init', { backend: o.backend ?? 'cpu', threads: 1, cachedThreads: null });
    return { engine, pid, info, tmp, close };
  } catch (e) {
    await close();
    throw e;
  }
}
