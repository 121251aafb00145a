import type { EngineTurnEvent } from '../../common/events';
import { DeltaTrimmer } from '../DeltaTrimmer';

/**
 * The stream callbacks of a turn's parallel drafts, the same for the built-in engine and a remote one: each draft's
 * thought (trimmed deltas) and answer become `draft` events, and "answer now" is told once for the whole turn.
 */
export function draftEvents(emit: (e: EngineTurnEvent) => void, turnId: string) {
  let answeredNow = false;
  const onAnswerNow = (at: number): void => {
    if (answeredNow) return;
    answeredNow = true;
    emit({ type: 'answer-now', turnId, atThinkingTokens: at });
  };
  return (round: number, index: number) => {
    const trim = new DeltaTrimmer();
    return {
      onAnswerNow,
      onThought: (x: string): void => {
        const d = trim.push(x);
        if (d !== '') emit({ type: 'draft', turnId, round, index, part: 'thought', text: d });
      },
      onAnswer: (x: string): void => emit({ type: 'draft', turnId, round, index, part: 'answer', text: x }),
    };
  };
}
