/**
 * The engine's stderr as a crash reason. llama.cpp writes its assertion text ("ggml.c:1234: GGML_ASSERT(x)
 * failed") to stderr just before it aborts, but the same stream also holds what earlier work wrote - the log of a
 * load that failed and was answered with an error minutes ago. `mark()` is called whenever the engine answers a
 * call: what it wrote before that belongs to work that is over, so the reason is only what came after.
 */

/** Lines that say why a process is dying, in the words of llama.cpp, ggml, the C++ runtime and Node. */
const failureLine = /GGML_ASSERT|assert|abort|terminate called|fatal|error|exception|segmentation|panic|out of memory/i;

/** Longest reason kept, in characters. */
const maxReason = 300;
/** Most stderr kept since the last mark, in characters (the end is what matters). */
const maxKept = 8000;

export class FailureLog {
  #since = '';

  /** Appends what the engine wrote to stderr. */
  write(chunk: string): void {
    this.#since = (this.#since + chunk).slice(-maxKept);
  }

  /** The engine answered a call: everything written so far belongs to finished work. */
  mark(): void {
    this.#since = '';
  }

  /**
   * Why the engine died, from what it wrote since the last mark: the last line that reads like a failure (an
   * assertion, an abort, an error), else the last line; control characters dropped. Undefined when it wrote nothing.
   */
  reason(): string | undefined {
    const lines = this.#since.split(/\r?\n/).map((l) => printable(l).trim()).filter((l) => l !== '');
    const pick = [...lines].reverse().find((l) => failureLine.test(l)) ?? lines.at(-1);
    if (pick === undefined) return undefined;
    return pick.length > maxReason ? `${pick.slice(0, maxReason - 3)}...` : pick;
  }
}

/** Control characters (terminal colours, raw bytes) as spaces. */
function printable(line: string): string {
  return Array.from(line, (ch) => {
    const c = ch.charCodeAt(0);
    return c < 0x20 || c === 0x7f ? ' ' : ch;
  }).join('');
}
