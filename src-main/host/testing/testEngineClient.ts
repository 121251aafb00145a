import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EngineEvent, EngineMethod, EngineMethods, EngineToHost } from '../../common/engineProtocol';
import { ReckonError } from '../../common/errors';

type Result<M extends EngineMethod> = ReturnType<EngineMethods[M]>;
type Params<M extends EngineMethod> = Parameters<EngineMethods[M]>[0];

/**
 * A minimal host for model tests: forks the real engine entry (TypeScript through tsx), sends calls,
 * collects events. Not the app's supervisor - just enough to drive the protocol end to end.
 */
export class TestEngineClient {
  readonly events: EngineEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { ok: (v: unknown) => void; fail: (e: unknown) => void }>();
  private readonly readyPromise: Promise<number>;
  private listeners: ((e: EngineEvent) => void)[] = [];

  constructor() {
    this.child = fork(fileURLToPath(new URL('../../engine/engineProcess.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let ready!: (pid: number) => void;
    this.readyPromise = new Promise((r) => (ready = r));
    this.child.on('message', (raw) => {
      const msg = raw as EngineToHost;
      if (msg.kind === 'ready') ready(msg.pid);
      else if (msg.kind === 'event') {
        this.events.push(msg.event);
        for (const l of this.listeners) l(msg.event);
      } else {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.kind === 'result') p?.ok(msg.result);
        else p?.fail(ReckonError.fromPayload(msg.error));
      }
    });
    this.exited = new Promise((r) =>
      this.child.on('exit', (code, signal) => {
        for (const p of this.pending.values()) p.fail(new ReckonError('ENGINE_CRASHED', `engine exited (${code ?? signal})`));
        this.pending.clear();
        r({ code, signal });
      }),
    );
  }

  ready(): Promise<number> {
    return this.readyPromise;
  }

  onEvent(l: (e: EngineEvent) => void): void {
    this.listeners.push(l);
  }

  call<M extends EngineMethod>(method: M, params?: Params<M>): Promise<Result<M>> {
    const id = this.nextId++;
    return new Promise((ok, fail) => {
      this.pending.set(id, { ok: ok as (v: unknown) => void, fail });
      if (!this.child.connected) {
        this.pending.delete(id);
        fail(new ReckonError('ENGINE_CRASHED', 'the engine is not running'));
        return;
      }
      this.child.send({ kind: 'call', id, method, params: params ?? {} });
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill();
    await this.exited;
  }
}
