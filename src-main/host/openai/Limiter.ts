/**
 * Concurrency of API turns: up to `maxConcurrent` run, up to `maxQueued` wait in arrival order, and any more are
 * refused at once (RATE_LIMITED, answered 429 with Retry-After). Limits are read on every acquire, so a settings
 * change applies to the next request.
 */
import { ReckonError } from '../../common/errors';

export interface LimiterLimits {
  maxConcurrent: number;
  maxQueued: number;
}

interface Waiter {
  grant: () => void;
}

export class Limiter {
  #running = 0;
  #queue: Waiter[] = [];
  /** Recent turn durations (ms), for Retry-After. */
  #recent: number[] = [];

  constructor(private readonly limits: () => LimiterLimits) {}

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Resolves with a release function once a slot is free; rejects with RATE_LIMITED (details.retryAfterSeconds)
   * when the queue is full, or TURN_ABORTED when `signal` aborts while waiting.
   */
  acquire(signal: AbortSignal): Promise<() => void> {
    const { maxConcurrent, maxQueued } = this.limits();
    if (this.#running < maxConcurrent && this.#queue.length === 0) return Promise.resolve(this.#grant());
    if (this.#queue.length >= maxQueued) {
      return Promise.reject(new ReckonError('RATE_LIMITED', `Too many requests: ${this.#running} running and ${this.#queue.length} waiting; retry later.`, { retryAfterSeconds: this.retryAfterSeconds() }));
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.#grant());
        },
      };
      const onAbort = (): void => {
        const i = this.#queue.indexOf(w);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(new ReckonError('TURN_ABORTED', 'The client went away while the request waited.'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(w);
    });
  }

  /** Seconds until a slot is likely free: the mean recent turn times the turns ahead, at least 1. */
  retryAfterSeconds(): number {
    const mean = this.#recent.length === 0 ? 1000 : this.#recent.reduce((a, b) => a + b, 0) / this.#recent.length;
    const ahead = this.#queue.length + 1;
    return Math.max(1, Math.ceil((mean * ahead) / Math.max(1, this.limits().maxConcurrent) / 1000));
  }

  #grant(): () => void {
    this.#running++;
    const started = Date.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#recent.push(Date.now() - started);
      if (this.#recent.length > 20) this.#recent.shift();
      this.#running--;
      const { maxConcurrent } = this.limits();
      while (this.#running < maxConcurrent && this.#queue.length > 0) this.#queue.shift()!.grant();
    };
  }
}
