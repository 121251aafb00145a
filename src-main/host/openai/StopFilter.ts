/**
 * OpenAI's `stop` sequences over a streamed answer: text is passed on as it comes except for a tail that could be
 * the start of a stop sequence, held back until the next piece says. When a sequence appears, the answer ends just
 * before it (the sequence itself is not returned, as OpenAI does) and the caller stops the turn.
 */
export class StopFilter {
  #stops: string[];
  #held = '';
  #hit = false;

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((s) => s !== '');
  }

  /** True once a stop sequence appeared; later pieces are dropped. */
  get hit(): boolean {
    return this.#hit;
  }

  /** Takes a piece of the answer; returns what may be passed on now. */
  push(piece: string): string {
    if (this.#hit) return '';
    if (this.#stops.length === 0) return piece;
    const text = this.#held + piece;
    let cut = -1;
    for (const s of this.#stops) {
      const at = text.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.#hit = true;
      this.#held = '';
      return text.slice(0, cut);
    }
    // The longest tail of `text` that is a proper prefix of some stop sequence waits for the next piece.
    let keep = 0;
    for (const s of this.#stops) {
      for (let n = Math.min(s.length - 1, text.length); n > keep; n--) {
        if (text.endsWith(s.slice(0, n))) { keep = n; break; }
      }
    }
    this.#held = text.slice(text.length - keep);
    return text.slice(0, text.length - keep);
  }

  /** The answer ended: whatever was held back is plain text after all. */
  flush(): string {
    const out = this.#hit ? '' : this.#held;
    this.#held = '';
    return out;
  }
}

/** The answer as returned when stop sequences apply to a whole text: cut before the first one. */
export function cutAtStop(text: string, stops: readonly string[]): { text: string; hit: boolean } {
  const f = new StopFilter(stops);
  const head = f.push(text);
  return f.hit ? { text: head, hit: true } : { text: head + f.flush(), hit: false };
}
