/**
 * The per-model settings form: text fields (empty = not set) to ModelSettings and back, with the problems worded
 * as sentences by the same check the host runs (common/modelSettings.ts).
 */
import { modelSettingsNumbers, modelSettingsProblems, type ModelSettings, type ModelSettingsField } from '$common/modelSettings';

export type NumberField = keyof typeof modelSettingsNumbers;
export const numberFields = Object.keys(modelSettingsNumbers) as NumberField[];

/** What the form edits: numbers as typed, stop strings one per line. */
export type ModelSettingsForm = Record<NumberField, string> & { stop: string; systemPrompt: string };

export function formFrom(s: ModelSettings): ModelSettingsForm {
  const f = { stop: (s.stop ?? []).join('\n'), systemPrompt: s.systemPrompt ?? '' } as ModelSettingsForm;
  for (const k of numberFields) f[k] = s[k] === undefined ? '' : String(s[k]);
  return f;
}

/** The settings a form stands for, or the problems (one per field, as sentences) that keep it from saving. */
export function settingsFrom(f: ModelSettingsForm): { settings: ModelSettings; problems: Partial<Record<ModelSettingsField, string>> } {
  const settings: ModelSettings = {};
  const problems: Partial<Record<ModelSettingsField, string>> = {};
  for (const k of numberFields) {
    const t = f[k].trim();
    if (t === '') continue;
    const n = Number(t);
    if (!Number.isFinite(n)) problems[k] = `${modelSettingsNumbers[k].label} must be a number.`;
    else settings[k] = n;
  }
  const stop = f.stop.split('\n').filter((x) => x !== '');
  if (stop.length > 0) settings.stop = stop;
  if (f.systemPrompt.trim() !== '') settings.systemPrompt = f.systemPrompt;
  for (const p of modelSettingsProblems(settings)) problems[p.field] ??= p.message;
  return { settings, problems };
}
