/**
 * Synthetic stand-ins for the bundled model, for tests of the auditor and the attack suite: a char-level
 * vocabulary like reckon-arith's, an embedding table with the structure real tables have (a direction all rows
 * share, one per character class, one per token), and arithmetic questions with step-by-step traces.
 */
import type { EmbeddingTable, HiddenSegment } from '../../src-main/common/receipts';
import { flatEmbeddingTable } from '../../src-main/common/receipts';
import { mulberry32 } from '../../src-main/common/probe/rng';

/** Deterministic PRNG (mulberry32, common/probe/rng.ts): the same seed always gives the same sequence. */
export const seededRandom = mulberry32;

function gaussian(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
}

export const SPECIALS = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>', '<think>', '</think>'] as const;
const FIRST_CHAR = SPECIALS.length;
export const SYNTHETIC_VOCAB = FIRST_CHAR + 95; // printable ASCII 32..126

export function tokenize(text: string): number[] {
  return [...text].map((ch) => {
    const c = ch === '\n' ? 32 : ch.charCodeAt(0); // newline shares the space row's class; kept simple
    return c >= 32 && c <= 126 ? FIRST_CHAR + (c - 32) : 0;
  });
}

/** A vocabulary-size × dims table: shared + class + own components, seeded. */
export function syntheticTable(dims = 64, seed = 1): EmbeddingTable {
  const rnd = seededRandom(seed);
  const vec = (): number[] => Array.from({ length: dims }, () => gaussian(rnd));
  const shared = vec();
  const classes = { digit: vec(), letter: vec(), punct: vec(), special: vec() };
  const data = new Float32Array(SYNTHETIC_VOCAB * dims);
  for (let id = 0; id < SYNTHETIC_VOCAB; id++) {
    const ch = id >= FIRST_CHAR ? String.fromCharCode(32 + id - FIRST_CHAR) : '';
    const cls = id < FIRST_CHAR ? classes.special : /[0-9]/.test(ch) ? classes.digit : /[a-zA-Z]/.test(ch) ? classes.letter : classes.punct;
    const own = vec();
    for (let i = 0; i < dims; i++) data[id * dims + i] = 0.6 * shared[i]! + 0.5 * cls[i]! + own[i]!;
  }
  return flatEmbeddingTable(data, dims);
}

export interface ArithmeticProblem {
  operands: number[];
}

export function randomProblem(rnd: () => number, terms = 3, digits = 5): ArithmeticProblem {
  return { operands: Array.from({ length: terms }, () => Math.floor(10 ** (digits - 1) + rnd() * 9 * 10 ** (digits - 1))) };
}

/** A similar but different problem: one operand changed in one digit. */
export function similarProblem(p: ArithmeticProblem, rnd: () => number): ArithmeticProblem {
  const ops = [...p.operands];
  const i = Math.floor(rnd() * ops.length);
  ops[i] = ops[i]! + (1 + Math.floor(rnd() * 3)) * 10 ** Math.floor(rnd() * 2);
  return { operands: ops };
}

export function questionText(p: ArithmeticProblem): string {
  return `What is ${p.operands.join('+')}?`;
}

export function answerText(p: ArithmeticProblem): string {
  return String(p.operands.reduce((a, b) => a + b, 0));
}

/** Column addition, step by step, then a check: the shape of reckon-arith's graded traces. */
export function traceText(p: ArithmeticProblem): string {
  const lines: string[] = [`add ${p.operands.join(' + ')}`];
  const width = Math.max(...p.operands.map((x) => String(x).length));
  let carry = 0;
  const names = ['units', 'tens', 'hundreds', 'thousands', 'ten-thousands', 'hundred-thousands'];
  for (let col = 0; col < width; col++) {
    const ds = p.operands.map((x) => Math.floor(x / 10 ** col) % 10);
    const sum = ds.reduce((a, b) => a + b, 0) + carry;
    lines.push(`${names[col] ?? `col ${col}`}: ${ds.join('+')}${carry ? `+${carry}` : ''}=${sum}, write ${sum % 10} carry ${Math.floor(sum / 10)}`);
    carry = Math.floor(sum / 10);
  }
  if (carry) lines.push(`final carry ${carry}`);
  const total = answerText(p);
  lines.push(`so ${p.operands.join('+')}=${total}`);
  lines.push(`check: ${total}-${p.operands[0]}=${Number(total) - p.operands[0]!} ok`);
  return lines.join('\n');
}

export interface HonestTurn {
  turnId: string;
  problem: ArithmeticProblem;
  questionTokens: number[];
  answerTokens: number[];
  /** probe (the question prefill) then thinking. */
  segments: HiddenSegment[];
}

export function honestTurn(turnId: string, p: ArithmeticProblem): HonestTurn {
  const q = tokenize(questionText(p));
  return {
    turnId,
    problem: p,
    questionTokens: q,
    answerTokens: tokenize(answerText(p)),
    segments: [
      { kind: 'probe', tokens: q },
      { kind: 'thinking', tokens: tokenize(traceText(p)) },
    ],
  };
}
