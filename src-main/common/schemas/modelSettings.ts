/**
 * Per-model settings (common/modelSettings.ts): the shape, for the API's params and model-settings.json. Types are
 * checked here; ranges are checked by `modelSettingsProblems`, which words each problem as a sentence (the host
 * answers BAD_REQUEST with it, the UI shows it beside the field before sending).
 */
import { z } from 'zod';
import { MAX_STOP_LENGTH, MAX_STOP_STRINGS, modelSettingsProblems } from '../modelSettings';
import { MAX_ID, text } from './primitives';

// A wrong type is a client's bug, not a user's typo: the router's field-naming message is enough.
const num = () => z.number({ error: 'must be a number' }).optional();

/** The fields and their types (no ranges): what a request may carry. */
export const modelSettingsShape = z.strictObject({
  contextSize: num(),
  temperature: num(),
  topP: num(),
  topK: num(),
  minP: num(),
  repeatPenalty: num(),
  seed: num(),
  // Bounded a little above the sentence's limits, so a list one too long still reaches the sentence.
  stop: z.array(text(MAX_STOP_LENGTH * 4)).max(MAX_STOP_STRINGS * 4).optional(),
  maxTokens: num(),
  systemPrompt: text().optional(),
});

/** As stored: the shape and every range (a file out of range is set aside like any malformed file). */
export const modelSettingsSchema = modelSettingsShape.superRefine((s, ctx) => {
  for (const p of modelSettingsProblems(s)) ctx.addIssue({ code: 'custom', path: [p.field], message: p.message });
});

/** model-settings.json: settings per model id. */
export const modelSettingsFileSchema = z.strictObject({
  version: z.literal(1),
  models: z.record(text(MAX_ID), modelSettingsSchema),
});
