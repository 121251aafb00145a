import { existsSync, readFileSync } from 'node:fs';
import { ARITH_TIERS, isHeldout, makeArithProblem } from '../../src-main/common/probe/arithGenerator';
import { createRng } from '../../src-main/common/probe/rng';

/** One eval question (a JSONL line: `question`, `answer`, optional `tier` and `group`). */
export interface EvalQuestion {
  question: string;
  answer: string;
  tier: string;
  /** How it is phrased (e.g. 'plain', 'phrasing' = templates never trained on); absent = plain. */
  group?: string;
}

/** Reads a JSONL set; lines without question/answer are rejected with their line number. */
export function readEvalSet(path: string): EvalQuestion[] {
  const out: EvalQuestion[] = [];
  readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const o = JSON.parse(line) as Record<string, unknown>;
    if (typeof o.question !== 'string' || (typeof o.answer !== 'string' && typeof o.answer !== 'number')) {
      throw new Error(`${path}:${i + 1}: each line needs "question" and "answer"`);
    }
    out.push({
      question: o.question, answer: String(o.answer), tier: typeof o.tier === 'string' ? o.tier : 'all',
      ...(typeof o.group === 'string' ? { group: o.group } : {}),
    });
  });
  return out;
}

/**
 * A development stand-in for the built-in held-out set: `n` held-out-bucket problems per tier of the
 * bundled model's recipe (same generator, same md5 bucket, plain phrasing "What is X?").
 */
export function generatedHeldout(n: number, seed: number): EvalQuestion[] {
  const out: EvalQuestion[] = [];
  for (const tier of ARITH_TIERS) {
    const rng = createRng(`${seed}-${tier}`);
    const seen = new Set<string>();
    for (let tries = 0; seen.size < n && tries < 200_000; tries++) {
      const p = makeArithProblem(rng, tier);
      if (!isHeldout(p.canonical) || seen.has(p.canonical)) continue;
      seen.add(p.canonical);
      out.push({ question: `What is ${p.pretty}?`, answer: String(p.result), tier });
    }
  }
  return out;
}

/** The first `n` questions of every tier, in tier order of first appearance. */
export function takePerTier(qs: readonly EvalQuestion[], n: number): EvalQuestion[] {
  const count = new Map<string, number>();
  return qs.filter((q) => {
    const c = count.get(q.tier) ?? 0;
    count.set(q.tier, c + 1);
    return c < n;
  });
}

/** The built-in set: models/golden/heldout.jsonl when present, else the generated stand-in. */
export function builtinSet(path: string, nPerTier: number, seed: number): { questions: EvalQuestion[]; source: string } {
  if (existsSync(path)) return { questions: takePerTier(readEvalSet(path), nPerTier), source: path };
  return { questions: generatedHeldout(nPerTier, seed), source: `generated held-out stand-in (seed ${seed})` };
}
