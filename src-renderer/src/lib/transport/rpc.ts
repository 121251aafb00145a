import type { ApiMethod, ClientFrame, ServerFrame } from '$common/api';
import { ReckonError, isErrorPayload } from '$common/errors';
import type { TurnEvent } from '$common/events';

interface Pending {
  resolve(v: unknown): void;
  reject(e: ReckonError): void;
}

/**
 * Request/response bookkeeping for a frame-based transport, independent of the socket:
 * numbers calls, matches result/error frames to them, fans event frames out.
 */
export class RpcCore {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: TurnEvent) => void>();

  /** Builds the frame for a call and the promise its reply settles. */
  request(method: ApiMethod, params: unknown): { frame: ClientFrame; reply: Promise<unknown> } {
    const id = this.nextId++;
    const frame: ClientFrame = params === undefined ? { kind: 'call', id, method } : { kind: 'call', id, method, params };
    const reply = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    return { frame, reply };
  }

  /** Handles one incoming text frame; malformed frames are ignored (returns false). */
  handleText(text: string): boolean {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return false;
    }
    return this.handleFrame(frame);
  }

  handleFrame(frame: unknown): boolean {
    if (!isServerFrame(frame)) return false;
    if (frame.kind === 'event') {
      for (const l of this.listeners) {
        try {
          l(frame.event);
        } catch (err) {
          // One faulty listener must not starve the others of the stream.
          console.error('turn event listener failed', err);
        }
      }
      return true;
    }
    const p = this.pending.get(frame.id);
    if (!p) return false;
    this.pending.delete(frame.id);
    if (frame.kind === 'result') p.resolve(frame.result);
    else p.reject(isErrorPayload(frame.error) ? ReckonError.fromPayload(frame.error) : new ReckonError('INTERNAL', 'Malformed error reply'));
    return true;
  }

  /** Drops one call (e.g. it could not be sent). */
  fail(id: number, err: ReckonError): void {
    const p = this.pending.get(id);
    if (p) {
      this.pending.delete(id);
      p.reject(err);
    }
  }

  /** Rejects every call in flight (the connection dropped: their replies will never come). */
  failAll(err: ReckonError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  onEvent(listener: (e: TurnEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function isServerFrame(v: unknown): v is ServerFrame {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as { kind?: unknown; id?: unknown; event?: unknown };
  if (f.kind === 'event') return typeof f.event === 'object' && f.event !== null && typeof (f.event as { type?: unknown }).type === 'string';
  return (f.kind === 'result' || f.kind === 'error') && typeof f.id === 'number';
}
