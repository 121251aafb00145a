import { describe, expect, it } from 'vitest';
import type { TurnEvent } from '$common/events';
import { makeLedger } from '$common/ledger';
import { applyTurnEvent } from '$common/turn/applyTurnEvent';
import type { Message } from '$common/types';
import type { Reliability } from '$common/controller/reliability';
import { applyChatEvent, applyChatEvents, fromMessage, pendingUserMessage, type ChatMessage } from './chatMessage';

const user = { id: 'u1', role: 'user' as const, text: 'What is 37+48?', createdAt: '2024-01-01T00:00:00Z' };

function started(): ChatMessage[] {
  const msgs = [pendingUserMessage('What is 37+48?')];
  applyChatEvent(msgs, { type: 'start', turnId: 't1', conversationId: 'c1', userMessage: user, assistantMessageId: 'a1', modelId: 'm' }, 1000);
  return msgs;
}

describe('applyChatEvent', () => {
  it('replaces the pending user message and adds a waiting assistant message', () => {
    const msgs = started();
    expect(msgs.map((m) => m.id)).toEqual(['u1', 'a1']);
    expect(msgs[1]).toMatchObject({ phase: 'waiting', status: 'streaming', turnId: 't1' });
  });

  it('streams thoughts, then the answer, then settles with the ledger', () => {
    const msgs = started();
    const a = msgs[1]!;
    const ev = (e: TurnEvent, t: number) => expect(applyChatEvent(msgs, e, t)).toBe(true);
    ev({ type: 'thought', turnId: 't1', text: '7+8=15 ' }, 1100);
    expect(a.phase).toBe('thinking');
    ev({ type: 'thought', turnId: 't1', text: 'carry 1' }, 1200);
    expect(a.thinking).toBe('7+8=15 carry 1');
    ev({ type: 'thought-end', turnId: 't1', ms: 320, tokens: 12 }, 1420);
    expect(a).toMatchObject({ phase: 'answering', thinkingMs: 320, thinkingTokens: 12 });
    ev({ type: 'answer', turnId: 't1', text: '8' }, 1500);
    ev({ type: 'answer', turnId: 't1', text: '5' }, 1510);
    expect(a.text).toBe('85');
    const ledger = makeLedger({ visible: 2, thinking: 12, prompt: 20, cached: 0 });
    ev({ type: 'ledger', turnId: 't1', ledger }, 1520);
    ev({ type: 'done', turnId: 't1', status: 'done', message: { id: 'a1', role: 'assistant', text: '85', thinking: '7+8=15 carry 1', thinkingMs: 320, ledger, createdAt: '', status: 'done' } }, 1530);
    expect(a).toMatchObject({ phase: 'final', status: 'done', text: '85', ledger });
  });

  it('measures thinking on the client when no thought-end arrives', () => {
    const msgs = started();
    applyChatEvent(msgs, { type: 'thought', turnId: 't1', text: 'x' }, 2000);
    applyChatEvent(msgs, { type: 'answer', turnId: 't1', text: 'y' }, 2750);
    expect(msgs[1]!.thinkingMs).toBe(750);
  });

  it('marks stops and errors on the message', () => {
    const msgs = started();
    applyChatEvent(msgs, { type: 'done', turnId: 't1', status: 'stopped', message: { id: 'a1', role: 'assistant', text: '', createdAt: '', status: 'stopped' } });
    expect(msgs[1]).toMatchObject({ status: 'stopped', phase: 'final' });
    const m2 = started();
    applyChatEvent(m2, { type: 'error', turnId: 't1', error: { code: 'ENGINE_CRASHED', message: 'boom' } });
    expect(m2[1]).toMatchObject({ status: 'error', error: { code: 'ENGINE_CRASHED' } });
  });

  it('ignores events of other turns', () => {
    const msgs = started();
    expect(applyChatEvent(msgs, { type: 'answer', turnId: 'other', text: 'z' })).toBe(false);
    expect(msgs[1]!.text).toBe('');
  });

  it('keeps the controller verdict, plan, early exit and receipt', () => {
    const msgs = started();
    applyChatEvent(msgs, { type: 'difficulty', turnId: 't1', difficulty: { difficulty: 'easy', probabilities: { easy: 0.9, normal: 0.08, hard: 0.02 }, expectedThinkingTokens: 40, source: 'probe', probeTokens: 20 } });
    applyChatEvent(msgs, { type: 'early-exit', turnId: 't1', trials: 2, fired: true, atThinkingTokens: 23, confidence: 0.97 });
    applyChatEvent(msgs, { type: 'draft-end', turnId: 't1', round: 0, index: 0, answer: '85', tokens: 30, finished: true, confidence: 0.9 });
    expect(msgs[1]).toMatchObject({ difficulty: { difficulty: 'easy' }, earlyExit: { fired: true, atThinkingTokens: 23 }, drafts: 1 });
    const receipt = { treeSize: 42, root: 'ab'.repeat(32) } as unknown as NonNullable<import('$common/types').Message['receipt']>;
    applyChatEvent(msgs, { type: 'done', turnId: 't1', status: 'done', message: { id: 'a1', role: 'assistant', text: '85', createdAt: '', status: 'done', receipt } });
    expect(msgs[1]!.receipt).toEqual({ treeSize: 42, root: 'ab'.repeat(32) });
  });

  it('counts live thinking tokens for the budget bar and builds the drafts view from draft events', () => {
    const msgs = started();
    const a = msgs[1]!;
    applyChatEvent(msgs, { type: 'thought', turnId: 't1', text: '7' });
    applyChatEvent(msgs, { type: 'thought', turnId: 't1', text: '\n8' });
    expect(a.liveThinkingTokens).toBe(3);
    const plan = { requested: 'pdr', strategy: 'pdr', difficulty: 'normal', effort: 'auto', effortLevel: null, effortControl: null, expectedThinkingTokens: 60, thinkingBudget: 60, systemPrompt: '',
      temperature: 0.7, earlyExitThreshold: null, trialTokens: 48, earlyExitStart: 30, sampling: null, rounds: [2, 1], kappa: 64 } as const;
    applyChatEvent(msgs, { type: 'plan', turnId: 't1', plan: { ...plan, rounds: [2, 1] } });
    expect(a.draftsGrid?.rounds.map((r) => r.drafts.length)).toEqual([2, 1]);
    applyChatEvent(msgs, { type: 'draft', turnId: 't1', round: 0, index: 1, part: 'thought', text: 'ones' });
    applyChatEvent(msgs, { type: 'draft-end', turnId: 't1', round: 0, index: 1, answer: '85', tokens: 30, finished: true, confidence: 0.9 });
    applyChatEvent(msgs, { type: 'workspace', turnId: 't1', round: 0, text: 'Candidate answers from earlier drafts: 85', tokens: 41 });
    expect(a.draftsGrid?.rounds[0]!.drafts[1]).toMatchObject({ thought: 'ones', key: '85', state: 'finished' });
    expect(a.drafts).toBe(1);
    const drafts = [
      { round: 0, index: 0, answer: '84', text: '84', tokens: 20, finished: true, confidence: 0.5, winner: false },
      { round: 0, index: 1, answer: '85', text: '85', tokens: 30, finished: true, confidence: 0.9, winner: false },
      { round: 1, index: 0, answer: '85', text: '= 85', tokens: 25, finished: true, confidence: 0.95, winner: true },
    ];
    applyChatEvent(msgs, { type: 'done', turnId: 't1', status: 'done', message: { id: 'a1', role: 'assistant', text: '85', createdAt: '', status: 'done', plan: { ...plan, rounds: [2, 1] }, drafts } });
    // the stored records settle the grid; the live thinking and exact workspace stay
    expect(a.draftsGrid?.winner).toEqual({ round: 1, index: 0, answer: '85' });
    expect(a.draftsGrid?.rounds[0]!.drafts[1]!.thought).toBe('ones');
    expect(a.draftsGrid?.rounds[0]!.workspace).toMatchObject({ tokens: 41, rebuilt: false });
    expect(a.drafts).toBe(3);
    // after a reload: rebuilt from Message.drafts alone
    const again = fromMessage({ id: 'a1', role: 'assistant', text: '85', createdAt: '', status: 'done', plan: { ...plan, rounds: [2, 1] }, drafts });
    expect(again.draftsGrid?.rounds[0]!.workspace).toMatchObject({ text: 'Candidate answers from earlier drafts: 85, 84', rebuilt: true });
    expect(again.draftsGrid?.winner?.index).toBe(0);
  });

  it('the done message settles the reliability signal into the view, and a reload keeps it', () => {
    const msgs = started();
    const a = msgs[1]!;
    const reliability: Reliability = { level: 'unsure', reasons: ['the drafts disagree: 2 different answers among 2 drafts'] };
    applyChatEvent(msgs, { type: 'done', turnId: 't1', status: 'done', message: { id: 'a1', role: 'assistant', text: '85', createdAt: '', status: 'done', reliability } });
    expect(a.reliability).toEqual(reliability);
    expect(fromMessage({ id: 'a1', role: 'assistant', text: '85', createdAt: '', status: 'done', reliability }).reliability).toEqual(reliability);
    expect(fromMessage({ id: 'a1', role: 'assistant', text: '85', createdAt: '', status: 'done' }).reliability).toBeUndefined();
  });

  it('keeps the same record the host keeps: the shared reducer over the same events', () => {
    const msgs = started();
    const events: TurnEvent[] = [
      { type: 'thought', turnId: 't1', text: '7+8=15 ' },
      { type: 'thought-end', turnId: 't1', ms: 320, tokens: 12 },
      { type: 'answer', turnId: 't1', text: '85' },
      { type: 'early-exit', turnId: 't1', trials: 1, fired: false, atThinkingTokens: 10, confidence: 0.4 },
      { type: 'workspace', turnId: 't1', round: 0, text: 'ws', tokens: 1 },
    ];
    let host: Message = { ...msgs[1]!.record!, createdAt: 'host clock' };
    for (const e of events) {
      applyChatEvent(msgs, e, 1000);
      host = applyTurnEvent(host, e);
    }
    expect({ ...msgs[1]!.record!, createdAt: 'host clock' }).toEqual(host);
    expect(msgs[1]).toMatchObject({ text: host.text, thinking: host.thinking, thinkingMs: 320, earlyExit: host.earlyExit });
    const stored: Message = { ...host, text: '85.', status: 'done' };
    applyChatEvent(msgs, { type: 'done', turnId: 't1', status: 'done', message: stored }, 1100);
    expect(msgs[1]!.record).toEqual(stored);
    expect(msgs[1]).toMatchObject({ text: '85.', status: 'done', phase: 'final' });
  });
});

