/**
 * Runs the engine process and keeps it running: calls over the generic typed RPC (common/rpc), typed by
 * EngineMethods, events routed to the call that asked for them, and supervision. When the engine dies, every
 * in-flight call rejects with ENGINE_CRASHED, the engine is restarted (backoff, a bounded number of attempts in a
 * row, then ENGINE_UNAVAILABLE) and re-initialised, and the next call works.
 * Every crash is told as it is: the ENGINE_CRASHED details (common/engineCrash.ts) say 'restarting' while the
 * fresh engine is starting, 'not-restarted' when the crash-loop guard gave up, 'shutting-down' once Reckon is
 * closing; `crashSettled()` waits for the outcome ('restarted' or 'not-restarted'), and `onCrash` is told only
 * then, so a log line never says "restarted" before it is true, nor "unexpectedly" at shutdown.
 */
import { engineCrashMessage, type EngineCrashDetails, type EngineRestart } from '../../common/engineCrash';
import { ReckonError } from '../../common/errors';
import type { EngineEvent, EngineInitParams, EngineMethod, EngineMethods, HostToEngine } from '../../common/engineProtocol';
import { engineEventRequestId } from '../../common/engineProtocol';
import { RpcClient } from '../../common/rpc/RpcClient';
import type { RpcParams, RpcPort, RpcResult } from '../../common/rpc/types';
import type { BackendInfo } from '../../common/types';
import type { EngineChannel, EngineSpawner } from '../types';

export type EngineState = 'starting' | 'ready' | 'loading' | 'crashed' | 'stopped';

/** One engine crash as the supervisor saw it: the details every reader gets, and its crash number in this run. */
export interface EngineCrashReport extends EngineCrashDetails {
  /** 1 for the first crash this supervisor saw, 2 for the next...: tells two turns failing on one crash apart from two crashes. */
  crash: number;
}

export interface SupervisorOptions {
  spawn: EngineSpawner;
  /** Read at every (re)start, so settings changes apply after a restart. */
  initParams: () => EngineInitParams;
  /** Engine events with no call waiting for them (e.g. load-progress of models.load). */
  onEvent?: (e: EngineEvent) => void;
  /**
   * Called once per crash, when what the supervisor did about it is known (restarted, not restarted, or Reckon
   * closed meanwhile): the details for a log line or a notice (engineCrashMessage makes the sentence).
   */
  onCrash?: (report: EngineCrashReport) => void;
  /** ms to wait for 'ready' after spawning. Defaults to 30 000. */
  readyTimeoutMs?: number;
  /** Restart attempts in a row before giving up (ENGINE_UNAVAILABLE). Defaults to 4. */
  maxRestarts?: number;
  /** First restart delay in ms, doubled each failed attempt. Defaults to 250. */
  backoffMs?: number;
}

/** The params of an engine method (left out for one that takes none). */
export type EngineParams<M extends EngineMethod> = RpcParams<EngineMethods, M>;
/** A call's arguments after the method: its params (left out for a method without), then the call options. */
export type EngineCallArgs<M extends EngineMethod> = Parameters<EngineMethods[M]> extends []
  ? [params?: undefined, o?: CallOptions]
  : [params: EngineParams<M>, o?: CallOptions];
