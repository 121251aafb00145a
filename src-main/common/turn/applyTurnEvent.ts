/**
 * The one reducer of turn events (ARCHITECTURE.md "One turn, as data"): folds a TurnEvent into the assistant
 * message it belongs to. The host keeps its stored record with it and the renderer its chat view, so both read
 * the same stream the same way. Pure: returns a new Message and never changes its input (an event that changes
 * nothing in a Message, e.g. load-progress or a draft delta, returns the same object).
 */
import type { TurnEvent } from '../events';
import type { Message } from '../types';

export function applyTurnEvent(message: Message, e: TurnEvent): Message {
  switch (e.type) {
    case 'start':
      return { ...message, modelId: e.modelId, status: 'streaming' };
    case 'thought':
      return e.text === '' ? message : { ...message, thinking: (message.thinking ?? '') + e.text };
    case 'answer':
      return e.text === '' ? message : { ...message, text: message.text + e.text };
    case 'answer-now':
      return { ...message, answeredNow: { atThinkingTokens: e.atThinkingTokens } };
    case 'thought-end':
      return { ...message, thinkingMs: e.ms };
    case 'ledger':
      return { ...message, ledger: e.ledger };
    case 'difficulty':
      return { ...message, difficulty: e.difficulty };
    case 'plan':
      return { ...message, plan: e.plan };
    case 'workspace':
      return { ...message, workspaces: [...(message.workspaces ?? []), { round: e.round, text: e.text, tokens: e.tokens }] };
    case 'early-exit':
      return { ...message, earlyExit: { trials: e.trials, fired: e.fired, atThinkingTokens: e.atThinkingTokens, confidence: e.confidence } };
    case 'done':
      // The host's stored message is the final word: the deltas should have added up to it.
      return { ...e.message, status: e.status };
    case 'error': {
      const base = e.message ?? message;
      if (e.error.code === 'TURN_ABORTED') {
        const { error: _e, ...rest } = base;
        return { ...rest, status: 'stopped' };
      }
      return { ...base, status: 'error', error: e.error };
    }
    // Live only: a draft's text arrives again in the final message's DraftRecords; progress is not stored. A
    // download or a stored-state change belongs to no message.
    case 'load-progress':
    case 'download':
    case 'changed':
    case 'draft':
    case 'draft-end':
      return message;
  }
}

/** The assistant message a `start` event announces, as a client that did not create it sees it. */
export function startedAssistantMessage(e: Extract<TurnEvent, { type: 'start' }>, createdAt: string): Message {
  return { id: e.assistantMessageId, role: 'assistant', text: '', thinking: '', createdAt, modelId: e.modelId, status: 'streaming' };
}
