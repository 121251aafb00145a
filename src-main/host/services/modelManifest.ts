/**
 * What a GGUF cannot say about how it wants to be used, in a small JSON file beside it: `<name>.reckon.json`
 * next to `<name>.gguf`. Fields:
 * - `historyTurns`: how many earlier exchanges a turn may send. The bundled model was trained on single questions
 *   (an earlier exchange in 5 % of its examples); with two or three earlier turns in its prompt it misreads the new
 *   numbers, so its manifest says 0 and each question is answered on its own.
 * - `pdrWorkspace`: how PDR distils a round into the next round's workspace: `candidates` (the answers ranked by
 *   votes and confidence, the line the bundled model was trained to read) or `summary` (the model writes one).
 * No manifest, or a field missing: every earlier turn is sent and PDR asks the model for a summary, as for any
 * chat model.
 */
import { readFileSync, statSync } from 'node:fs';

export type PdrWorkspaceMode = 'candidates' | 'summary';

export interface ModelManifest {
  /** Earlier exchanges (question + answer) a turn sends; null = all of them. */
  historyTurns: number | null;
  /** PDR's distillation for this model. */
  pdrWorkspace: PdrWorkspaceMode;
}

const none: ModelManifest = { historyTurns: null, pdrWorkspace: 'summary' };
const cache = new Map<string, { mtimeMs: number; manifest: ModelManifest }>();

export function manifestPath(ggufPath: string): string {
  return ggufPath.replace(/\.gguf$/i, '') + '.reckon.json';
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
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    const fields = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
    const turns = fields['historyTurns'];
    const workspace = fields['pdrWorkspace'];
    manifest = { ...none };
    if (typeof turns === 'number' && Number.isInteger(turns) && turns >= 0) manifest.historyTurns = turns;
    else if (turns !== undefined && turns !== null) warn(`${path}: historyTurns must be a whole number >= 0 or null; ignored`);
    if (workspace === 'candidates' || workspace === 'summary') manifest.pdrWorkspace = workspace;
    else if (workspace !== undefined) warn(`${path}: pdrWorkspace must be "candidates" or "summary"; ignored`);
  } catch (err) {
    warn(`${path} is not valid JSON (${(err as Error).message}); ignored`);
  }
  cache.set(path, { mtimeMs, manifest });
  return manifest;
}
