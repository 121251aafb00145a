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
  /** The effort level the model was asked for (the plan's); null/absent = none. */
  effortLevel?: string | null;
  /** The reliability signal; absent when the turn was not planned (it claims nothing). */
  reliability?: 'reliable' | 'unsure';
  /** Why it is unsure (the signal's reasons). */
  reasons?: string[];
  /** The thinking text (the JSON results carry it, so a new reliability rule can be checked offline). */
  thinkingText?: string;
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
  /** The question's phrasing group ('plain' when the set does not say). */
  group: string;
  /** The effort level the plan asked the model for; null = none. */
  effortLevel: string | null;
  /** Whether the answer was flagged unsure; null = no signal (unplanned turn). */
  unsure: boolean | null;
  /** The signal's reasons ([] when reliable or unplanned). */
  reasons: string[];
  thinkingText?: string;
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
        group: q.group ?? 'plain', effortLevel: t.effortLevel ?? null,
        unsure: t.reliability === undefined ? null : t.reliability === 'unsure', reasons: t.reasons ?? [],
        ...(t.thinkingText !== undefined ? { thinkingText: t.thinkingText } : {}),
        ...(error !== undefined ? { error } : {}),
      };
      out.push(r);
      o.onResult?.(r, out.length, total);
    }
  }
  return out;
}

/**
 * Means per config x tier, plus an 'overall' row per config, a `group <g>` row per phrasing group (when the set has
 * more than one) and an `effort <level>` row per effort level the plans asked for (when any did).
 */
export function summarise(results: readonly EvalResult[]): EvalSummaryRow[] {
  const groups = new Map<string, EvalResult[]>();
  const manyGroups = new Set(results.map((r) => r.group)).size > 1;
  for (const r of results) {
    const keys = [r.tier, 'overall'];
    if (manyGroups) keys.push(`group ${r.group}`);
    if (r.effortLevel !== null) keys.push(`effort ${r.effortLevel}`);
    for (const tier of keys) {
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

/** Per config: how well the 'unsure' flag separates wrong answers from right ones (turns with a signal only). */
export interface ReliabilityRow {
  config: string;
  /** Turns with a signal; wrong and right among them. */
  n: number;
  wrong: number;
  right: number;
  /** Share of wrong answers flagged (recall; target >= 0.8) and of right answers flagged (target <= 0.1). */
  wrongFlagged: number;
  rightFlagged: number;
  /** Share of flagged answers that are wrong; null when nothing was flagged. */
  precision: number | null;
}

export function reliabilityRows(results: readonly EvalResult[]): ReliabilityRow[] {
  const by = new Map<string, EvalResult[]>();
  for (const r of results) if (r.unsure !== null) by.set(r.config, [...(by.get(r.config) ?? []), r]);
  return [...by.entries()].map(([config, g]) => {
    const wrong = g.filter((r) => !r.correct), right = g.filter((r) => r.correct);
    const flagged = g.filter((r) => r.unsure === true);
    return {
      config, n: g.length, wrong: wrong.length, right: right.length,
      wrongFlagged: wrong.length === 0 ? 0 : wrong.filter((r) => r.unsure === true).length / wrong.length,
      rightFlagged: right.length === 0 ? 0 : right.filter((r) => r.unsure === true).length / right.length,
      precision: flagged.length === 0 ? null : flagged.filter((r) => !r.correct).length / flagged.length,
    };
  });
}

/** Per config and reason: how many wrong and right answers it marked (a reason's figures and slip named away). */
export interface ReasonRow { config: string; reason: string; wrong: number; right: number }

/** The kind of a reason: its text with the parenthesised figures, what follows a colon and the numbers left out. */
export function reasonKind(reason: string): string {
  return reason.replace(/\s*\([^)]*\)/g, '').replace(/:.*$/, '').replace(/-?\d+(?:,\d{3})*/g, 'N');
}

export function reasonRows(results: readonly EvalResult[]): ReasonRow[] {
  const by = new Map<string, ReasonRow>();
  for (const r of results) {
    for (const kind of new Set(r.reasons.map(reasonKind))) {
      const k = `${r.config}\u0000${kind}`;
      const row = by.get(k) ?? { config: r.config, reason: kind, wrong: 0, right: 0 };
      if (r.correct) row.right++; else row.wrong++;
      by.set(k, row);
    }
  }
  return [...by.values()];
}

/**
 * The probe's confusion matrix for one config: the class it predicted (rows) against the label calibration's rule
 * gives the question from the long-CoT run of the same question (one sample: right = easy, wrong = hard; docs/probe.md).
 * null when the run has no long-CoT arm or the config made no predictions.
 */
export function probeConfusion(results: readonly EvalResult[], config: string, reference = 'long CoT'): Record<string, Record<'easy' | 'hard', number>> | null {
  const label = new Map<string, 'easy' | 'hard'>();
  for (const r of results) if (r.config === reference) label.set(`${r.tier}\u0000${r.question}`, r.correct ? 'easy' : 'hard');
  const out: Record<string, Record<'easy' | 'hard', number>> = {};
  let any = false;
  for (const r of results) {
    if (r.config !== config || r.difficulty === null) continue;
    const l = label.get(`${r.tier}\u0000${r.question}`);
    if (l === undefined) continue;
    out[r.difficulty] ??= { easy: 0, hard: 0 };
    out[r.difficulty]![l]++;
    any = true;
  }
  return any ? out : null;
}
