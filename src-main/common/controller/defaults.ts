import type { ControllerSettings } from './types';

/**
 * The controller's defaults, in one place (docs/controller.md explains each choice). Editable through
 * `settings.controller` (validated by common/schemas/controller.ts); a partial value is merged over these by `mergeControllerSettings`.
 * - Easy (the overthinking region): greedy, the expected thinking as the cap, early exit at 0.85.
 * - Normal: greedy, 125 % of the expected thinking, early exit at 0.9.
 * - Hard: greedy, 150 % of the expected thinking (room to finish), early exit only at 0.97.
 * Budgets are caps with room for the length head's error (MAE ~25 tokens), not the cut itself: a budget below the
 * computation forces an answer before it is known. Chosen on a dev set (108 generated held-out problems, none
 * in the eval set): Easy at 0.6 x expected, Auto + early exit scored 75 % vs 86 % for long CoT (2-3 operation
 * expressions, whose re-check is one line, 100 -> 75 %); with these caps 83 % at 15 % fewer billed tokens.
 * Early exit does the cutting, at step boundaries where the trial answer is already certain.
 * Parallel drafting is opt-in per class (`parallel`), since it multiplies billed tokens.
 * Effort levels (models that have them, common/controller/effort.ts): Easy asks for low, Normal for medium, Hard
 * for high - DiffAdapt's per-class prompt; each class's budget is then a fraction of that level's expected length.
 */
export const defaultControllerSettings: ControllerSettings = {
  strategies: {
    easy: { systemPrompt: '', temperature: 0, budgetFraction: 1.0, earlyExitThreshold: 0.85, parallel: 'none', effortLevel: 'low' },
    normal: { systemPrompt: '', temperature: 0, budgetFraction: 1.25, earlyExitThreshold: 0.9, parallel: 'none', effortLevel: 'medium' },
    hard: { systemPrompt: '', temperature: 0, budgetFraction: 1.5, earlyExitThreshold: 0.97, parallel: 'none', effortLevel: 'high' },
  },
  fallbackExpectedThinking: 64,
  minBudget: 4,
  earlyExit: { trialTokens: 48, startFraction: 0.5, threshold: 0.9, at: 'result' },
  shortMK: { k: 3, m: 2, temperature: 0.7 },
  pdr: { rounds: [4, 2, 1], kappa: 64, temperature: 0.7 },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type ControllerSettingsPatch = DeepPartial<ControllerSettings>;

/** Merges a partial settings object (from settings.json) over the defaults, one level of classes deep. */
export function mergeControllerSettings(p: ControllerSettingsPatch | null | undefined, base: ControllerSettings = defaultControllerSettings): ControllerSettings {
  if (p == null) return structuredCloneJson(base);
  const s = p.strategies ?? {};
  return {
    strategies: {
      easy: { ...base.strategies.easy, ...(s.easy ?? {}) },
      normal: { ...base.strategies.normal, ...(s.normal ?? {}) },
      hard: { ...base.strategies.hard, ...(s.hard ?? {}) },
    },
    fallbackExpectedThinking: p.fallbackExpectedThinking ?? base.fallbackExpectedThinking,
    minBudget: p.minBudget ?? base.minBudget,
    earlyExit: { ...base.earlyExit, ...(p.earlyExit ?? {}) },
    shortMK: { ...base.shortMK, ...(p.shortMK ?? {}) },
    pdr: { ...base.pdr, ...(p.pdr ?? {}), rounds: [...(p.pdr?.rounds ?? base.pdr.rounds)] },
  };
}

function structuredCloneJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
