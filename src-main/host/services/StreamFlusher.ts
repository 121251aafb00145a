/**
 * When a streaming turn's whole message is saved. The text itself is on disk sooner, in the turn's stream journal
 * (store/StreamJournal.ts); these saves keep the conversation file close behind it (so a crash leaves little to
 * replay) and carry what the journal does not (thinkingMs, plan, ledger). A fast stream must not save once per token: the first delta not yet on disk starts a timer, and when it fires
 * one save writes everything streamed so far. The end of the thinking (the thought/answer boundary) is written at
 * once. Saves never overlap: a delta that arrives while one runs is written by the next, which starts when the
 * running one ends if its timer has already fired. The Store's writes are atomic, so each save replaces the file
 * whole.
 */

export interface StreamFlusherOptions {
  /** Writes the message as it stands now (ConversationsService.save). */
  save: () => Promise<void>;
  /** Longest a streamed delta waits before a save starts, in ms. Defaults to persistIntervalMs (1000). */
  everyMs?: number;
  /** A save failed (logged; the next delta tries again). */
  onError?: (err: unknown) => void;
}

/**
 * Longest a streamed delta waits before the whole message is saved, in ms: 1000. Each save is a temp file, an
 * fsync and a rename (over 100 ms at times on a busy machine, docs/bench.md), too slow to bound a crash's loss;
 * the journal does that.
 */
export const persistIntervalMs = 1000;

export class StreamFlusher {
  #timer: NodeJS.Timeout | null = null;
  /** Deltas arrived since the last save started. */
  #dirty = false;
  /** A save that is running. */
  #saving: Promise<void> | null = null;
  /** The timer fired (or the boundary passed) while a save ran: save again as soon as it ends. */
  #due = false;
  #closed = false;

  constructor(private readonly o: StreamFlusherOptions) {}

  /** A thought or answer delta was applied to the message. */
  delta(): void {
    if (this.#closed) return;
    this.#dirty = true;
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.#saveNow();
    }, this.o.everyMs ?? persistIntervalMs);
  }

  /** The thinking ended (or another point worth keeping at once): write now. */
  boundary(): void {
    if (this.#closed) return;
    this.#dirty = true;
    this.#saveNow();
  }

  /** The turn ended: no more saves from here (the caller writes the final message); waits for one running. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#saving?.catch(() => undefined);
  }

  #saveNow(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#closed || !this.#dirty) return;
    if (this.#saving) {
      this.#due = true;
      return;
    }
    this.#dirty = false;
    this.#saving = this.o.save().catch((err: unknown) => this.o.onError?.(err)).finally(() => {
      this.#saving = null;
      if (this.#due) {
        this.#due = false;
        this.#saveNow();
      } else if (this.#dirty) {
        // Deltas arrived during the save: their timer runs from now at the latest.
        this.#timer ??= setTimeout(() => {
          this.#timer = null;
          this.#saveNow();
        }, this.o.everyMs ?? persistIntervalMs);
      }
    });
  }
}
