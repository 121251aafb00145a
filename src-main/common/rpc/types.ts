/**
 * The generic typed RPC (docs: ARCHITECTURE.md, "One contract, one RPC"): a method table `T` (an interface whose
 * members are `(params?) => result`) and an event union `E`, carried as JSON-safe frames over any port.
 * Pure TypeScript: no Node or DOM.
 */
import type { ErrorPayload, ReckonError } from '../errors';

/** What a method table must look like: every member a function of at most one params object. */
export type RpcMethods<T> = { [K in keyof T]: (...args: never[]) => unknown };

/** A method name of `T`. */
export type RpcMethod<T> = keyof T & string;

/** A method's argument list: `[]`, `[params]` or `[params?]`. */
export type RpcArgs<T extends RpcMethods<T>, M extends RpcMethod<T>> = Parameters<T[M]>;

/** A method's params as one value: `void` when it takes none (so the argument may be left out). */
export type RpcParams<T extends RpcMethods<T>, M extends RpcMethod<T>> = RpcArgs<T, M> extends [] ? void : RpcArgs<T, M>[0];

/** What a method resolves with (a method declared as returning a Promise resolves with its value). */
export type RpcResult<T extends RpcMethods<T>, M extends RpcMethod<T>> = Awaited<ReturnType<T[M]>>;

/** Every event is a tagged object. */
export interface RpcEvent {
  type: string;
}

/** Client -> server: one call. `params` is left out when the method takes none. */
export interface RpcCallFrame<M extends string = string> {
  kind: 'call';
  id: number;
  method: M;
  params?: unknown;
}

/** Server -> client: the reply to the call with the same id. */
export type RpcReplyFrame =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: ErrorPayload };

/** Server -> client: an event nobody asked for by id (turn events, engine progress). */
export interface RpcEventFrame<E> {
  kind: 'event';
  event: E;
}

export type RpcServerFrame<E> = RpcReplyFrame | RpcEventFrame<E>;

/**
 * One end of a link: a WebSocket, an Electron IPC channel, a child process, or an in-memory pair.
 * Incoming frames are `unknown`: they come from another process and are checked before use.
 */
export interface RpcPort<Out> {
  send(frame: Out): void;
  onFrame(cb: (frame: unknown) => void): void;
  /** The link is gone; `error` (when given) says why, and is what calls in flight reject with. */
  onClose(cb: (error?: ReckonError) => void): void;
}
