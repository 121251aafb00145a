/**
 * Runs the engine process and keeps it running: request/response by id, events routed to the call that asked
 * for them, and supervision. When the engine dies, every in-flight call rejects with ENGINE_CRASHED, the
 * engine is restarted (backoff, a bounded number of attempts in a row, then ENGINE_UNAVAILABLE) and
 * re-initialised, and the next call works.
 */
import { ReckonError, isErrorPayload } from '../../common/errors';
import type { EngineEvent, EngineInitParams, EngineMethod, EngineMethods, EngineToHost } from '../../common/engineProtocol';
import { engineEventRequestId } from '../../common/engineProtocol';
import type { BackendInfo } from '../../common/types';
import type { EngineChannel, EngineSpawner } from '../types';

export type EngineState = 'starting' | 'ready' | 'loading' | 'crashed' | 'stopped';

export interface SupervisorOptions {
  spawn: EngineSpawner;
  /** Read at every (re)start, so settings changes apply after a restart. */
  initParams: () => EngineInitParams;
  /** Engine events with no call waiting for them (e.g. load-progress of models.load). */
  onEvent?: (e: EngineEvent) => void;
  /** Called after each crash with a user-facing message (for logging / notices). */
  onCrash?: (message: string) => void;
  /** ms to wait for 'ready' after spawning. Defaults to 30 000. */
  readyTimeoutMs?: number;
  /** Restart attempts in a row before giving up (ENGINE_UNAVAILABLE). Defaults to 4. */
  maxRestarts?: number;
  /** First restart delay in ms, doubled each failed attempt. Defaults to 250. */
  backoffMs?: number;
}

interface Pending {
  method: EngineMethod;
  resolve: (v: unknown) => void;
  reject: (e: ReckonError) => void;
  requestId?: string;
}

export interface CallOptions {
  /** Events carrying this requestId go to onEvent instead of the global listener. */
  requestId?: string;
  onEvent?: (e: EngineEvent) => void;
}

export class EngineSupervisor {
  #state: EngineState = 'stopped';
  #channel: EngineChannel | null = null;
  #pid: number | null = null;
  #restarts = 0;
  #failuresInRow = 0;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #eventRoutes = new Map<string, (e: EngineEvent) => void>();
  /** Resolves when the engine is ready (or rejects when it cannot be started). */
  #ready: Promise<void> | null = null;
  #backend: BackendInfo | null = null;
  #closed = false;
  #lastError: ReckonError | null = null;
  #recentCrashes: number[] = [];

  constructor(private readonly opts: SupervisorOptions) {}

