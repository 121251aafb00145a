import { describe, expect, it } from 'vitest';
import type { TurnEvent } from '../events';
import { makeLedger } from '../ledger';
import type { Message } from '../types';
import type { Plan } from '../controller/types';
import { applyTurnEvent, startedAssistantMessage } from './applyTurnEvent';

const t = 't1';
const streaming = (): Message => ({ id: 'a1', role: 'assistant', text: '', thinking: '', createdAt: '2024-01-01T00:00:00Z', modelId: 'm', status: 'streaming' });
const plan: Plan = {
  requested: 'auto', strategy: 'early-exit', difficulty: 'normal', effort: 'auto', effortLevel: null, effortControl: null, expectedThinkingTokens: 60, thinkingBudget: 48, systemPrompt: '',
  temperature: 0.6, earlyExitThreshold: 0.9, trialTokens: 8, earlyExitStart: 16, sampling: null, rounds: null, kappa: null,
};
const difficulty = { difficulty: 'easy', probabilities: { easy: 0.9, normal: 0.08, hard: 0.02 }, expectedThinkingTokens: 40, source: 'probe', probeTokens: 20 } as const;
const ledger = makeLedger({ visible: 2, thinking: 12, prompt: 20, cached: 0, overhead: { probe: 20 } });

/** Folds events one by one, checking that no step changed the message it was given. */
function fold(m: Message, events: TurnEvent[]): Message {
  for (const e of events) {
    const before = structuredClone(m);
    const next = applyTurnEvent(m, e);
    expect(m).toEqual(before);
    m = next;
  }
  return m;
}

describe('applyTurnEvent', () => {
  it('appends thought and answer deltas in order and keeps the rest', () => {
    const m = fold(streaming(), [
      { type: 'thought', turnId: t, text: '7+8=15 ' },
      { type: 'thought', turnId: t, text: 'carry 1' },
      { type: 'thought-end', turnId: t, ms: 320, tokens: 12 },
      { type: 'answer', turnId: t, text: '8' },
      { type: 'answer', turnId: t, text: '5' },
    ]);
    expect(m).toMatchObject({ thinking: '7+8=15 carry 1', thinkingMs: 320, text: '85', status: 'streaming', id: 'a1', modelId: 'm' });
  });

  it('starts a thought on a message without thinking text, and an empty delta changes nothing', () => {
    const bare: Message = { id: 'a1', role: 'assistant', text: '', createdAt: '' };
    expect(applyTurnEvent(bare, { type: 'thought', turnId: t, text: 'x' }).thinking).toBe('x');
    expect(applyTurnEvent(bare, { type: 'answer', turnId: t, text: '' })).toBe(bare);
  });

  it('records the ledger, the controller verdict, the plan, workspaces and early exit', () => {
    const m = fold(streaming(), [
      { type: 'difficulty', turnId: t, difficulty },
      { type: 'plan', turnId: t, plan },
      { type: 'workspace', turnId: t, round: 0, text: 'Candidate answers: 85', tokens: 5 },
      { type: 'workspace', turnId: t, round: 1, text: 'Candidate answers: 85, 84', tokens: 7 },
      { type: 'early-exit', turnId: t, trials: 2, fired: true, atThinkingTokens: 23, confidence: 0.97 },
      { type: 'ledger', turnId: t, ledger },
    ]);
    expect(m.difficulty).toEqual(difficulty);
    expect(m.plan).toEqual(plan);
    expect(m.workspaces).toEqual([{ round: 0, text: 'Candidate answers: 85', tokens: 5 }, { round: 1, text: 'Candidate answers: 85, 84', tokens: 7 }]);
    expect(m.earlyExit).toEqual({ trials: 2, fired: true, atThinkingTokens: 23, confidence: 0.97 });
    expect(m.ledger).toEqual(ledger);
  });

  it('leaves the message as it is for live-only events (load progress, draft deltas and ends)', () => {
    const m = streaming();
    for (const e of [
      { type: 'load-progress', turnId: t, progress: 0.5 },
      { type: 'draft', turnId: t, round: 0, index: 1, part: 'thought', text: 'ones' },
      { type: 'draft-end', turnId: t, round: 0, index: 1, answer: '85', tokens: 30, finished: true, confidence: 0.9 },
    ] satisfies TurnEvent[]) expect(applyTurnEvent(m, e)).toBe(m);
  });

  it('start marks the message streaming under the turn\'s model; startedAssistantMessage builds it for a client', () => {
    const start = { type: 'start', turnId: t, conversationId: 'c1', userMessage: { id: 'u1', role: 'user', text: 'q', createdAt: '' }, assistantMessageId: 'a9', modelId: 'm2' } as const;
    expect(applyTurnEvent({ ...streaming(), status: 'interrupted' }, start)).toMatchObject({ status: 'streaming', modelId: 'm2', id: 'a1' });
    expect(startedAssistantMessage(start, '2024-02-02T00:00:00Z')).toEqual({ id: 'a9', role: 'assistant', text: '', thinking: '', createdAt: '2024-02-02T00:00:00Z', modelId: 'm2', status: 'streaming' });
  });

  it('done replaces the message with the authoritative one (status from the event)', () => {
    const live = fold(streaming(), [{ type: 'answer', turnId: t, text: 'The answer is 8' }, { type: 'plan', turnId: t, plan }]);
    const stored: Message = { id: 'a1', role: 'assistant', text: 'The answer is 85.', thinking: 'sum', createdAt: 'x', status: 'done', ledger };
    const done = applyTurnEvent(live, { type: 'done', turnId: t, status: 'done', message: stored });
    expect(done).toEqual(stored);
    expect(done).not.toBe(stored);
    expect(applyTurnEvent(live, { type: 'done', turnId: t, status: 'stopped', message: stored }).status).toBe('stopped');
  });

  it('error takes the stored message when the host sends one, marks it error, and a stop as stopped', () => {
    const live = applyTurnEvent(streaming(), { type: 'answer', turnId: t, text: 'partial' });
    const crashed = applyTurnEvent(live, { type: 'error', turnId: t, error: { code: 'ENGINE_CRASHED', message: 'boom' } });
    expect(crashed).toMatchObject({ text: 'partial', status: 'error', error: { code: 'ENGINE_CRASHED', message: 'boom' } });
    const stored: Message = { ...live, text: 'partial, saved', status: 'error', error: { code: 'INTERNAL', message: 'x' } };
    expect(applyTurnEvent(live, { type: 'error', turnId: t, error: { code: 'INTERNAL', message: 'x' }, message: stored })).toMatchObject({ text: 'partial, saved', status: 'error' });
    const stopped = applyTurnEvent({ ...live, error: { code: 'INTERNAL', message: 'old' } }, { type: 'error', turnId: t, error: { code: 'TURN_ABORTED', message: 'stopped' } });
    expect(stopped.status).toBe('stopped');
    expect(stopped.error).toBeUndefined();
  });
});
