/** The strategy and effort choices a turn offers (the composer and the regenerate picker). */
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

/** The effort menu: value (as the <select> holds it) and label. */
export const effortOptions: readonly { value: string; label: string }[] = [
  { value: 'auto', label: 'Auto' },
  { value: '0', label: 'none' },
  { value: '0.25', label: '25%' },
  { value: '0.5', label: '50%' },
  { value: '1', label: '100%' },
];

export function effortFrom(value: string): Effort {
  return value === 'auto' ? 'auto' : Number(value);
}
