/**
 * What a finished thinking trace says it computed, read off its text (pure): the results it states and the first
 * piece of its own arithmetic that does not hold. The reliability signal (reliability.ts) compares these with the
 * visible answer. Nothing here is specific to one model: any trace that writes "So 37+48=85." or "7+8+0=15" is read.
 */
import { statesResult } from './earlyExit';

/** The results the thinking stated, in order: the numbers its result lines end in (earlyExit.ts statesResult). */
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
  const end = thinking.trimEnd().length;
  for (const m of thinking.matchAll(EQUATION)) {
    if (m.index + m[0].length >= end) continue;
    const value = evaluate(m[1]!);
    if (value !== null && value !== Number(m[2])) return `${m[1]!.replace(/\s+/g, '')}=${m[2]}`;
  }
  return null;
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
