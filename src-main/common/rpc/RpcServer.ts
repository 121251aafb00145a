import { ReckonError } from '../errors';
import { isCallFrame } from './frames';
import type { RpcEvent, RpcPort, RpcReplyFrame, RpcServerFrame } from './types';

/**
 * Runs one call as it arrived from a peer. It owns the method table: an unknown method or params that do not
 * parse reject with BAD_REQUEST (the host's router, the engine's EngineService.call).
 */
export type RpcDispatch = (method: string, params: unknown) => Promise<unknown>;

/**
 * The server half of the typed RPC: checks each frame, dispatches the call, answers with a result frame or an
 * error frame carrying the ReckonError payload (`{code, message, details}`), and sends events to every port it
 * serves. A malformed frame is answered with BAD_REQUEST (id 0 when it has no usable id), never a throw.
 */
export class RpcServer<E extends RpcEvent> {
  readonly #ports = new Set<RpcPort<RpcServerFrame<E>>>();

  constructor(private readonly dispatch: RpcDispatch) {}

  /** Serves calls from `port` and sends it every event until it closes; returns a function that stops serving it. */
  serve(port: RpcPort<RpcServerFrame<E>>): () => void {
    this.#ports.add(port);
    port.onFrame((frame) => {
      if (this.#ports.has(port)) this.handleFrame(frame, (reply) => port.send(reply));
    });
    port.onClose(() => this.#ports.delete(port));
    return () => {
      this.#ports.delete(port);
    };
  }

  /** Handles one incoming frame; `reply` gets exactly one reply frame, later (never before this returns). */
  handleFrame(frame: unknown, reply: (f: RpcReplyFrame) => void): void {
    const send = (f: RpcReplyFrame): void => {
      try {
        reply(f);
      } catch {
        // The peer went away between its call and our answer: nobody is left to tell.
      }
    };
    if (!isCallFrame(frame)) {
      const raw = typeof frame === 'object' && frame !== null ? (frame as { id?: unknown }).id : undefined;
      const id = typeof raw === 'number' && Number.isSafeInteger(raw) ? raw : 0;
      void Promise.resolve().then(() => send({ kind: 'error', id, error: { code: 'BAD_REQUEST', message: 'Expected {kind: "call", id: number, method: string, params?}.' } }));
      return;
    }
    const { id, method, params } = frame;
    let running: Promise<unknown>;
    try {
      // Dispatched at once, as a direct call would be: the handler's synchronous part runs before this returns.
      running = this.dispatch(method, params);
    } catch (err) {
      running = Promise.reject(err);
    }
    void running.then(
      (result) => send({ kind: 'result', id, result: result ?? null }),
      (err: unknown) => send({ kind: 'error', id, error: ReckonError.from(err).toPayload() }),
    );
  }

  /** Sends an event to every port served; one failing port does not keep it from the others. */
  emit(event: E): void {
    const frame: RpcServerFrame<E> = { kind: 'event', event };
    let first: { err: unknown } | null = null;
    for (const port of [...this.#ports]) {
      try {
        port.send(frame);
      } catch (err) {
        first ??= { err };
      }
    }
    if (first !== null) throw first.err;
  }

  /** Ports served now. */
  get ports(): number {
    return this.#ports.size;
  }
}
