import { defaultControllerSettings } from './defaults';
import type { ControllerSettings, DifficultyInfo, Effort, Plan, StrategyName } from './types';

/**
 * Thinking budget for an effort (e1-style): effort p in [0, 1] = p of the expected thinking length.
 * 0 means "answer at once" (budget 0); any other effort gets at least `minBudget` tokens.
 */
export function budgetForEffort(effort: number, expectedThinkingTokens: number, minBudget = defaultControllerSettings.minBudget): number {
  const e = Math.min(1, Math.max(0, Number.isFinite(effort) ? effort : 1));
  if (e === 0) return 0;
  return Math.max(minBudget, Math.round(e * Math.max(0, expectedThinkingTokens)));
}

export interface PlanInput {
  difficulty: DifficultyInfo;
  effort: Effort;
  strategy: StrategyName;
  settings?: ControllerSettings;
}

/**
 * The plan of one turn: the class strategy (prompt, temperature, budget fraction, early-exit threshold,
 * parallel drafts) adjusted by the effort knob and an explicit strategy.
 * - effort 'auto': budget = class budgetFraction x expected length; a number p: budget = p x expected length.
 * - strategy 'long': no controller (no budget, no early exit, one path); 'budget': budget only;
 *   'early-exit': budget + early exit; 'short-m@k' / 'pdr': parallel drafting (each draft under the budget);
 *   'auto': the class strategy as configured.
 */
export function makePlan(i: PlanInput): Plan {
  const s = i.settings ?? defaultControllerSettings;
  const cls = s.strategies[i.difficulty.difficulty];
  const expected = Math.max(0, Math.round(i.difficulty.expectedThinkingTokens));
  const budget = i.effort === 'auto'
    ? (cls.budgetFraction === null ? null : Math.max(s.minBudget, Math.round(cls.budgetFraction * expected)))
    : budgetForEffort(i.effort, expected, s.minBudget);
  let strategy: Plan['strategy'];
  if (i.strategy === 'auto') {
    strategy = cls.parallel === 'short-m@k' ? 'short-m@k' : cls.parallel === 'pdr' ? 'pdr'
      : cls.earlyExitThreshold !== null ? 'early-exit' : budget !== null ? 'budget' : 'long';
  } else {
    strategy = i.strategy;
  }
  const base: Plan = {
    requested: i.strategy,
    strategy,
    difficulty: i.difficulty.difficulty,
    effort: i.effort,
    expectedThinkingTokens: expected,
    thinkingBudget: strategy === 'long' ? null : budget,
    systemPrompt: strategy === 'long' ? '' : cls.systemPrompt,
    temperature: cls.temperature,
    earlyExitThreshold: null,
    trialTokens: s.earlyExit.trialTokens,
    earlyExitStart: Math.round(s.earlyExit.startFraction * expected),
    sampling: null,
    rounds: null,
    kappa: null,
  };
  if (strategy === 'early-exit') base.earlyExitThreshold = cls.earlyExitThreshold ?? s.earlyExit.threshold;
  if (strategy === 'short-m@k') {
    base.sampling = { k: s.shortMK.k, m: Math.min(s.shortMK.m, s.shortMK.k) };
    base.temperature = s.shortMK.temperature;
  }
  if (strategy === 'pdr') {
    base.rounds = [...s.pdr.rounds];
    base.kappa = s.pdr.kappa;
    base.temperature = s.pdr.temperature;
  }
  return base;
}

/** The fallback difficulty when no probe is stored: Normal, expected length from a running average. */
export function fallbackDifficulty(average: RunningAverage | null, settings: ControllerSettings = defaultControllerSettings): DifficultyInfo {
  const avg = average?.value;
  return {
    difficulty: 'normal',
    probabilities: null,
    expectedThinkingTokens: avg === null || avg === undefined ? settings.fallbackExpectedThinking : Math.round(avg),
    source: 'fallback',
    probeTokens: 0,
  };
}

/** Exponential running average of the thinking length of uncontrolled (or unbudgeted) turns. */
export class RunningAverage {
  #value: number | null = null;
  #n = 0;
  /** @param window effective number of samples (alpha = 1/window once full). Defaults to 20. */
  constructor(private readonly window = 20) {}
  get value(): number | null {
    return this.#value;
  }
  get count(): number {
    return this.#n;
  }
  add(x: number): void {
    if (!Number.isFinite(x) || x < 0) return;
    this.#n++;
    const a = 1 / Math.min(this.#n, this.window);
    this.#value = this.#value === null ? x : this.#value + a * (x - this.#value);
  }
}
