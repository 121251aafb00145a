/**
 * A graded, automatically checkable calibration set for general (imported) models: arithmetic,
 * multi-step word problems, counting letters, ordering numbers, dates and weekdays. Each family has
 * three grades (…-1 easiest); every question carries its answer key and how to compare it.
 */
import { WEEKDAYS } from './answers';
import { createRng, type Rng } from './rng';
import type { CalibrationQuestion } from './types';

export const GENERAL_TIERS = [
  'arith-1', 'arith-2', 'arith-3',
  'words-1', 'words-2', 'words-3',
  'count-1', 'count-2', 'count-3',
  'order-1', 'order-2', 'order-3',
  'dates-1', 'dates-2', 'dates-3',
] as const;
export type GeneralTier = (typeof GENERAL_TIERS)[number];

const NAMES = ['Sam', 'Ana', 'Lee', 'Mia', 'Tom', 'Eva', 'Raj', 'Zoe', 'Ben', 'Ivy'];
const THINGS = ['apples', 'coins', 'stamps', 'marbles', 'books', 'cards', 'pencils', 'shells'];
const SHORT_WORDS = ['apple', 'banana', 'letter', 'coffee', 'summer', 'bottle', 'pepper', 'little', 'yellow', 'rabbit'];
const LONG_WORDS = ['strawberry', 'mississippi', 'bookkeeper', 'committee', 'assessment', 'possession', 'parallelogram',
  'independence', 'successfully', 'engineering', 'programming', 'accommodation', 'refrigerator', 'necessarily'];
const PHRASES = ['the quick brown fox jumps over the lazy dog', 'she sells sea shells by the sea shore',
  'peter piper picked a peck of pickled peppers', 'a stitch in time saves nine', 'all that glitters is not gold',
  'better late than never and never late is better', 'every cloud has a silver lining'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const count = (text: string, ch: string): number => [...text].filter((c) => c === ch).length;

function arith(rng: Rng, grade: number): Omit<CalibrationQuestion, 'id' | 'tier'> {
  if (grade === 1) {
    const a = rng.int(2, 60), b = rng.int(2, 40);
    return { question: `What is ${a} + ${b}?`, answer: String(a + b), kind: 'number' };
  }
  if (grade === 2) {
    const a = rng.int(12, 99), b = rng.int(3, 9), c = rng.int(10, 99);
    return { question: `What is ${a} * ${b} - ${c}?`, answer: String(a * b - c), kind: 'number' };
  }
  const a = rng.int(13, 99), b = rng.int(13, 99), c = rng.int(100, 999), d = rng.int(3, 9);
  return { question: `Compute (${a} * ${b} + ${c}) * ${d}.`, answer: String((a * b + c) * d), kind: 'number' };
}

function words(rng: Rng, grade: number): Omit<CalibrationQuestion, 'id' | 'tier'> {
  const n = rng.pick(NAMES), t = rng.pick(THINGS);
  let total = rng.int(5, 30);
  const parts = [`${n} has ${total} ${t}.`];
  const steps = grade + 1;
  for (let i = 0; i < steps; i++) {
    const kind = rng.int(0, 2);
    if (kind === 0) {
      const k = rng.int(2, 15);
      total += k;
      parts.push(`${i === 0 ? 'Then' : 'After that'} ${n} finds ${k} more.`);
    } else if (kind === 1 && total > 3) {
      const k = rng.int(1, Math.min(12, total - 1));
      total -= k;
      parts.push(`${n} gives ${k} to a friend.`);
    } else {
      const boxes = rng.int(2, 5), each = rng.int(2, 9);
      total += boxes * each;
      parts.push(`${n} buys ${boxes} boxes with ${each} ${t} in each.`);
    }
  }
  parts.push(`How many ${t} does ${n} have now?`);
  return { question: parts.join(' '), answer: String(total), kind: 'number' };
}

function counting(rng: Rng, grade: number): Omit<CalibrationQuestion, 'id' | 'tier'> {
  const text = rng.pick(grade === 1 ? SHORT_WORDS : grade === 2 ? LONG_WORDS : PHRASES);
  const letters = [...new Set(text.replace(/ /g, ''))];
  const ch = rng.pick(letters);
  const where = grade === 3 ? `the sentence "${text}"` : `the word "${text}"`;
  return { question: `How many times does the letter "${ch}" appear in ${where}?`, answer: String(count(text, ch)), kind: 'number' };
}

function ordering(rng: Rng, grade: number): Omit<CalibrationQuestion, 'id' | 'tier'> {
  const k = grade === 1 ? 3 : grade === 2 ? 5 : 8;
  const max = grade === 1 ? 50 : grade === 2 ? 500 : 5000;
  const set = new Set<number>();
  while (set.size < k) set.add(rng.int(1, max));
  const nums = [...set];
  const desc = grade === 3 && rng.next() < 0.5;
  const sorted = [...nums].sort((a, b) => (desc ? b - a : a - b));
  const how = desc ? 'from largest to smallest' : 'from smallest to largest';
  return { question: `Sort these numbers ${how}: ${nums.join(', ')}.`, answer: sorted.join(', '), kind: 'list' };
}

function dates(rng: Rng, grade: number): Omit<CalibrationQuestion, 'id' | 'tier'> {
  if (grade === 1) {
    const d = rng.int(0, 6), n = rng.int(1, 6);
    return { question: `If today is ${cap(WEEKDAYS[d] as string)}, what day of the week is it in ${n} days?`, answer: cap(WEEKDAYS[(d + n) % 7] as string), kind: 'word' };
  }
  if (grade === 2) {
    const d = rng.int(0, 6), n = rng.int(20, 400);
    return { question: `If today is ${cap(WEEKDAYS[d] as string)}, what day of the week will it be in ${n} days?`, answer: cap(WEEKDAYS[(d + n) % 7] as string), kind: 'word' };
  }
  const y = rng.int(1950, 2050), m = rng.int(0, 11), day = rng.int(1, 28);
  // Date.UTC(...).getUTCDay(): 0 = Sunday; WEEKDAYS starts on Monday.
  const wd = (new Date(Date.UTC(y, m, day)).getUTCDay() + 6) % 7;
  return { question: `What day of the week was ${MONTHS[m]} ${day}, ${y}?`, answer: cap(WEEKDAYS[wd] as string), kind: 'word' };
}

const FAMILIES: Record<string, (rng: Rng, grade: number) => Omit<CalibrationQuestion, 'id' | 'tier'>> = {
  arith, words, count: counting, order: ordering, dates,
};

export interface GeneralSetOptions {
  /** Number of questions, spread evenly over the tiers (round robin). */
  count: number;
  /** Defaults to 1. */
  seed?: number;
  tiers?: readonly GeneralTier[];
}

/** Graded questions with answer keys for a general model; distinct question texts. */
export function generalCalibrationSet(opts: GeneralSetOptions): CalibrationQuestion[] {
  const tiers = opts.tiers ?? GENERAL_TIERS;
  const rng = createRng(`general-${opts.seed ?? 1}`);
  const seen = new Set<string>();
  const out: CalibrationQuestion[] = [];
  for (let i = 0, guard = 0; out.length < opts.count && guard < opts.count * 200; guard++) {
    const tier = tiers[i % tiers.length] as GeneralTier;
    const [family, grade] = tier.split('-') as [string, string];
    const q = (FAMILIES[family] as (typeof FAMILIES)[string])(rng, Number(grade));
    if (seen.has(q.question)) continue;
    seen.add(q.question);
    out.push({ id: `${tier}:${out.length}`, tier, ...q });
    i++;
  }
  return out;
}
