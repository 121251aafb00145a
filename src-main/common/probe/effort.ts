/**
 * The effort knob (e1-style): effort p in [0, 1] means "p of the thinking the model would normally
 * spend on this question", as the probe's length head predicts it.
 */
export interface EffortBudgetOptions {
  /** Smallest budget handed out for a non-zero effort, tokens. Defaults to 1. */
  min?: number;
}

/** Thinking budget in tokens for `effort` (0..1) and the probe's expected thinking tokens; 0 means "answer at once". */
export function thinkingBudgetForEffort(effort: number, expectedThinkingTokens: number, opts: EffortBudgetOptions = {}): number {
  const e = Math.min(1, Math.max(0, Number.isFinite(effort) ? effort : 1));
  if (e === 0) return 0;
  return Math.max(opts.min ?? 1, Math.round(e * Math.max(0, expectedThinkingTokens)));
}
