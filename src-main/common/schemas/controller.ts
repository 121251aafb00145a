/**
 * Controller settings (docs/controller.md) as `settings.controller` holds them: any subset of the knobs, merged
 * over the defaults when read. Ranges are the ones the controller has always accepted.
 */
import { z } from 'zod';
import { mergeControllerSettings } from '../controller/defaults';
import type { ControllerSettingsPatch } from '../controller/defaults';
import { safeParseJson } from './parse';
import { effortLevelSchema, intIn, numIn, text } from './primitives';

const temperature = numIn(0, 5, 'must be 0..5');
const fraction = numIn(0, 1, 'must be 0..1');

export const classStrategySchema = z.strictObject({
  systemPrompt: text(100_000),
  temperature,
  budgetFraction: numIn(0, 10, 'must be null or 0..10').nullable(),
  earlyExitThreshold: numIn(0, 1, 'must be null or 0..1').nullable(),
  parallel: z.enum(['none', 'short-m@k', 'pdr'], { error: 'must be none, short-m@k or pdr' }),
  effortLevel: effortLevelSchema,
}).partial();

const positive = z.int({ error: 'must be a positive integer' }).min(1, { error: 'must be a positive integer' });

export const controllerSettingsSchema = z.strictObject({
  strategies: z.strictObject({ easy: classStrategySchema, normal: classStrategySchema, hard: classStrategySchema }).partial(),
  fallbackExpectedThinking: positive,
  minBudget: z.int({ error: 'must be an integer >= 0' }).min(0, { error: 'must be an integer >= 0' }),
  earlyExit: z.strictObject({
    trialTokens: intIn(1, 512, 'must be 1..512'), startFraction: fraction, threshold: fraction,
    at: z.enum(['step', 'result'], { error: 'must be "step" or "result"' }),
  }).partial(),
  shortMK: z.strictObject({ k: intIn(1, 16, 'must be 1..16'), m: intIn(1, 16, 'must be 1..16'), temperature }).partial(),
  pdr: z.strictObject({
    rounds: z.array(intIn(1, 16, 'must be 1..16'), { error: 'must be a list of 1..16' })
      .min(1, { error: 'must be a list of 1..16' }).max(16, { error: 'must be at most 16 rounds' }),
    kappa: positive,
    temperature,
  }).partial(),
}).partial().refine((c) => {
  // m and k may come one from the patch and one from the defaults.
  const s = mergeControllerSettings(c).shortMK;
  return s.m <= s.k;
}, { error: 'needs 1 <= m <= k <= 16', path: ['shortMK'] });

/** An error text for an invalid controller settings value, naming the field (`controller.shortMK needs ...`), or null. */
export function controllerSettingsError(v: unknown): string | null {
  const r = safeParseJson(controllerSettingsSchema, v, { at: ['controller'] });
  return r.ok ? null : r.message;
}

export type { ControllerSettingsPatch };
