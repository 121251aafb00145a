import { describe, expect, it } from 'vitest';
import type { ControllerTurnEvent } from '$common/controller/events';
import type { DraftRecord, Plan } from '$common/controller/types';
import { applyDraftEvent, gridFromPlan, gridFromRecords, gridProgress, mergeDraftRecords, settleGrid, shownConfidence } from './draftsGrid';

const pdr: Plan & { strategy: 'pdr' } = {
  requested: 'pdr', strategy: 'pdr', difficulty: 'normal', effort: 'auto', effortLevel: null, effortControl: null, expectedThinkingTokens: 60, thinkingBudget: 60,
  systemPrompt: '', temperature: 0.7, earlyExitThreshold: null, trialTokens: 48, earlyExitStart: 30, sampling: null, rounds: [4, 2, 1], kappa: 64,
};
const mk: Plan & { strategy: 'short-m@k' } = { ...pdr, requested: 'short-m@k', strategy: 'short-m@k', rounds: null, kappa: null, sampling: { k: 3, m: 2 } };

type Body<E> = E extends unknown ? Omit<E, 'turnId'> : never;
const ev = (e: Body<ControllerTurnEvent>): ControllerTurnEvent => ({ ...e, turnId: 't' }) as ControllerTurnEvent;

function records(): DraftRecord[] {
  const r = (round: number, index: number, answer: string, confidence: number, winner = false, finished = true): DraftRecord =>
    ({ round, index, answer, text: `37+48=${answer}`, tokens: 40 + index, finished, confidence, winner });
  return [
    r(0, 0, '85', 0.9), r(0, 1, '84', 0.6), r(0, 2, '85', 0.8), r(0, 3, '85', 0.95),
    r(1, 0, '85', 0.97), r(1, 1, '85', 0.93),
    r(2, 0, '85', 0.99, true),
  ];
}

