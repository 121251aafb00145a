/**
 * What a GGUF cannot say about how it wants to be used, in a small JSON file beside it: `<name>.reckon.json`
 * next to `<name>.gguf`. Fields:
 * - `historyTurns`: how many earlier exchanges a turn may send (null = all).
 * - `pdrWorkspace`: how PDR distils a round into the next round's workspace: `candidates` (the answers ranked by
 *   votes and confidence, the line the bundled model was trained to read) or `summary` (the model writes one).
 * - `effort`: the effort levels the model honours (common/controller/effort.ts ManifestEffort): per level the system
 *   line that asks for it, the default level, each level's thinking share of high's.
 * No manifest, or a field missing: every earlier turn is sent, PDR asks the model for a summary and effort uses the
 * template family's native control, if any, as for any chat model. A malformed field is reported and ignored; the
 * others still apply.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { ManifestEffort } from '../../common/controller/effort';
import { manifestEffortSchema } from '../../common/schemas/stored';
import { safeParseJson } from '../../common/schemas/parse';

export type PdrWorkspaceMode = 'candidates' | 'summary';

export interface ModelManifest {
  /** Earlier exchanges (question + answer) a turn sends; null = all of them. */
  historyTurns: number | null;
  /** PDR's distillation for this model. */
  pdrWorkspace: PdrWorkspaceMode;
  /** The model's effort levels; null = none declared. */
  effort: ManifestEffort | null;
}

const none: ModelManifest = { historyTurns: null, pdrWorkspace: 'summary', effort: null };
const cache = new Map<string, { mtimeMs: number; manifest: ModelManifest }>();

/** One schema per field, so a bad field is dropped alone. */
const fieldSchemas = {
  historyTurns: z.int({ error: 'must be a whole number >= 0 or null' }).min(0, { error: 'must be a whole number >= 0 or null' }).nullable(),
  pdrWorkspace: z.enum(['candidates', 'summary'], { error: 'must be "candidates" or "summary"' }),
  effort: manifestEffortSchema,
};

export function manifestPath(ggufPath: string): string {
  return ggufPath.replace(/\.gguf$/i, '') + '.reckon.json';
}

/** Parses a manifest's JSON value: the fields that are valid, a warning for each one that is not. */
export function parseModelManifest(v: unknown, warn: (msg: string) => void): ModelManifest {
  const fields = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const manifest: ModelManifest = { ...none };
  for (const key of Object.keys(fieldSchemas) as (keyof typeof fieldSchemas)[]) {
    if (fields[key] === undefined) continue;
    const r = safeParseJson(fieldSchemas[key] as z.ZodType, fields[key], { at: [key] });
    if (r.ok) (manifest as unknown as Record<string, unknown>)[key] = r.value;
    else warn(`${r.message}; ignored`);
  }
  return manifest;
}

/** Reads (and caches by mtime) the manifest beside a model. A malformed one is reported once and ignored. */
export function readModelManifest(ggufPath: string, warn: (msg: string) => void = (m) => process.stderr.write(`reckon: ${m}\n`)): ModelManifest {
  const path = manifestPath(ggufPath);
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    return none;
  }
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === mtimeMs) return hit.manifest;
  let manifest = none;
  try {
    manifest = parseModelManifest(JSON.parse(readFileSync(path, 'utf8')) as unknown, (m) => warn(`${path}: ${m}`));
  } catch (err) {
    warn(`${path} is not valid JSON (${(err as Error).message}); ignored`);
  }
  cache.set(path, { mtimeMs, manifest });
  return manifest;
}
