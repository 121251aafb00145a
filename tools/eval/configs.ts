import { formatEffort } from '../../src-main/common/controller/effort';
import type { Effort, StrategyName } from '../../src-main/common/controller/types';

/** One arm of the comparison. */
export interface EvalConfig {
  label: string;
  strategy: StrategyName;
  effort: Effort;
}

/** The arms the harness compares by default (docs/eval/README.md). */
export const defaultConfigs: EvalConfig[] = [
  { label: 'long CoT', strategy: 'long', effort: 'auto' },
  { label: 'budget 25%', strategy: 'budget', effort: 0.25 },
  { label: 'budget 50%', strategy: 'budget', effort: 0.5 },
  { label: 'budget 100%', strategy: 'budget', effort: 1 },
  { label: 'Auto', strategy: 'budget', effort: 'auto' },
  { label: 'Auto + early exit', strategy: 'auto', effort: 'auto' },
  { label: 'short-m@k', strategy: 'short-m@k', effort: 'auto' },
  { label: 'PDR', strategy: 'pdr', effort: 'auto' },
];

/**
 * Configs for `--strategy a,b` (names from StrategyName; 'budget' expands to the three fixed budgets). With
 * `efforts` (`--effort low,medium,high`), one arm per strategy and effort instead: the effort curve.
 */
export function configsFor(list: string | undefined, efforts?: readonly Effort[]): EvalConfig[] {
  if (efforts !== undefined && efforts.length > 0) {
    const names = list === undefined || list === 'all' ? ['long', 'budget', 'auto'] : list.split(',').map((s) => s.trim()).filter(Boolean);
    const label: Record<string, string> = { long: 'long CoT', budget: 'budget', auto: 'Auto', 'early-exit': 'early exit', 'short-m@k': 'short-m@k', pdr: 'PDR' };
    const out: EvalConfig[] = [];
    for (const n of names) {
      if (label[n] === undefined) throw new Error(`unknown strategy '${n}' (long, budget, auto, early-exit, short-m@k, pdr, all)`);
      for (const e of efforts) out.push({ label: `${label[n]} @ ${formatEffort(e)}`, strategy: n as StrategyName, effort: e });
    }
    return out;
  }
  if (list === undefined || list === 'all') return defaultConfigs;
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const out: EvalConfig[] = [];
  for (const n of names) {
    if (n === 'long') out.push(defaultConfigs[0]!);
    else if (n === 'budget') out.push(...defaultConfigs.slice(1, 4));
    else if (n === 'auto') out.push(defaultConfigs[4]!, defaultConfigs[5]!);
    else if (n === 'early-exit') out.push({ label: 'early exit', strategy: 'early-exit', effort: 'auto' });
    else if (n === 'short-m@k') out.push(defaultConfigs[6]!);
    else if (n === 'pdr') out.push(defaultConfigs[7]!);
    else throw new Error(`unknown strategy '${n}' (long, budget, auto, early-exit, short-m@k, pdr, all)`);
  }
  return out;
}
