/**
 * Per-model settings (docs/ui.md "Per-model settings"): what a user sets for one model, stored in
 * model-settings.json by the host. Every field is optional; an absent field falls back to the global setting
 * (temperature, max tokens, system prompt) or to the engine's default (the rest).
 *
 * Precedence for each turn: the turn's own override (SendParams: the CLI's --system / --max-tokens, a regenerate's
 * seed) > the model's setting > the global setting. Temperature: the controller's strategies sample at their
 * difficulty-class temperature (Settings > Reasoning strategies); the model's or global temperature is the one
 * used by strategy "Long" (plain generation), which has no class.
 */

export interface ModelSettings {
  /** Context window, tokens (256..1,048,576); absent = the engine's choice for the model and machine. */
  contextSize?: number;
  /** Sampling temperature (0..5, 0 = greedy); absent = Settings' temperature. */
  temperature?: number;
  /** Nucleus sampling (0..1); absent = 1 (no cut). */
  topP?: number;
  /** Sample from the k most likely tokens (0..1000, 0 = no cut); absent = the engine's default (40). */
  topK?: number;
  /** Drop tokens less likely than this share of the most likely one (0..1); absent = 0 (off). */
  minP?: number;
  /** Penalty on tokens already generated (1..2, 1 = off); absent = off. */
  repeatPenalty?: number;
  /** Sampling seed (a whole number 0..2^31-1); absent = a fresh seed per turn. */
  seed?: number;
  /** Generation stops when the answer produces one of these (at most 16, 1..200 characters each); absent = none. */
  stop?: string[];
  /** Most tokens for one answer, thinking included (1..1,000,000); absent = Settings' max tokens. */
  maxTokens?: number;
  /** The model's default system prompt; absent or empty = Settings' system prompt. */
  systemPrompt?: string;
}

export type ModelSettingsField = keyof ModelSettings;

interface NumberRule {
  label: string;
  lo: number;
  hi: number;
  whole: boolean;
}

/** The numeric fields with their label and range, in the order the UI shows them. */
export const modelSettingsNumbers: Record<Exclude<ModelSettingsField, 'stop' | 'systemPrompt'>, NumberRule> = {
  contextSize: { label: 'Context length', lo: 256, hi: 1_048_576, whole: true },
  maxTokens: { label: 'Max tokens', lo: 1, hi: 1_000_000, whole: true },
  temperature: { label: 'Temperature', lo: 0, hi: 5, whole: false },
  topP: { label: 'Top-p', lo: 0, hi: 1, whole: false },
  topK: { label: 'Top-k', lo: 0, hi: 1000, whole: true },
  minP: { label: 'Min-p', lo: 0, hi: 1, whole: false },
  repeatPenalty: { label: 'Repeat penalty', lo: 1, hi: 2, whole: false },
  seed: { label: 'Seed', lo: 0, hi: 2 ** 31 - 1, whole: true },
};

export const MAX_STOP_STRINGS = 16;
export const MAX_STOP_LENGTH = 200;
export const MAX_MODEL_SYSTEM_PROMPT = 100_000;

/** One problem with a field, worded as a sentence for the user. */
export interface ModelSettingsProblem {
  field: ModelSettingsField;
  message: string;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Every problem of a settings object, as sentences; [] = valid. Shared by the host (authoritative) and the UI. */
export function modelSettingsProblems(s: ModelSettings): ModelSettingsProblem[] {
  const out: ModelSettingsProblem[] = [];
  for (const [field, r] of Object.entries(modelSettingsNumbers) as [keyof typeof modelSettingsNumbers, NumberRule][]) {
    const v = s[field];
    if (v === undefined) continue;
    const ok = typeof v === 'number' && Number.isFinite(v) && v >= r.lo && v <= r.hi && (!r.whole || Number.isInteger(v));
    if (!ok) out.push({ field, message: `${r.label} must be ${r.whole ? 'a whole number' : 'a number'} from ${fmt(r.lo)} to ${fmt(r.hi)}.` });
  }
  if (s.stop !== undefined) {
    if (!Array.isArray(s.stop) || s.stop.some((x) => typeof x !== 'string')) out.push({ field: 'stop', message: 'Stop strings must be a list of texts.' });
    else if (s.stop.length > MAX_STOP_STRINGS) out.push({ field: 'stop', message: `At most ${MAX_STOP_STRINGS} stop strings are allowed.` });
    else if (s.stop.some((x) => x.length === 0 || x.length > MAX_STOP_LENGTH)) {
      out.push({ field: 'stop', message: `Each stop string must be 1 to ${MAX_STOP_LENGTH} characters long.` });
    }
  }
  if (s.systemPrompt !== undefined && (typeof s.systemPrompt !== 'string' || s.systemPrompt.length > MAX_MODEL_SYSTEM_PROMPT)) {
    out.push({ field: 'systemPrompt', message: `The system prompt must be a text of at most ${fmt(MAX_MODEL_SYSTEM_PROMPT)} characters.` });
  }
  return out;
}
