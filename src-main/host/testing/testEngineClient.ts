import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EngineEvent, EngineMethod, EngineMethods, HostToEngine } from '../../common/engineProtocol';
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
