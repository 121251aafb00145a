/**
 * What the store reads back from disk, checked by the schemas of common/schemas (stored-file limits, strict
 * shapes). A file that parses but has the wrong shape is treated like one that does not parse: set aside, never
 * half-used. These guards keep Store's `#read(path, check)` signature.
 */
import { parseStored, settingsFromFile, type ModelRecord, type StoredKind } from '../../common/schemas';
import type { Conversation, Notice, Settings } from '../../common/types';

export type { ModelRecord };

export interface ModelsFile {
  models: ModelRecord[];
}

const is = <T>(kind: StoredKind) => (v: unknown): v is T => parseStored(kind, v).ok;

export const isConversation = is<Conversation>('conversation');
export const isModelsFile = is<ModelsFile>('models');
export const isNoticesFile = is<{ notices: Notice[] }>('notices');

/** Settings from a parsed file: known valid fields are kept, anything else falls back to the default. */
export function settingsFrom(v: unknown): Settings | null {
  return settingsFromFile(v);
}
