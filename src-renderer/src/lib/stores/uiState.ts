/**
 * UI state that survives a reload (the open chat, unsent drafts, the composer's strategy and effort), kept in
 * the page's localStorage: it is view state, not user data, so it stays out of the host's store. Every read is
 * checked; anything unreadable reads as absent.
 */
import { StrategyNames, type Effort, type StrategyName } from '$common/controller/types';

const KEY = 'reckon.ui.v1';
const DRAFT_PREFIX = 'reckon.draft.v1:';
/** Longest draft kept, characters (a paste beyond this is still sent, just not kept across reloads). */
const MAX_DRAFT = 100_000;

export interface UiState {
  activeId: string | null;
  strategy: StrategyName;
  effort: Effort;
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled (privacy settings): nothing persists, nothing breaks
  }
}

export function readUiState(): Partial<UiState> {
  try {
    const raw = storage()?.getItem(KEY);
    const v = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const out: Partial<UiState> = {};
    if (typeof v['activeId'] === 'string' && v['activeId'].length <= 1000) out.activeId = v['activeId'];
    if (typeof v['strategy'] === 'string' && (StrategyNames as readonly string[]).includes(v['strategy'])) out.strategy = v['strategy'] as StrategyName;
    const e = v['effort'];
    if (e === 'auto' || e === 'low' || e === 'medium' || e === 'high' || (typeof e === 'number' && e >= 0 && e <= 1)) out.effort = e;
    return out;
  } catch {
    return {};
  }
}

export function writeUiState(s: UiState): void {
  try {
    storage()?.setItem(KEY, JSON.stringify(s));
  } catch {
    // quota or disabled storage: the state is only lost on the next reload
  }
}

/** The unsent draft of a conversation (null = a new chat). */
export function readDraft(conversationId: string | null): string {
  try {
    return storage()?.getItem(DRAFT_PREFIX + (conversationId ?? 'new')) ?? '';
  } catch {
    return '';
  }
}

export function writeDraft(conversationId: string | null, text: string): void {
  try {
    const key = DRAFT_PREFIX + (conversationId ?? 'new');
    if (text === '' || text.length > MAX_DRAFT) storage()?.removeItem(key);
    else storage()?.setItem(key, text);
  } catch {
    // as above
  }
}