/** What an engine method resolves with. */
export type EngineResult<M extends EngineMethod> = RpcResult<EngineMethods, M>;

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
  readonly #rpc = new RpcClient<EngineMethods, EngineEvent>({ linkErrorCode: 'ENGINE_UNAVAILABLE' });
  /** load calls in flight: the state reads 'loading' while there is one. */
  #loadsInFlight = 0;
  #eventRoutes = new Map<string, (e: EngineEvent) => void>();
  /** Resolves when the engine is ready (or rejects when it cannot be started). */
  #ready: Promise<void> | null = null;
  #backend: BackendInfo | null = null;
  #closed = false;
  /** Set by beginShutdown: nothing is restarted any more and a dying engine is part of the shutdown. */
  #closing = false;
  #lastError: ReckonError | null = null;
  #recentCrashes: number[] = [];
  /** The latest crash, its outcome once known, and how to settle it. */
  #crash: { report: EngineCrashReport; settled: Promise<EngineCrashReport>; settle: (restart: EngineRestart, why?: string) => void } | null = null;

  #spawn: EngineSpawner;
  /** Bumped by replace(): a start loop of the engine replaced stops trying. */
  #generation = 0;

  constructor(private readonly opts: SupervisorOptions) {
    this.#spawn = opts.spawn;
    this.#rpc.onEvent((e) => this.#onEvent(e));
  }

  get state(): EngineState { return this.#state; }
  get pid(): number | null { return this.#pid; }
  get restarts(): number { return this.#restarts; }
  get backend(): BackendInfo | null { return this.#backend; }
  /** The latest crash (its restart field updated when the outcome is known); null before the first. */
  get lastCrash(): EngineCrashReport | null { return this.#crash === null ? null : { ...this.#crash.report }; }

  /**
   * Resolves with the latest crash once what was done about it is known: 'restarted' when the fresh engine
   * answered init, 'not-restarted' when it could not be started or the crash-loop guard gave up, 'shutting-down'
   * when Reckon began closing first. Null when there was no crash.
   */
  crashSettled(): Promise<EngineCrashReport | null> {
    return this.#crash === null ? Promise.resolve(null) : this.#crash.settled;
  }

  /**
   * Reckon is closing: a crash from now on (the engine taking the same SIGTERM as the host) is part of the
   * shutdown, nothing is restarted, and a restart under way is settled 'shutting-down'. close() calls it too.
   */
  beginShutdown(): void {
    this.#closing = true;
    this.#crash?.settle('shutting-down');
  }

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
  async call<M extends EngineMethod>(method: M, ...[params, o = {}]: EngineCallArgs<M>): Promise<EngineResult<M>> {
    if (this.#closed) throw new ReckonError('ENGINE_UNAVAILABLE', 'The engine has been shut down.');
    if (!this.#ready) void this.start();
    try {
      await this.#ready;
    } catch (err) {
      // A failed start is not final: the next call tries again from scratch.
      this.#ready = null;
      throw ReckonError.from(err, 'ENGINE_UNAVAILABLE');
    }
    return this.#send(method, params as EngineParams<M>, o);
  }

  /** Sends a call without waiting for a (re)start: used for abort, which is pointless on a fresh engine. */
  tryCall<M extends EngineMethod>(method: M, params: EngineParams<M>): void {
    if (this.#state === 'ready' || this.#state === 'loading') void this.#send(method, params, {}).catch(() => undefined);
  }

  /** Re-sends init with the current params (backend/threads changed in settings); a no-op while not running. */
  async reinit(): Promise<void> {
    if (this.#state !== 'ready' && this.#state !== 'loading') return;
    this.#backend = await this.#send('init', this.opts.initParams(), {});
  }

  /**
   * Switches to another engine (Settings > Engine's Apply): the running process is stopped (its calls reject with
   * ENGINE_UNAVAILABLE, which is no crash: nothing restarts it), and one from `spawn` is started; resolves when it
   * answered init, rejects as start() does. Callers end running turns first.
   */
  async replace(spawn: EngineSpawner): Promise<void> {
    if (this.#closed || this.#closing) throw new ReckonError('ENGINE_UNAVAILABLE', 'The engine has been shut down.');
    const ch = this.#channel;
    this.#channel = null; // its exit is no crash: onExit ignores a channel that is not the current one
    this.#rpc.disconnect(new ReckonError('ENGINE_UNAVAILABLE', 'The engine was switched to another one.'));
    this.#eventRoutes.clear();
    ch?.kill();
    this.#spawn = spawn;
    this.#generation++;
    this.#state = 'stopped';
    this.#pid = null;
    this.#backend = null;
    this.#lastError = null;
    this.#failuresInRow = 0;
    this.#ready = null;
    return this.start();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.beginShutdown();
    this.#closed = true;
    const ch = this.#channel;
    this.#channel = null;
    this.#rpc.disconnect(new ReckonError('ENGINE_UNAVAILABLE', 'The engine was shut down.'));
    this.#eventRoutes.clear();
    this.#state = 'stopped';
    ch?.kill();
  }

  // ---- internals ----

  #send<M extends EngineMethod>(method: M, params: EngineParams<M>, o: CallOptions): Promise<EngineResult<M>> {
    if (!this.#channel || !this.#rpc.connected) {
      return Promise.reject(this.#lastError ?? new ReckonError('ENGINE_UNAVAILABLE', 'The engine is not running.'));
    }
    const route = o.requestId !== undefined && o.onEvent ? { id: o.requestId, cb: o.onEvent } : null;
    if (route) this.#eventRoutes.set(route.id, route.cb);
    if (method === 'load') {
      this.#loadsInFlight++;
      this.#state = 'loading';
    }
    const settle = (): void => {
      if (route && this.#eventRoutes.get(route.id) === route.cb) this.#eventRoutes.delete(route.id);
      if (method === 'load') this.#loadsInFlight--;
      if (this.#state === 'loading' && this.#loadsInFlight === 0) this.#state = 'ready';
    };
    return this.#rpc.request(method, params).then((result) => {
      settle();
      if (isBackendInfo(result)) this.#backend = result; // init / load / info all answer with the backend
      return result;
    }, (err: unknown) => {
      settle();
      throw err;
    });
  }

  async #startLoop(attempt: number): Promise<void> {
    const generation = this.#generation;
    for (let a = attempt; ; a++) {
      if (this.#closed || this.#closing) throw new ReckonError('ENGINE_UNAVAILABLE', 'The engine has been shut down.');
      if (generation !== this.#generation) throw new ReckonError('ENGINE_UNAVAILABLE', 'The engine was switched to another one.');
      try {
        await this.#spawnOnce();
        this.#failuresInRow = 0;
        return;
      } catch (err) {
        const e = ReckonError.from(err, 'ENGINE_UNAVAILABLE');
        if (generation !== this.#generation) throw e; // replaced meanwhile: the new engine's state is not ours to touch
        this.#failuresInRow++;
        const max = this.opts.maxRestarts ?? 4;
        if (e.code === 'ENGINE_UNAVAILABLE' && /not built/.test(e.message)) throw e; // nothing a retry can fix
        // A remote engine's server is down or refused the key: restarting the (healthy) process cannot fix that, and
        // the caller should see the code; the next call tries again from scratch.
        if (e.code === 'ENGINE_UNREACHABLE' || e.code === 'ENGINE_AUTH_FAILED') {
          this.#state = 'stopped';
          throw e;
        }
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
    const ch = this.#spawn();
    this.#channel = ch;
    this.#pid = ch.pid;
    // The RPC's port over this channel; it is connected once the engine says 'ready'. A dying engine is reported
    // by #onCrash, which disconnects the client with the crash reason.
    let toClient: ((f: unknown) => void) | null = null;
    const port: RpcPort<HostToEngine> = {
      send: (f) => ch.send(f),
      onFrame: (cb) => {
        toClient = cb;
      },
      onClose: () => undefined,
    };
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
          this.#rpc.connect(port);
          this.#send('init', this.opts.initParams(), {}).then((info) => {
            this.#backend = info;
            this.#state = 'ready';
            resolve();
          }, (err: unknown) => {
            reject(ReckonError.from(err, 'ENGINE_UNAVAILABLE'));
            this.#channel = null;
            ch.kill();
          });
          return;
        }
        toClient?.(m);
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
        this.#onCrash(how, info.signal, info.reason);
      });
    });
  }

  #onEvent(e: EngineEvent): void {
    // A generate may load its model first: 'loading' while its progress runs.
    if (e.type === 'load-progress' && (this.#state === 'ready' || this.#state === 'loading')) {
      this.#state = e.progress < 1 ? 'loading' : 'ready';
    } else if (this.#state === 'loading' && e.type !== 'load-progress' && this.#loadsInFlight === 0) {
      this.#state = 'ready';
    }
    const rid = engineEventRequestId(e);
    const route = rid !== undefined ? this.#eventRoutes.get(rid) : undefined;
    if (route) route(e);
    else this.opts.onEvent?.(e);
  }

  #onCrash(how: string, signal: string | null, reason?: string): void {
    this.#channel = null;
    this.#pid = null;
    this.#state = 'crashed';
    this.#restarts++;
    // An engine that keeps dying on its own is not restarted forever: after maxRestarts crashes within a
    // minute the supervisor gives up until the next call asks for a fresh start. Decided first, so the
    // message says what really happens; while closing nothing restarts.
    const now = Date.now();
    const closing = this.#closing || this.#closed;
    if (!closing) this.#recentCrashes = [...this.#recentCrashes.filter((t) => now - t < 60_000), now];
    const giveUp = !closing && this.#recentCrashes.length > (this.opts.maxRestarts ?? 4);
    const restart: EngineRestart = closing ? 'shutting-down' : giveUp ? 'not-restarted' : 'restarting';
    const report: EngineCrashReport = {
      crash: this.#restarts, how, restart, restarted: false,
      ...(signal !== null ? { signal } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(giveUp ? { notRestartedWhy: `it stopped ${this.#recentCrashes.length} times within a minute` } : {}),
    };
    this.#record(report);
    this.#rpc.disconnect(new ReckonError('ENGINE_CRASHED', engineCrashMessage(report), { ...report }));
    this.#eventRoutes.clear();
    if (closing) {
      this.#state = 'stopped';
      return;
    }
    if (giveUp) {
      this.#recentCrashes = [];
      this.#state = 'stopped';
      this.#lastError = new ReckonError('ENGINE_UNAVAILABLE', `The engine keeps stopping (${how}); it was not restarted again.`);
      // Nothing runs until asked: the next call (the user's Retry, the next question) starts a fresh engine.
      this.#ready = null;
      return;
    }
    const ready = this.#startLoop(0);
    this.#ready = ready;
    const settle = this.#crash!.settle;
    ready.then(() => settle('restarted'), (err: unknown) => settle('not-restarted', `it could not be started again: ${ReckonError.from(err).message}`));
  }

  /** Keeps the crash as the latest, with a promise of its outcome; onCrash hears of it once that is known. */
  #record(report: EngineCrashReport): void {
    let resolve!: (r: EngineCrashReport) => void;
    const settled = new Promise<EngineCrashReport>((r) => { resolve = r; });
    let done = false;
    const settle = (restart: EngineRestart, why?: string): void => {
      if (done) return;
      done = true;
      report.restart = restart;
      report.restarted = restart === 'restarted';
      if (why !== undefined && restart === 'not-restarted') report.notRestartedWhy = why;
      resolve({ ...report });
    };
    // A newer crash leaves the older one's outcome as it stands now (its restart did not survive).
    this.#crash?.settle(this.#closing ? 'shutting-down' : 'not-restarted', 'it stopped again while starting');
    this.#crash = { report, settled, settle };
    if (report.restart !== 'restarting') settle(report.restart);
    void settled.then((r) => {
      try {
        this.opts.onCrash?.(r);
      } catch (err) {
        process.stderr.write(`reckon: the crash listener failed: ${(err as Error).message}\n`);
      }
    });
  }
}

function isBackendInfo(v: unknown): v is BackendInfo {
  return typeof v === 'object' && v !== null && 'active' in v && 'threads' in v;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
