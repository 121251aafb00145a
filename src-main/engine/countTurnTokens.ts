import type { LedgerCounts } from '../common/ledger';

/** What one turn left behind in its context sequence, as token ids and meter counts. */
export interface TurnTokenTrace {
  /** The sequence's tokens before the turn (what the KV cache held). */
  before: readonly number[];
  /** The sequence's tokens after the turn. */
  after: readonly number[];
  /** Length of the formatted prompt for this turn (history + question), in tokens. */
  promptLength: number;
  /** Tokens sampled this turn (token meter output count), including a final end token that is never decoded. */
  sampled: number;
  /** Tokens decoded without being sampled after the prompt: a thought suffix forced by a thinking budget. */
  injected: number;
  /** Whether a thought segment started this turn. */
  thoughtSeen: boolean;
  /** Token ids that close a thought (`</think>`); null when the template has no thought suffix. */
  thoughtSuffix: readonly number[] | null;
  /** Fallback split when there is no suffix to look for: tokens streamed as thought. */
  thoughtStreamed: number;
}

/**
 * Splits a turn's real token counts into the ledger's kinds from the sequence's own tokens:
 * cached = the prefix reused from the KV cache, prompt = the rest of the formatted prompt (decoded now),
 * thinking = generated tokens up to and including the thought suffix (tags, forced suffix included),
 * visible = the generated rest plus sampled tokens that never reached the cache (the end token).
 * So billed = everything decoded or sampled this turn.
 */
export function countTurnTokens(t: TurnTokenTrace): Omit<LedgerCounts, 'overhead'> {
  let common = 0;
  const limit = Math.min(t.before.length, t.after.length);
  while (common < limit && t.before[common] === t.after[common]) common++;
  const promptEnd = Math.min(t.promptLength, t.after.length);
  const cached = Math.min(common, promptEnd);
  const prompt = promptEnd - cached;
  const generated = t.after.slice(promptEnd);
  // Sampled tokens that are not in the cache: the last one (end of generation, or the one past maxTokens).
  const tail = Math.max(0, t.sampled - (generated.length - t.injected));
  if (!t.thoughtSeen) return { cached, prompt, thinking: 0, visible: generated.length + tail };
  if (t.thoughtSuffix === null || t.thoughtSuffix.length === 0) {
    const thinking = Math.min(generated.length + tail, t.thoughtStreamed);
    return { cached, prompt, thinking, visible: generated.length + tail - thinking };
  }
  const end = indexOf(generated, t.thoughtSuffix);
  if (end < 0) return { cached, prompt, thinking: generated.length + tail, visible: 0 }; // thought never closed
  const thinking = end + t.thoughtSuffix.length;
  return { cached, prompt, thinking, visible: generated.length - thinking + tail };
}

function indexOf(hay: readonly number[], needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
