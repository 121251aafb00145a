/**
 * What a finished thinking trace says it computed, read off its text (pure): the results it states and the first
 * piece of its own arithmetic that does not hold. The reliability signal (reliability.ts) compares these with the
 * visible answer. Nothing here is specific to one model: any trace that writes "So 37+48=85." or "7+8+0=15" is read.
 */
// A sentence that ends in a number: "So 37+48=85.", "Yes, 85.", "The answer is 1,200." - not a column step
// ("7+8+0=15 c1 -> 5") or an expression's running value ("Now 17").
const RESULT_LINE = /(?<![\d.])(-?\d{1,3}(?:,\d{3})+|-?\d+(?:\.\d+)?)\.\s*$/;

/** The number a line states as its result (commas dropped), or null when the line is not a result line. */
export function statesResult(line: string): string | null {
  const m = RESULT_LINE.exec(line.trimEnd());
  return m === null ? null : String(Number(m[1]!.replace(/,/g, '')));
}

/** The results the thinking stated, in order: the numbers its result lines end in (statesResult). */
export function statedResults(thinking: string): string[] {
  const out: string[] = [];
  for (const line of thinking.split('\n')) {
    const r = statesResult(line);
    if (r !== null) out.push(r);
  }
  return out;
}

// An equation of whole numbers joined by + - *, e.g. "7+8+0=15", "9*7+6=63", "396*10 = 3960"; not part of a longer
// expression ("x2+3=5" or "1.5+2=3.5" are skipped: the lookbehind refuses a letter, digit or point before it).
const EQUATION = /(?<![\w.*+-])(\d{1,15}(?:\s*[-+*]\s*\d{1,15})+)\s*=\s*(-?\d{1,15})(?!\d|\.\d)/g;

// Whole numbers as written, thousands separators dropped ("1,200" -> "1200").
function numbers(text: string): string[] {
  return (text.replace(/(\d),(?=\d{3}\b)/g, '$1').match(/(?<![\d.])\d+(?![\d])/g) ?? []).map((n) => String(Number(n)));
}

/**
 * Whether the thinking wrote `n` (a whole number) other than by copying the question: it appears there more often
 * than in the question.
 */
export function reachedNumber(thinking: string, question: string, n: string): boolean {
  const count = (text: string): number => numbers(text).filter((x) => x === n).length;
  return count(thinking) > count(question);
}

/** The numbers of the question the thinking never writes (in question order, each once). */
export function unusedQuestionNumbers(thinking: string, question: string): string[] {
  const used = new Set(numbers(thinking));
  return [...new Set(numbers(question))].filter((n) => !used.has(n));
}

/**
 * The first equation in the thinking whose two sides differ (as written, spaces dropped), or null when all hold.
 * An equation that ends the text is left out: a budget cut may have stopped it inside its result ("3*8=2").
 */
export function firstArithmeticSlip(thinking: string): string | null {
  return slipIn(thinking, thinking.trimEnd().length);
}

/** The first equation of one finished line that does not hold (every equation in it is complete), or null. */
export function lineSlip(line: string): string | null {
  return slipIn(line, Infinity);
}

// The first false equation that ends before `end`.
function slipIn(text: string, end: number): string | null {
  for (const m of text.matchAll(EQUATION)) {
    if (m.index + m[0].length >= end) continue;
    const value = evaluate(m[1]!);
    if (value !== null && value !== Number(m[2])) return `${m[1]!.replace(/\s+/g, '')}=${m[2]}`;
  }
  return null;
}

/**
 * Reads a thinking trace line by line as it is written and says what it shows wrong so far (no model, no I/O):
 * an equation that does not hold, or a result line that disagrees with an earlier one. Early exit holds its trials
 * while one is seen (earlyExit.ts trialPoints), so the model goes on into its re-check instead of answering then.
 * Both stay seen once written: the trace still contains them, and the reliability rule would flag them anyway.
 */
export class TraceWatch {
  #firstResult: string | null = null;
  #problem: string | null = null;

  /** Reads one finished line (without its newline); returns the first problem seen so far, null while none. */
  read(line: string): string | null {
    if (this.#problem !== null) return this.#problem;
    const slip = lineSlip(line);
    if (slip !== null) return (this.#problem = `a step does not hold: ${slip}`);
    const r = statesResult(line);
    if (r === null) return null;
    if (this.#firstResult === null) this.#firstResult = r;
    else if (r !== this.#firstResult) this.#problem = `stated results differ: ${this.#firstResult}, then ${r}`;
    return this.#problem;
  }
}

/** + - * over whole numbers, * first, then left to right; null when a value leaves the exact integer range. */
function evaluate(expr: string): number | null {
  const parts = expr.replace(/\s+/g, '').split(/([-+])/);
  let total = 0;
  let sign = 1;
  for (const p of parts) {
    if (p === '+' || p === '-') { sign = p === '+' ? 1 : -1; continue; }
    const product = p.split('*').reduce((acc, f) => acc * Number(f), 1);
    total += sign * product;
  }
  return Number.isSafeInteger(total) ? total : null;
}