describe('drafts grid', () => {
  it('is shaped by the plan: PDR rounds x drafts, short-m@k one round of k', () => {
    expect(gridFromPlan(pdr).rounds.map((r) => r.drafts.length)).toEqual([4, 2, 1]);
    const g = gridFromPlan(mk);
    expect(g.rounds.map((r) => r.drafts.length)).toEqual([3]);
    expect(g).toMatchObject({ strategy: 'short-m@k', m: 2, budget: 60, winner: null });
  });

  it('streams draft text, ends drafts with their answer, ranks votes and takes the workspace', () => {
    const g = gridFromPlan(pdr);
    applyDraftEvent(g, ev({ type: 'draft', round: 0, index: 1, part: 'thought', text: '7+8' }));
    applyDraftEvent(g, ev({ type: 'draft', round: 0, index: 1, part: 'thought', text: '\n=15' }));
    const c = g.rounds[0]!.drafts[1]!;
    expect(c).toMatchObject({ thought: '7+8\n=15', state: 'thinking', tokens: 3 });
    applyDraftEvent(g, ev({ type: 'draft', round: 0, index: 1, part: 'answer', text: '\n' }));
    applyDraftEvent(g, ev({ type: 'draft', round: 0, index: 1, part: 'answer', text: '85' }));
    expect(c).toMatchObject({ answer: '\n85', state: 'answering', tokens: 5 });
    applyDraftEvent(g, ev({ type: 'draft-end', round: 0, index: 1, answer: '85', tokens: 41, finished: true, confidence: 0.9 }));
    applyDraftEvent(g, ev({ type: 'draft-end', round: 0, index: 0, answer: '84', tokens: 38, finished: true, confidence: 0.95 }));
    applyDraftEvent(g, ev({ type: 'draft-end', round: 0, index: 2, answer: '85', tokens: 44, finished: true, confidence: 0.7 }));
    applyDraftEvent(g, ev({ type: 'draft-end', round: 0, index: 3, answer: '', tokens: 60, finished: false, confidence: 0.1 }));
    expect(c).toMatchObject({ key: '85', tokens: 41, state: 'finished', confidence: 0.9 });
    expect(g.rounds[0]!.drafts[3]!.state).toBe('stopped');
    // finished drafts vote: 85 x2 before 84 x1; the stopped one does not
    expect(g.rounds[0]!.ranked.map((r) => [r.answer, r.votes])).toEqual([['85', 2], ['84', 1]]);
    expect(applyDraftEvent(g, ev({ type: 'workspace', round: 0, text: 'Candidate answers from earlier drafts: 85, 85, 84', tokens: 49 }))).toBe(true);
    expect(g.rounds[0]!.workspace).toEqual({ text: 'Candidate answers from earlier drafts: 85, 85, 84', tokens: 49, rebuilt: false });
    expect(gridProgress(g)).toMatchObject({ done: 4, total: 7, leader: '85', round: 0 });
    expect(applyDraftEvent(g, ev({ type: 'plan', plan: pdr }))).toBe(false);
  });

  it('grows for events beyond the plan (defensive)', () => {
    const g = gridFromPlan(mk);
    applyDraftEvent(g, ev({ type: 'draft-end', round: 1, index: 2, answer: '5', tokens: 3, finished: true, confidence: 1 }));
    expect(g.rounds.map((r) => r.drafts.length)).toEqual([3, 3]);
  });

  it('merges the stored records: exact numbers and the winner, keeping live thinking and exact workspaces', () => {
    const g = gridFromPlan(pdr);
    applyDraftEvent(g, ev({ type: 'draft', round: 0, index: 0, part: 'thought', text: 'ones 7+8' }));
    applyDraftEvent(g, ev({ type: 'workspace', round: 0, text: 'Candidate answers from earlier drafts: 85, 85, 85', tokens: 49 }));
    mergeDraftRecords(g, records());
    expect(g.winner).toEqual({ round: 2, index: 0, answer: '85' });
    expect(g.rounds[2]!.drafts[0]!.winner).toBe(true);
    expect(g.rounds[0]!.drafts[0]).toMatchObject({ thought: 'ones 7+8', answer: '37+48=85', tokens: 40 });
    expect(g.rounds[0]!.workspace).toMatchObject({ tokens: 49, rebuilt: false });
    expect(g.rounds[1]!.workspace).toEqual({ text: 'Candidate answers from earlier drafts: 85, 85', tokens: null, rebuilt: true });
    expect(g.rounds[2]!.workspace).toBeNull();
  });

  it('is rebuilt from a stored message after a reload (with or without the plan)', () => {
    const g = gridFromRecords(records(), pdr);
    expect(g.rounds.map((r) => r.drafts.length)).toEqual([4, 2, 1]);
    expect(g.rounds[0]!.workspace).toEqual({ text: 'Candidate answers from earlier drafts: 85, 85, 85, 84', tokens: null, rebuilt: true });
    expect(g.winner?.answer).toBe('85');
    const noPlan = gridFromRecords(records());
    expect(noPlan.strategy).toBe('pdr');
    expect(noPlan.rounds.map((r) => r.drafts.length)).toEqual([4, 2, 1]);
    const m = gridFromRecords([{ round: 0, index: 0, answer: '5', text: '5', tokens: 9, finished: true, confidence: 0.9, winner: true },
      { round: 0, index: 1, answer: '', text: '', tokens: 12, finished: false, confidence: 0, winner: false }]);
    expect(m.strategy).toBe('short-m@k');
    expect(m.rounds[0]!.workspace).toBeNull();
    expect(m.rounds[0]!.drafts[1]!.state).toBe('stopped');
  });

  it('uses the workspaces stored on the message, exactly as the model saw them, before rebuilding any', () => {
    const g = gridFromRecords(records(), pdr, [{ round: 0, text: 'Candidate answers from earlier drafts: 85, 85', tokens: 44 }]);
    expect(g.rounds[0]!.workspace).toEqual({ text: 'Candidate answers from earlier drafts: 85, 85', tokens: 44, rebuilt: false });
    expect(g.rounds[1]!.workspace?.rebuilt).toBe(true);
  });

  it('a turn that ended early cuts off the drafts still running', () => {
    const g = gridFromPlan(mk);
    applyDraftEvent(g, ev({ type: 'draft', round: 0, index: 0, part: 'thought', text: 'a' }));
    applyDraftEvent(g, ev({ type: 'draft-end', round: 0, index: 1, answer: '5', tokens: 3, finished: true, confidence: 1 }));
    settleGrid(g);
    expect(g.rounds[0]!.drafts.map((d) => d.state)).toEqual(['stopped', 'finished', 'stopped']);
  });
});

describe('shown draft confidence', () => {
  it('drafts that disagree are never shown at 100 %; a round that agrees shows its own confidence', () => {
    const four = ['1200', '1300', '1100', '1400'].map((answer, index): DraftRecord =>
      ({ round: 0, index, answer, text: `= ${answer}`, tokens: 30, finished: true, confidence: 1, winner: false }));
    const g = gridFromRecords([...four, { ...four[0]!, round: 1, index: 0, winner: true }], pdr);
    const r0 = g.rounds[0]!;
    expect(r0.drafts.map((d) => shownConfidence(r0, d))).toEqual([0.25, 0.25, 0.25, 0.25]);
    const agreed = gridFromRecords(records(), pdr).rounds[1]!;
    expect(agreed.drafts.map((d) => shownConfidence(agreed, d))).toEqual([0.97, 0.93]);
    const mixed = gridFromRecords(records(), pdr).rounds[0]!;
    expect(mixed.drafts.map((d) => shownConfidence(mixed, d))).toEqual([0.9 * 0.75, 0.6 * 0.25, 0.8 * 0.75, 0.95 * 0.75]);
    expect(shownConfidence(gridFromPlan(pdr).rounds[0]!, gridFromPlan(pdr).rounds[0]!.drafts[0]!)).toBeNull();
  });
});
