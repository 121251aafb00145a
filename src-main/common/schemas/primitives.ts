/** Building blocks shared by the API and stored-shape schemas. Strings are always bounded. */
import { z } from 'zod';
import { EffortLevels, type EffortLevel } from '../controller/effort';
import { StrategyNames, type StrategyName } from '../controller/types';

/** Longest free text a request may carry (a question, a system prompt), characters. */
export const MAX_TEXT = 1_000_000;
/** Longest id (conversation, message, turn, model), characters; real ids are far shorter. */
export const MAX_ID = 1000;
/** Longest file path, characters. */
export const MAX_PATH = 4096;

/** A string of at most `max` characters. */
export const text = (max: number = MAX_TEXT) => z.string().max(max);

/** A string with something other than white space in it, of at most `max` characters. */
export const nonEmpty = (max: number = MAX_TEXT) =>
  z.string().max(max).refine((s) => s.trim() !== '', { error: 'must not be empty' });

export const id = () => nonEmpty(MAX_ID);
export const filePath = () => nonEmpty(MAX_PATH);

/** A whole number lo..hi; every failure reads as `message` (today's wording of the range). */
export const intIn = (lo: number, hi: number, message = `must be a whole number ${lo}..${hi}`) =>
  z.int({ error: message }).min(lo, { error: message }).max(hi, { error: message });

/** A number lo..hi (finite); every failure reads as `message`. */
export const numIn = (lo: number, hi: number, message = `must be a number ${lo}..${hi}`) =>
  z.number({ error: message }).min(lo, { error: message }).max(hi, { error: message });

/** A finite number >= 0 (counts, times). */
export const count = () => z.number().min(0);

/** An effort level a model can be asked for (common/controller/effort.ts). */
export const effortLevelSchema = z.enum(EffortLevels as readonly EffortLevel[] as [EffortLevel, ...EffortLevel[]], {
  error: `must be one of ${EffortLevels.join(', ')}`,
});

/** The effort knob (docs/controller.md): 'auto', a level, or a fraction 0..1 of the expected thinking length. */
const effortError = "must be 'auto', 'low', 'medium', 'high' or a number 0..1";
export const effortSchema = z.union([z.literal('auto'), effortLevelSchema, numIn(0, 1, effortError)], { error: effortError });

/** How a turn thinks; the list is StrategyNames (controller/types.ts). */
export const strategySchema = z.enum(StrategyNames as readonly StrategyName[] as [StrategyName, ...StrategyName[]], {
  error: `must be one of ${StrategyNames.join(', ')}`,
});

/** A JSON-safe details object (error details): keys and values bounded by the JSON limits, not by shape. */
export const detailsSchema = z.record(z.string(), z.unknown());