  get state(): EngineState { return this.#state; }
  get pid(): number | null { return this.#pid; }
  get restarts(): number { return this.#restarts; }
  get backend(): BackendInfo | null { return this.#backend; }

  /** Starts the engine (idempotent); resolves when it answered init. */
  start(): Promise<void> {
    if (this.#closed) return Promise.reject(new ReckonError('ENGINE_UNAVAILABLE', 'The engine has been shut down.'));
    if (!this.#ready) {
      this.#ready = this.#startLoop(0);
      this.#ready.catch(() => undefined);
    }
    return this.#ready;
  }

  /** Calls an engine method. Waits for a (re)starting engine; a crash meanwhile rejects with ENGINE_CRASHED. */
  async call<M extends EngineMethod>(method: M, params: Parameters<EngineMethods[M]>[0] | Record<string, never>, o: CallOptions = {}): Promise<ReturnType<EngineMethods[M]>> {
    if (this.#closed) throw new ReckonError('ENGINE_UNAVAILABLE', 'The engine has been shut down.');
    if (!this.#ready) void this.start();
    try {
      await this.#ready;
    } catch (err) {
      // A failed start is not final: the next call tries again from scratch.
      this.#ready = null;
      throw ReckonError.from(err, 'ENGINE_UNAVAILABLE');
    }
    return this.#send(method, params ?? {}, o) as Promise<ReturnType<EngineMethods[M]>>;
  }

  /** Sends a call without waiting for a (re)start: used for abort, which is pointless on a fresh engine. */
  tryCall(method: EngineMethod, params: unknown): void {
    if (this.#state === 'ready' || this.#state === 'loading') void this.#send(method, params, {}).catch(() => undefined);
  }

  /** Re-sends init with the current params (backend/threads changed in settings); a no-op while not running. */
  async reinit(): Promise<void> {
    if (this.#state !== 'ready' && this.#state !== 'loading') return;
    this.#backend = (await this.#send('init', this.opts.initParams(), {})) as BackendInfo;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const ch = this.#channel;
    this.#channel = null;
    this.#failAll(new ReckonError('ENGINE_UNAVAILABLE', 'The engine was shut down.'));
    this.#state = 'stopped';
    ch?.kill();
  }

  // ---- internals ----

  #send(method: EngineMethod, params: unknown, o: CallOptions): Promise<unknown> {
    const ch = this.#channel;
    if (!ch) return Promise.reject(this.#lastError ?? new ReckonError('ENGINE_UNAVAILABLE', 'The engine is not running.'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const p: Pending = { method, resolve, reject };
      if (o.requestId !== undefined) {
        p.requestId = o.requestId;
        if (o.onEvent) this.#eventRoutes.set(o.requestId, o.onEvent);
      }
      this.#pending.set(id, p);
      if (method === 'load') this.#state = 'loading';
      try {
        ch.send({ kind: 'call', id, method, params });
      } catch (err) {
        this.#settle(id);
        reject(ReckonError.from(err, 'ENGINE_UNAVAILABLE'));
      }
    });
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    if (p.requestId !== undefined) this.#eventRoutes.delete(p.requestId);
    if (this.#state === 'loading' && ![...this.#pending.values()].some((q) => q.method === 'load')) {
      this.#state = 'ready';
    }
    return p;
  }

  #failAll(err: ReckonError): void {
    const all = [...this.#pending.keys()];
    for (const id of all) this.#settle(id)?.reject(err);
    this.#eventRoutes.clear();
  }

  async #startLoop(attempt: number): Promise<void> {
    for (let a = attempt; ; a++) {
      if (this.#closed) throw new ReckonError('ENGINE_UNAVAILABLE', 'The engine has been shut down.');
      try {
        await this.#spawnOnce();
        this.#failuresInRow = 0;
        return;
      } catch (err) {
        const e = ReckonError.from(err, 'ENGINE_UNAVAILABLE');
        this.#failuresInRow++;
        const max = this.opts.maxRestarts ?? 4;
        if (e.code === 'ENGINE_UNAVAILABLE' && /not built/.test(e.message)) throw e; // nothing a retry can fix
        if (this.#failuresInRow > max) {
          this.#state = 'stopped';
          this.#lastError = new ReckonError('ENGINE_UNAVAILABLE',
            `The engine could not be started after ${max + 1} attempts: ${e.message}`);
          throw this.#lastError;
        }
        await delay((this.opts.backoffMs ?? 250) * 2 ** (this.#failuresInRow - 1));
      }
    }
  }

  /** Spawns one engine and waits for ready + init. Rejects (and kills it) on failure. */
  #spawnOnce(): Promise<void> {
    this.#state = 'starting';
    const ch = this.opts.spawn();
    this.#channel = ch;
    this.#pid = ch.pid;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (ready) return;
        reject(new ReckonError('ENGINE_UNAVAILABLE', 'The engine did not start in time.'));
        this.#channel = null;
        ch.kill();
      }, this.opts.readyTimeoutMs ?? 30_000);
      ch.onMessage((m) => {
        if (this.#channel !== ch) return;
        if (m.kind === 'ready') {
          if (ready) return;
          ready = true;
          clearTimeout(timer);
          this.#pid = m.pid ?? ch.pid;
          this.#send('init', this.opts.initParams(), {}).then((info) => {
            this.#backend = info as BackendInfo;
            this.#state = 'ready';
            resolve();
          }, (err: unknown) => {
            reject(ReckonError.from(err, 'ENGINE_UNAVAILABLE'));
            this.#channel = null;
            ch.kill();
          });
          return;
        }
        this.#onMessage(m);
      });
      ch.onExit((info) => {
        clearTimeout(timer);
        if (this.#channel !== ch && ready) return;
        const how = info.signal ? `signal ${info.signal}` : `exit code ${info.code ?? '?'}`;
        if (!ready) {
          if (this.#channel === ch) this.#channel = null;
          reject(new ReckonError('ENGINE_UNAVAILABLE', `The engine exited while starting (${how})${info.reason ? `: ${info.reason}` : ''}.`));
          return;
        }
        this.#onCrash(how, info.reason);
      });
    });
  }

  #onMessage(m: EngineToHost): void {
    switch (m.kind) {
      case 'result':
        this.#settle(m.id)?.resolve(m.result);
        if (m.result && typeof m.result === 'object' && 'active' in m.result && 'threads' in m.result) {
          this.#backend = m.result as BackendInfo; // init / load / info all return BackendInfo
        }
        break;
      case 'error':
        this.#settle(m.id)?.reject(isErrorPayload(m.error) ? ReckonError.fromPayload(m.error)
          : new ReckonError('INTERNAL', 'The engine sent a malformed error.'));
        break;
      case 'event': {
        // A generate may load its model first: 'loading' while its progress runs.
        if (m.event.type === 'load-progress' && (this.#state === 'ready' || this.#state === 'loading')) {
          this.#state = m.event.progress < 1 ? 'loading' : 'ready';
        } else if (this.#state === 'loading' && m.event.type !== 'load-progress' && ![...this.#pending.values()].some((q) => q.method === 'load')) {
          this.#state = 'ready';
        }
        const rid = engineEventRequestId(m.event);
        const route = rid !== undefined ? this.#eventRoutes.get(rid) : undefined;
        if (route) route(m.event);
        else this.opts.onEvent?.(m.event);
        break;
      }
      default:
        break;
    }
  }

  #onCrash(how: string, reason?: string): void {
    this.#channel = null;
    this.#pid = null;
    this.#state = 'crashed';
    this.#restarts++;
    const message = `The engine stopped unexpectedly (${how}); it has been restarted. Your conversation is safe - ask again.`;
    this.opts.onCrash?.(reason ? `${message} (${reason})` : message);
    this.#failAll(new ReckonError('ENGINE_CRASHED', message, reason ? { reason } : undefined));
    if (this.#closed) return;
    // An engine that keeps dying on its own is not restarted forever: after maxRestarts crashes within a
    // minute the supervisor gives up until the next call asks for a fresh start.
    const now = Date.now();
    this.#recentCrashes = [...this.#recentCrashes.filter((t) => now - t < 60_000), now];
    if (this.#recentCrashes.length > (this.opts.maxRestarts ?? 4)) {
      this.#recentCrashes = [];
      this.#state = 'stopped';
      this.#lastError = new ReckonError('ENGINE_UNAVAILABLE', `The engine keeps stopping (${how}); it was not restarted again.`);
      this.#ready = Promise.reject(this.#lastError);
      this.#ready.catch(() => undefined);
      return;
    }
    this.#ready = this.#startLoop(0);
    this.#ready.catch(() => undefined);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
