/** The strategy and effort choices a turn offers (the composer and the regenerate picker). */
import { effortLevelHints, parseEffort } from '$common/controller/effort';
import type { Effort, StrategyName } from '$common/controller/types';

export const strategyNames: Record<StrategyName, string> = {
  auto: 'Auto',
  long: 'Long',
  budget: 'Budget',
  'early-exit': 'Early exit',
  'short-m@k': 'short-m@k',
  pdr: 'PDR',
};

export const strategyHints: Record<StrategyName, string> = {
  auto: 'Strategy: Auto uses the strategy configured for the difficulty class (Settings → Reasoning strategies)',
  long: 'Long: plain generation, no thinking budget',
  budget: 'Budget forcing: thinking is closed when the budget is spent',
  'early-exit': 'Early exit: budget + stop thinking once a trial answer is confident',
  'short-m@k': 'short-m@k: k parallel drafts, the first m finished vote',
  pdr: 'PDR: rounds of parallel drafts, each round conditioned on the last one’s answers',
};

/**
 * The effort menu: value (as the <select> holds it), label and what it does. Percentages are of the expected thinking
 * at high effort (the probe's length), the same 100 % Auto's class budgets are fractions of (docs/controller.md).
 */
export const effortOptions: readonly { value: string; label: string; hint: string }[] = [
  { value: 'auto', label: 'Auto', hint: 'Auto: the difficulty probe picks the level and budget (Easy → low, Normal → medium, Hard → high; Settings → Reasoning strategies)' },
  { value: 'low', label: 'low', hint: `${effortLevelHints.low}; a model without levels gets 25 % of its expected thinking` },
  { value: 'medium', label: 'medium', hint: `${effortLevelHints.medium}; a model without levels gets 50 %` },
  { value: 'high', label: 'high', hint: `${effortLevelHints.high}; a model without levels gets 100 %` },
  { value: '0', label: 'none', hint: 'None: answer at once, no thinking (a budget of 0 tokens)' },
  { value: '0.25', label: '25%', hint: '25 %: the smallest level that thinks about a quarter of high, cut at 25 % of the expected thinking' },
  { value: '0.5', label: '50%', hint: '50 %: the smallest level that thinks about half of high, cut at 50 % of the expected thinking' },
  { value: '1', label: '100%', hint: '100 %: high effort, cut at the expected thinking length (what Auto calls 100 %)' },
];

/** The hint of the option holding `effort` (the composer's title). */
export function effortHint(effort: Effort): string {
  return effortOptions.find((o) => effortFrom(o.value) === effort)?.hint ?? `Effort ${typeof effort === 'number' ? `${Math.round(effort * 100)} %` : effort}`;
}

export function effortFrom(value: string): Effort {
  return parseEffort(value) ?? 'auto';
}
