/**
 * Settings: one schema for settings.update (a partial patch), the merged result before it is committed, and
 * settings.json as read back (field by field: an invalid field falls back to its default).
 */
import { z } from 'zod';
import { defaultApiSettings, defaultSettings, type Settings } from '../types';
import { controllerSettingsSchema } from './controller';
import { storedJsonLimits } from './limits';
import { safeParseJson, type ParseResult } from './parse';
import { intIn, numIn, text } from './primitives';

export const settingsSchema = z.strictObject({
  modelId: z.string({ error: 'must be a string or null' }).max(1000).nullable(),
  backend: z.enum(['auto', 'cpu', 'cuda', 'vulkan', 'metal'], { error: 'must be auto, cpu, cuda, vulkan or metal' }),
  threads: intIn(1, 256, 'must be null or an integer 1..256').nullable(),
  systemPrompt: text(100_000),
  theme: z.enum(['system', 'light', 'dark'], { error: 'must be system, light or dark' }),
  maxTokens: intIn(1, 1_000_000, 'must be an integer 1..1000000'),
  temperature: numIn(0, 5, 'must be a number 0..5'),
  /** Kept as given (possibly partial); readers merge it over the defaults (mergeControllerSettings). */
  controller: controllerSettingsSchema.optional(),
  api: z.strictObject({
    enabled: z.boolean({ error: 'must be true or false' }),
    port: intIn(1024, 65535, 'must be an integer 1024..65535'),
    allowedOrigins: z.array(
      z.string().max(500).regex(/^https?:\/\/[^/\s]+$/, { error: "must be an origin such as 'http://localhost:3000'" }),
    ).max(100),
    maxConcurrent: intIn(1, 64, 'must be an integer 1..64'),
    maxQueued: intIn(0, 1000, 'must be an integer 0..1000'),
  }),
  /** Settings > Engine; the URL is checked by the host (a test connection) when a llama-server is applied. */
  engine: z.strictObject({
    kind: z.enum(['builtin', 'llama-server'], { error: "must be 'builtin' or 'llama-server'" }),
    url: z.string({ error: 'must be a string' }).max(2000, { error: 'must be at most 2000 characters' })
      .refine((u) => u === '' || /^https?:\/\/\S+$/.test(u), { error: "must be empty or an http(s) URL such as 'http://127.0.0.1:8080'" }),
    apiKey: z.string({ error: 'must be a string' }).max(1000, { error: 'must be at most 1000 characters' }),
  }).optional(),
});

/** What settings.update takes: any subset of the settings, unknown keys rejected. */
export const settingsPatchSchema = settingsSchema.partial();

export type SettingsValue = z.output<typeof settingsSchema>;

/** The stored controller may be partial; Settings names the merged shape its readers see after merging. */
const asSettings = (s: SettingsValue): Settings => s as Settings;

/** Parses a full settings value (the merged result of an update) with the same limits as a request. */
export function parseSettings(v: unknown): ParseResult<Settings> {
  const r = safeParseJson(settingsSchema, v, { topKey: 'setting' });
  return r.ok ? { ok: true, value: asSettings(r.value) } : r;
}

/** Settings from a parsed settings.json: each known valid field is kept, anything else falls back to the default; null when not an object. */
export function settingsFromFile(v: unknown): Settings | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const raw = v as Record<string, unknown>;
  const out: Record<string, unknown> = { ...defaultSettings };
  for (const [key, field] of Object.entries(settingsSchema.shape)) {
    if (!Object.hasOwn(raw, key)) continue;
    // An api object written before a field existed (port) gets that field's default, not the whole default object.
    const value = key === 'api' && isPlainObject(raw[key]) ? { ...defaultApiSettings, ...raw[key] } : raw[key];
    const r = safeParseJson(field, value, { limits: storedJsonLimits });
    if (r.ok && r.value !== undefined) out[key] = r.value;
  }
  return asSettings(out as SettingsValue);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
