/**
 * Trims a stream of text deltas as if the whole text were trimmed: leading whitespace is dropped and
 * trailing whitespace is held back until more text follows. Templates put newlines around `<think>`
 * and `</think>`; the user should not see them, and we still stream deltas, never snapshots.
 */
export class DeltaTrimmer {
  private started = false;
  private pending = '';

  /** Returns the part of `text` that may be shown now (possibly ''). */
  push(text: string): string {
    let t = text;
    if (!this.started) {
      t = t.replace(/^\s+/, '');
      if (t === '') return '';
      this.started = true;
    }
    const full = this.pending + t;
    const m = /\s+$/.exec(full);
    if (m === null) {
      this.pending = '';
      return full;
    }
    this.pending = m[0];
    return full.slice(0, m.index);
  }
}
