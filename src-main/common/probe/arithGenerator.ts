/**
 * Calibration questions for the bundled model (models/reckon-arith.gguf): the recipe's tiers and plain
 * phrasing ("What is {a} + {b}?", models/recipe/datagen.py make_problem / eval_set), ported to TypeScript.
 * The recipe's evaluation sets draw only from its held-out md5 bucket; calibration questions never do,
 * and use their own seed space, so calibrating never touches the eval set.
 */
import { md5Hex } from './md5';
import { createRng, type Rng } from './rng';
import type { CalibrationQuestion } from './types';

export const ARITH_TIERS = ['add1-3', 'sub1-3', 'add4-5', 'sub4-5', 'add6', 'sub6', 'mul', 'expr2-3', 'expr4-5'] as const;
export type ArithTier = (typeof ARITH_TIERS)[number];

/** 1 in 20 canonical problems is the recipe's held-out (eval) bucket. */
const HELDOUT_MOD = 20n;

export interface ArithProblem {
  tier: ArithTier;
  nums: number[];
  ops: string[];
  /** e.g. "37+48" (the recipe's canonical form, hashed for the held-out bucket). */
  canonical: string;
  /** e.g. "37 + 48". */
  pretty: string;
  result: number;
}

/** True when the recipe reserves this canonical problem for evaluation (md5 mod 20 == 0). */
export function isHeldout(canonical: string): boolean {
  return BigInt(`0x${md5Hex(canonical)}`) % HELDOUT_MOD === 0n;
}

function randNum(rng: Rng, digits: number): number {
  return rng.int(digits > 1 ? 10 ** (digits - 1) : 0, 10 ** digits - 1);
}

/** Evaluates with the recipe's rule: every * first (left to right), then + and - left to right; null when an intermediate goes negative. */
export function solveExpr(nums: readonly number[], ops: readonly string[]): number | null {
  const n = [...nums];
  const o = [...ops];
  while (o.length > 0) {
    const star = o.indexOf('*');
    const i = star >= 0 ? star : 0;
    const a = n[i] as number;
    const b = n[i + 1] as number;
    const op = o[i];
    if (op === '-' && a < b) return null;
    const r = op === '+' ? a + b : op === '-' ? a - b : a * b;
    n.splice(i, 2, r);
    o.splice(i, 1);
  }
  return n[0] as number;
}

export function makeArithProblem(rng: Rng, tier: ArithTier): ArithProblem {
  let nums: number[];
  let ops: string[];
  if (tier.startsWith('add') || tier.startsWith('sub')) {
    const [lo, hi] = ({ '1-3': [1, 3], '4-5': [4, 5], '6': [6, 6] } as Record<string, [number, number]>)[tier.slice(3)] as [number, number];
    const op = tier.startsWith('add') ? '+' : '-';
    const da = rng.int(lo, hi);
    const db = rng.next() < 0.4 ? rng.int(1, da) : rng.int(lo, da);
    let a = randNum(rng, da);
    let b = randNum(rng, db);
    if (op === '-' && a < b) [a, b] = [b, a];
    nums = [a, b];
    ops = [op];
  } else if (tier === 'mul') {
    nums = [randNum(rng, rng.int(1, 2)), randNum(rng, rng.int(1, 2))];
    ops = ['*'];
  } else {
    const [lo, hi] = tier === 'expr2-3' ? [2, 3] : [4, 5];
    for (;;) {
      const k = rng.int(lo, hi);
      ops = Array.from({ length: k }, () => rng.pick(['+', '+', '-', '-', '*']));
      nums = [];
      for (let i = 0; i <= k; i++) {
        const nearMul = (i > 0 && ops[i - 1] === '*') || (i < k && ops[i] === '*');
        nums.push(nearMul ? rng.int(1, 9) : randNum(rng, rng.int(1, 2)));
      }
      if (solveExpr(nums, ops) !== null) break;
    }
  }
  const result = solveExpr(nums, ops) as number;
  const canonical = nums.map((n, i) => (i < ops.length ? `${n}${ops[i]}` : `${n}`)).join('');
  const pretty = nums.map((n, i) => (i < ops.length ? `${n} ${ops[i]} ` : `${n}`)).join('');
  return { tier, nums, ops, canonical, pretty, result };
}

export interface ArithSetOptions {
  /** Number of questions, spread evenly over the tiers (round robin). */
  count: number;
  /** Seed of this set. Calibration seeds live in their own space (`calib-<seed>-<tier>`). Defaults to 1. */
  seed?: number;
  /** Restrict to these tiers. Defaults to every tier. */
  tiers?: readonly ArithTier[];
}

/** Calibration questions for the bundled model: distinct, outside the recipe's held-out bucket, with answer keys. */
export function arithCalibrationSet(opts: ArithSetOptions): CalibrationQuestion[] {
  const tiers = opts.tiers ?? ARITH_TIERS;
  const seed = opts.seed ?? 1;
  const rngs = new Map(tiers.map((t) => [t, createRng(`calib-${seed}-${t}`)]));
  const seen = new Set<string>();
  const out: CalibrationQuestion[] = [];
  for (let i = 0, guard = 0; out.length < opts.count && guard < opts.count * 1000; guard++) {
    const tier = tiers[i % tiers.length] as ArithTier;
    const p = makeArithProblem(rngs.get(tier) as Rng, tier);
    if (isHeldout(p.canonical) || seen.has(p.canonical)) continue;
    seen.add(p.canonical);
    out.push({ id: `${tier}:${p.canonical}`, question: `What is ${p.pretty}?`, answer: String(p.result), tier, kind: 'number' });
    i++;
  }
  return out;
}
