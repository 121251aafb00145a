import { ReckonError, isErrorPayload, type ErrorCode } from '../errors';
import { isServerFrame } from './frames';
import type { RpcArgs, RpcCallFrame, RpcEvent, RpcMethod, RpcMethods, RpcParams, RpcPort, RpcResult } from './types';

export interface RpcClientOptions {
  /**
   * Code of the errors the link itself causes: a call that cannot be sent, calls in flight when the port closes
   * without saying why, calls made while no port is connected (unless they are queued). Defaults to 'IO_ERROR'.
   */
  linkErrorCode?: ErrorCode;
  /** Calls made while no port is connected wait and go out on the next `connect`. Defaults to false (they reject). */
  queueWhileDisconnected?: boolean;
  /**
   * Called when an event listener throws; the other listeners still get the event. Defaults to rethrowing the
   * first such error once every listener ran.
   */
  onListenerError?: (err: unknown) => void;
}

interface Pending {
  frame: RpcCallFrame;
  sent: boolean;
  resolve(v: unknown): void;
  reject(e: ReckonError): void;
}

/**
 * The client half of the typed RPC over `<T, E>`: numbers calls, matches replies to them by id, turns error
 * replies into ReckonError (the code kept), fans events out, and rejects every call in flight when its port goes.
 * One port at a time; a transport that reconnects (WebSocket, a restarted engine) connects the next one.
 */
export class RpcClient<T extends RpcMethods<T>, E extends RpcEvent> {
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(e: E) => void>();
  #port: RpcPort<RpcCallFrame<RpcMethod<T>>> | null = null;
  readonly #opts: RpcClientOptions;

  constructor(opts: RpcClientOptions = {}) {
    this.#opts = opts;
  }

  /** Calls a method: `call('conversations.get', { id })`; a method without params takes no second argument. */
  call<M extends RpcMethod<T>>(method: M, ...args: RpcArgs<T, M>): Promise<RpcResult<T, M>> {
    return this.request(method, args[0] as RpcParams<T, M>);
  }

  /** The same call with its params as one value (for wrappers that pass options after the params). */
  request<M extends RpcMethod<T>>(method: M, params: RpcParams<T, M>): Promise<RpcResult<T, M>> {
    const id = this.#nextId++;
    const frame: RpcCallFrame<M> = params === undefined ? { kind: 'call', id, method } : { kind: 'call', id, method, params };
    return new Promise<RpcResult<T, M>>((resolve, reject) => {
      const p: Pending = { frame, sent: false, resolve: resolve as (v: unknown) => void, reject };
      const port = this.#port;
      if (port === null && this.#opts.queueWhileDisconnected !== true) {
        reject(this.#linkError('Not connected.'));
        return;
      }
      this.#pending.set(id, p);
      if (port !== null) this.#transmit(port, p);
    });
  }

  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (e: E) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Attaches a port (replacing any other) and sends the calls that waited for one. */
  connect(port: RpcPort<RpcCallFrame<RpcMethod<T>>>): void {
    this.#port = port;
    port.onFrame((f) => {
      if (this.#port === port) this.handleFrame(f);
    });
    port.onClose((error) => {
      if (this.#port === port) this.disconnect(error);
    });
    for (const p of [...this.#pending.values()]) if (!p.sent && this.#port === port) this.#transmit(port, p);
  }

  /** Detaches the port: frames from it are ignored from now on, and every pending call rejects with `error`. */
  disconnect(error?: ReckonError): void {
    this.#port = null;
    this.failAll(error ?? this.#linkError('The connection closed before the reply arrived.'));
  }

  get connected(): boolean {
    return this.#port !== null;
  }

  /** Handles one frame from the server; returns false for frames it cannot use (malformed, unknown id). */
  handleFrame(frame: unknown): boolean {
    if (!isServerFrame(frame)) return false;
    if (frame.kind === 'event') {
      this.#deliver(frame.event as E);
      return true;
    }
    const p = this.#pending.get(frame.id);
    if (p === undefined || !p.sent) return false;
    this.#pending.delete(frame.id);
    if (frame.kind === 'result') p.resolve(frame.result);
    else p.reject(isErrorPayload(frame.error) ? ReckonError.fromPayload(frame.error) : new ReckonError('INTERNAL', 'The peer sent a malformed error reply.'));
    return true;
  }

  /** Rejects every pending call (their replies will never come). */
  failAll(error: ReckonError): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(error);
  }

  /** Calls waiting for a reply (or for a port). */
  get inFlight(): number {
    return this.#pending.size;
  }

  #transmit(port: RpcPort<RpcCallFrame<RpcMethod<T>>>, p: Pending): void {
    p.sent = true;
    try {
      port.send(p.frame as RpcCallFrame<RpcMethod<T>>);
    } catch (err) {
      this.#pending.delete(p.frame.id);
      p.reject(ReckonError.from(err, this.#opts.linkErrorCode ?? 'IO_ERROR'));
    }
  }

  #deliver(event: E): void {
    let first: { err: unknown } | null = null;
    for (const l of [...this.#listeners]) {
      try {
        l(event);
      } catch (err) {
        // One faulty listener must not starve the others of the stream.
        if (this.#opts.onListenerError) this.#opts.onListenerError(err);
        else first ??= { err };
      }
    }
    if (first !== null) throw first.err;
  }

  #linkError(message: string): ReckonError {
    return new ReckonError(this.#opts.linkErrorCode ?? 'IO_ERROR', message);
  }
}