describe('applyChatEvents', () => {
  it('a frame of deltas joined per run gives the same view as one event at a time, token estimates included', () => {
    const events: TurnEvent[] = [
      { type: 'thought', turnId: 't1', text: '' },
      { type: 'thought', turnId: 't1', text: 'Ones' },
      { type: 'thought', turnId: 't1', text: '  7+8' },
      { type: 'thought', turnId: 't1', text: '\n' },
      { type: 'thought', turnId: 't1', text: '=15' },
      { type: 'thought-end', turnId: 't1', ms: 40, tokens: 9 },
      { type: 'answer', turnId: 't1', text: '**85**' },
      { type: 'answer', turnId: 't1', text: ' is' },
      { type: 'answer', turnId: 't2', text: 'other turn' },
      { type: 'answer', turnId: 't1', text: ' it.' },
    ];
    const one = started();
    for (const e of events) applyChatEvent(one, e, 1500);
    const batched = started();
    applyChatEvents(batched, events, 1500);
    expect(batched).toEqual(one);
    expect(batched[1]).toMatchObject({ thinking: 'Ones  7+8\n=15', text: '**85** is it.', phase: 'answering' });
    // 'Ones' (first) 1, '  7+8' 1 + 2 leading spaces, '\n' 1 (all whitespace), '=15' 1
    expect(batched[1]!.liveThinkingTokens).toBe(6);
    // plus the answer: '**85**' 1, ' is' 2, ' it.' 2 (the other turn's delta is not this message's)
    expect(batched[1]!.liveTokens).toBe(11);
  });
});
