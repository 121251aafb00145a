import { defaultControllerSettings } from './defaults';
import {
  autoSteers, defaultLevelOf, levelForFraction, levelFractionWithoutControl, nearestLevel, shareForBudget,
  type EffortControl, type EffortLevel,
} from './effort';
import type { ControllerSettings, Difficulty, DifficultyInfo, Effort, Plan, StrategyName } from './types';

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
  /** How the model takes effort levels (effortControlFor); null/absent = it has none (the budget only). */
  control?: EffortControl | null;
  /**
   * Early-exit thresholds fitted for this model at calibration (the probe file's `earlyExit`), per class: a number wins
   * over the class's settings threshold; null or absent leaves it. Only for a class the probe itself chose.
   */
  fittedExit?: Partial<Record<Difficulty, number | null>> | null;
}

/**
 * The effort level and thinking budget of a turn. 100 % is the same length everywhere: the expected thinking at
 * high effort (the probe's length), and a level's expected thinking is its share of that.
 * - 'auto': the class's level (Qwen3's switch is left on, see autoSteers), budget = budgetFraction x the level's length;
 * - a level: that level (the next higher one the model offers), budget as Auto's; without levels it is the fraction
 *   levelFractionWithoutControl of the expected length;
 * - a fraction f: the smallest level whose share is >= f, budget = f x the expected length (the hard cap).
 */
function effortOf(i: PlanInput, s: ControllerSettings, full: number): { level: EffortLevel | null; budget: number | null; expected: number } {
  const control = i.control ?? null;
  const cls = s.strategies[i.difficulty.difficulty];
  const classBudget = (level: EffortLevel | null): { level: EffortLevel | null; budget: number | null; expected: number } => {
    const expected = Math.round(shareForBudget(control, level) * full);
    return { level, expected, budget: cls.budgetFraction === null ? null : Math.max(s.minBudget, Math.round(cls.budgetFraction * expected)) };
  };
  if (i.effort === 'auto') {
    return classBudget(control === null ? null : autoSteers(control) ? nearestLevel(control, cls.effortLevel) : defaultLevelOf(control));
  }
  if (typeof i.effort === 'string') {
    if (control === null) return { level: null, expected: full, budget: budgetForEffort(levelFractionWithoutControl[i.effort], full, s.minBudget) };
    return classBudget(nearestLevel(control, i.effort));
  }
  const level = control === null ? null : levelForFraction(control, i.effort);
  return { level, expected: Math.round(shareForBudget(control, level) * full), budget: budgetForEffort(i.effort, full, s.minBudget) };
}

/** How much longer than the class budget a PDR draft may think (see makePlan). */
export const PDR_BUDGET_SCALE = 2;

/**
 * The plan of one turn: the class strategy (prompt, temperature, budget fraction, early-exit threshold,
 * parallel drafts, effort level) adjusted by the effort knob (effortOf) and an explicit strategy.
 * - strategy 'long': no controller (no budget, no early exit, one path) at the level asked for, else the model's
 *   default level; 'budget': budget only; 'early-exit': budget + early exit; 'short-m@k' / 'pdr': parallel
 *   drafting (each draft under the budget); 'auto': the class strategy as configured.
 */
export function makePlan(i: PlanInput): Plan {
  const s = i.settings ?? defaultControllerSettings;
  const cls = s.strategies[i.difficulty.difficulty];
  const control = i.control ?? null;
  const full = Math.max(0, Math.round(i.difficulty.expectedThinkingTokens));
  const chosen = effortOf(i, s, full);
  const budget = chosen.budget;
  let { level, expected } = chosen;
  let strategy: Plan['strategy'];
  if (i.strategy === 'auto') {
    strategy = cls.parallel === 'short-m@k' ? 'short-m@k' : cls.parallel === 'pdr' ? 'pdr'
      : cls.earlyExitThreshold !== null ? 'early-exit' : budget !== null ? 'budget' : 'long';
  } else {
    strategy = i.strategy;
  }
  if (strategy === 'long' && control !== null && (i.effort === 'auto' || typeof i.effort === 'number')) {
    // Long CoT is the model's own default, whatever fraction or Auto would have picked.
    level = defaultLevelOf(control);
    expected = Math.round(shareForBudget(control, level) * full);
  }
  const base: Plan = {
    requested: i.strategy,
    strategy,
    difficulty: i.difficulty.difficulty,
    effort: i.effort,
    effortLevel: level,
    effortControl: level === null ? null : control?.source ?? null,
    expectedThinkingTokens: expected,
    thinkingBudget: strategy === 'long' ? null : budget,
    systemPrompt: strategy === 'long' ? '' : cls.systemPrompt,
    temperature: cls.temperature,
    earlyExitThreshold: null,
    trialTokens: s.earlyExit.trialTokens,
    earlyExitStart: Math.round(s.earlyExit.startFraction * expected),
    earlyExitAt: s.earlyExit.at,
    sampling: null,
    rounds: null,
    kappa: null,
  };
  if (strategy === 'early-exit') {
    const fitted = i.difficulty.source === 'probe' ? i.fittedExit?.[i.difficulty.difficulty] ?? null : null;
    base.earlyExitThreshold = fitted ?? cls.earlyExitThreshold ?? s.earlyExit.threshold;
  }
  if (strategy === 'short-m@k') {
    base.sampling = { k: s.shortMK.k, m: Math.min(s.shortMK.m, s.shortMK.k) };
    base.temperature = s.shortMK.temperature;
  }
  if (strategy === 'pdr') {
    base.rounds = [...s.pdr.rounds];
    base.kappa = s.pdr.kappa;
    base.temperature = s.pdr.temperature;
    // A draft cut before its answer is a wasted draft, and the rounds bound the cost already: drafts think under
    // twice the class budget (on the hard tiers this took PDR from 8-17 points below long CoT to level or above it,
    // docs/eval/README.md).
    if (base.thinkingBudget !== null) base.thinkingBudget = Math.round(base.thinkingBudget * PDR_BUDGET_SCALE);
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
