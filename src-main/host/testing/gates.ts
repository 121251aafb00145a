/**
 * Named pause points for scripted engine calls (fakeEngine.ts `script`): a script awaits `wait(name)` and stays
 * there until the test calls `open(name)`, so a test asserts each intermediate state while it holds still and
 * then releases the next step - nothing advances on a wall-clock delay.
 * An opened gate stays open until `reset()`, so opening before the script gets there is not lost.
 */

/** Why a gate wait ended without its gate opening (the call was aborted or the engine went away). */
export class GateAborted extends Error {
  override readonly name = 'GateAborted';
  constructor(readonly gate: string) {
    super(`aborted while waiting at gate '${gate}'`);
  }
}

export class Gates {
  #open = new Set<string>();
  /** Waiters parked at each gate. */
  #parked = new Map<string, Set<() => void>>();
  /** Tests waiting for a script to arrive at a gate. */
  #arrivals = new Map<string, Set<() => void>>();
  /** Gates a script has arrived at since the last reset (waited at, or passed because they were open). */
  #reached = new Set<string>();

  /** Resolves when `name` is open; rejects with GateAborted when `signal` aborts first. */
  wait(name: string, signal?: AbortSignal): Promise<void> {
    this.#arrive(name);
    if (this.#open.has(name)) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(new GateAborted(name));
    return new Promise<void>((resolve, reject) => {
      const waiters = this.#parked.get(name) ?? new Set<() => void>();
      this.#parked.set(name, waiters);
      const onAbort = (): void => {
        waiters.delete(release);
        reject(new GateAborted(name));
      };
      const release = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      waiters.add(release);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Opens a gate: releases whoever waits there now and lets later waits pass. */
  open(name: string): void {
    this.#open.add(name);
    const waiters = this.#parked.get(name);
    this.#parked.delete(name);
    for (const release of waiters ?? []) release();
  }

  /** Resolves once a script has arrived at `name` (at once when one already did since the last reset). */
  reached(name: string): Promise<void> {
    if (this.#reached.has(name)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const set = this.#arrivals.get(name) ?? new Set<() => void>();
      this.#arrivals.set(name, set);
      set.add(resolve);
    });
  }

  /** Names of the gates someone is parked at now. */
  waiting(): string[] {
    return [...this.#parked].filter(([, w]) => w.size > 0).map(([n]) => n).sort();
  }

  /** Closes every gate and forgets arrivals; parked waiters stay parked. */
  reset(): void {
    this.#open.clear();
    this.#reached.clear();
  }

  #arrive(name: string): void {
    this.#reached.add(name);
    const set = this.#arrivals.get(name);
    this.#arrivals.delete(name);
    for (const resolve of set ?? []) resolve();
  }
}
