import { answerKey } from '../../src-main/common/controller/vote';
import type { DifficultyInfo } from '../../src-main/common/controller/types';
import { makeLedger, overheadTotal, type Ledger } from '../../src-main/common/ledger';
import type { EvalConfig } from './configs';
import type { EvalQuestion } from './evalSet';

/** What one turn gave back. */
export interface TurnOutcome {
  answer: string;
  ledger: Ledger;
  latencyTokens: number;
  ms: number;
  difficulty?: DifficultyInfo;
  earlyExitFired?: boolean;
}

/** Runs one question under one config (the CLI runs it through the host; tests may fake it). */
export type TurnRunner = (q: EvalQuestion, c: EvalConfig, seed: number) => Promise<TurnOutcome>;

export interface EvalResult {
  config: string;
  tier: string;
  question: string;
  expected: string;
  answer: string;
  correct: boolean;
  billed: number;
  thinking: number;
  overhead: number;
  sequential: number;
  latencyTokens: number;
  ms: number;
  difficulty: string | null;
  earlyExit: boolean;
  /** Set when the turn failed (counted as wrong). */
  error?: string;
}

export interface EvalSummaryRow {
  config: string;
  tier: string;
  n: number;
  accuracy: number;
  billed: number;
  thinking: number;
  overhead: number;
  sequential: number;
  latencyTokens: number;
  ms: number;
}

export interface EvalRunOptions {
  questions: EvalQuestion[];
  configs: EvalConfig[];
  run: TurnRunner;
  seed: number;
  onResult?: (r: EvalResult, done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Runs every config over every question (config-major, so each arm sees a warm engine alike). */
export async function runEval(o: EvalRunOptions): Promise<EvalResult[]> {
  const out: EvalResult[] = [];
  const total = o.questions.length * o.configs.length;
  for (const c of o.configs) {
    for (const [i, q] of o.questions.entries()) {
      if (o.signal?.aborted) return out;
      let t: TurnOutcome;
      let error: string | undefined;
      try {
        t = await o.run(q, c, o.seed + i);
      } catch (err) {
        // A failed turn counts as wrong (and costs what the ledger could not say: 0); the run goes on.
        error = (err as Error).message;
        t = { answer: '', ledger: makeLedger({ visible: 0, thinking: 0, prompt: 0, cached: 0 }), latencyTokens: 0, ms: 0 };
      }
      const r: EvalResult = {
        config: c.label, tier: q.tier, question: q.question, expected: q.answer, answer: t.answer,
        correct: answerKey(t.answer) !== '' && answerKey(t.answer) === answerKey(q.answer),
        billed: t.ledger.billed, thinking: t.ledger.thinking, overhead: overheadTotal(t.ledger),
        sequential: t.ledger.sequential, latencyTokens: t.latencyTokens, ms: t.ms,
        difficulty: t.difficulty?.difficulty ?? null, earlyExit: t.earlyExitFired === true,
        ...(error !== undefined ? { error } : {}),
      };
      out.push(r);
      o.onResult?.(r, out.length, total);
    }
  }
  return out;
}

/** Means per config x tier, plus an 'overall' row per config. */
export function summarise(results: readonly EvalResult[]): EvalSummaryRow[] {
  const groups = new Map<string, EvalResult[]>();
  for (const r of results) {
    for (const tier of [r.tier, 'overall']) {
      const k = `${r.config}\u0000${tier}`;
      const g = groups.get(k) ?? [];
      g.push(r);
      groups.set(k, g);
    }
  }
  const mean = (g: EvalResult[], f: (r: EvalResult) => number): number => g.reduce((s, r) => s + f(r), 0) / g.length;
  return [...groups.entries()].map(([k, g]) => {
    const [config, tier] = k.split('\u0000') as [string, string];
    return {
      config, tier, n: g.length,
      accuracy: g.filter((r) => r.correct).length / g.length,
      billed: mean(g, (r) => r.billed), thinking: mean(g, (r) => r.thinking), overhead: mean(g, (r) => r.overhead),
      sequential: mean(g, (r) => r.sequential), latencyTokens: mean(g, (r) => r.latencyTokens), ms: mean(g, (r) => r.ms),
    };
  });
}
