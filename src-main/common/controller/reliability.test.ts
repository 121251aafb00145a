import { describe, expect, it } from 'vitest';
import { messageSchema } from '../schemas/stored';
import { makePlan } from './plan';
import { assessReliability, shownDraftConfidence } from './reliability';
import type { DifficultyInfo, DraftRecord } from './types';

const diff = (difficulty: DifficultyInfo['difficulty']): DifficultyInfo =>
  ({ difficulty, probabilities: null, expectedThinkingTokens: 100, source: 'probe', probeTokens: 0 });
const easy = diff('easy');
// easy + auto = early exit at 0.85 with a 100-token budget (defaults.ts)
const eePlan = makePlan({ difficulty: easy, effort: 'auto', strategy: 'auto' });
const draft = (round: number, index: number, answer: string, winner = false, finished = true): DraftRecord =>
  ({ round, index, answer, text: `= ${answer}`, tokens: 30, finished, confidence: 1, winner });

describe('assessReliability', () => {
  it('a plain turn (no plan) claims nothing', () => {
    expect(assessReliability({ ledger: { thinking: 40 }, stopReason: 'eos' })).toBeNull();
  });

  it('reliable: early exit fired, thinking under budget, Easy, ended on its own', () => {
    expect(eePlan.thinkingBudget).toBe(100);
    const r = assessReliability({
      plan: eePlan, difficulty: easy, ledger: { thinking: 54 }, stopReason: 'eos',
      earlyExit: { trials: 2, fired: true, atThinkingTokens: 54, confidence: 0.93 },
    });
    expect(r).toEqual({ level: 'reliable', reasons: [] });
  });

  it('unsure: trials ran but none reached the threshold', () => {
    const r = assessReliability({
      plan: eePlan, difficulty: easy, ledger: { thinking: 80 }, stopReason: 'eos',
      earlyExit: { trials: 3, fired: false, atThinkingTokens: 80, confidence: 0.62 },
    });
    expect(r).toEqual({ level: 'unsure', reasons: ['no early-exit trial reached the confidence threshold (best 0.62 < 0.85, 3 trials)'] });
  });

  it('unsure: the thinking was cut at its budget (not when early exit stopped it there)', () => {
    const cut = assessReliability({ plan: eePlan, difficulty: easy, ledger: { thinking: 100 }, stopReason: 'eos' });
    expect(cut?.level).toBe('unsure');
    expect(cut?.reasons).toEqual(['the thinking was cut at its budget (100 tokens) before it reached the answer given']);
    const under = assessReliability({ plan: eePlan, difficulty: easy, ledger: { thinking: 99 }, stopReason: 'eos' });
    expect(under?.level).toBe('reliable');
    const fired = assessReliability({
      plan: eePlan, difficulty: easy, ledger: { thinking: 100 }, stopReason: 'eos',
      earlyExit: { trials: 1, fired: true, atThinkingTokens: 100, confidence: 0.9 },
    });
    expect(fired?.level).toBe('reliable');
  });

  // The bundled model's trace (models/recipe/datagen.py): columns, a result line, then a re-check.
  const question = 'What is 37 + 48?';
  const firstColumn = '37+48\n7+8+0=15 c1 -> 5';
  const columns = `${firstColumn}\n3+4+1=8 c0 -> 85`;
  const trace = `${columns}\nSo 37+48=85.\nWait, let me verify.\n7+8+0=15 c1 -> 5`;
  const cutAt = (thinking: string, answer = '37 + 48 = 85') =>
    assessReliability({ plan: eePlan, difficulty: easy, ledger: { thinking: 100 }, stopReason: 'eos', question, answer, thinking });

  it('a budget cut counts only when the thinking had not reached the answer given', () => {
    expect(cutAt(firstColumn)?.reasons).toEqual(['the thinking was cut at its budget (100 tokens) before it reached the answer given']);
    expect(cutAt(columns)).toEqual({ level: 'reliable', reasons: [] });
    expect(cutAt(trace)).toEqual({ level: 'reliable', reasons: [] });
    // A number the question holds is not reached by copying it: 37 + 0 = 37 cut on the copy line counts.
    const copy = assessReliability({ plan: eePlan, difficulty: easy, ledger: { thinking: 100 }, stopReason: 'eos', question: 'What is 37 + 0?', answer: '37 + 0 = 37', thinking: '37+0' });
    expect(copy?.reasons).toEqual(['the thinking was cut at its budget (100 tokens) before it reached the answer given']);
  });

  it('Answer now counts only before the answer was reached', () => {
    const base = { plan: eePlan, difficulty: easy, ledger: { thinking: 30 }, stopReason: 'eos' as const, question, answer: '37 + 48 = 85', answeredNow: { atThinkingTokens: 30 } };
    expect(assessReliability({ ...base, thinking: firstColumn })?.reasons).toEqual(['"Answer now" cut the thinking after 30 tokens, before it reached the answer given']);
    expect(assessReliability({ ...base, thinking: trace })?.level).toBe('reliable');
  });

  it("unsure: a step of the thinking does not hold; not when every step does", () => {
    const base = { plan: eePlan, difficulty: easy, ledger: { thinking: 60 }, stopReason: 'eos' as const, question };
    const slip = assessReliability({ ...base, answer: '37 + 48 = 75', thinking: '37+48\n7+8+0=15 c1 -> 5\n3+4+1=7 c0 -> 75\nSo 37+48=75.' });
    expect(slip?.reasons).toEqual(['a step of the thinking does not hold: 3+4+1=7']);
    expect(assessReliability({ ...base, answer: '37 + 48 = 85', thinking: `${columns}\nSo 37+48=85.` })?.level).toBe('reliable');
  });

  it('unsure: the thinking never uses a number of the question; not when it uses them all', () => {
    const base = { plan: eePlan, difficulty: easy, ledger: { thinking: 60 }, stopReason: 'eos' as const, answer: '37 + 47 = 84' };
    const miscopied = assessReliability({ ...base, question: 'What is 37 + 48?', thinking: '37+47\n7+7+0=14 c1 -> 4\n3+4+1=8 c0 -> 84\nSo 37+47=84.' });
    expect(miscopied?.reasons).toEqual(['the thinking never uses 48 from the question']);
    expect(assessReliability({ ...base, question: 'What is 37 + 47?', thinking: '37+47\n7+7+0=14 c1 -> 4\n3+4+1=8 c0 -> 84\nSo 37+47=84.' })?.level).toBe('reliable');
    // A thousands separator in the question is the same number.
    expect(assessReliability({ ...base, answer: '1,200 + 5 = 1205', question: 'What is 1,200 + 5?', thinking: '1200+5\nSo 1200+5=1205.' })?.level).toBe('reliable');
  });

  it('unsure: the answer is not the result the thinking stated; not when it is', () => {
    const base = { plan: eePlan, difficulty: easy, ledger: { thinking: 60 }, stopReason: 'eos' as const, thinking: `${columns}\nSo 37+48=85.` };
    expect(assessReliability({ ...base, answer: '37 + 48 = 75' })?.reasons).toEqual(['the answer (75) is not the result its thinking stated (85)']);
    expect(assessReliability({ ...base, answer: '37 + 48 = 85' })?.level).toBe('reliable');
    // No answer number, or no stated result: nothing to compare.
    expect(assessReliability({ ...base, answer: '' })?.level).toBe('reliable');
    expect(assessReliability({ ...base, answer: '37 + 48 = 75', thinking: columns })?.level).toBe('reliable');
  });

  it("unsure: the thinking's re-check stated a different result from its first one", () => {
    const base = { plan: eePlan, difficulty: easy, ledger: { thinking: 90 }, stopReason: 'eos' as const };
    const split = assessReliability({ ...base, answer: '37 + 48 = 85', thinking: `${trace}\n3+4+1=8 c0 -> 85\nYes, 86.` });
    expect(split?.reasons).toEqual(['the answer (85) is not the result its thinking stated (86)', 'the thinking stated different results (85, then 86)']);
    expect(assessReliability({ ...base, answer: '37 + 48 = 85', thinking: `${trace}\n3+4+1=8 c0 -> 85\nYes, 85.` })?.level).toBe('reliable');
  });

  it('the probe rating a question Hard is not a reason by itself', () => {
    const hard = diff('hard');
    const r = assessReliability({ plan: makePlan({ difficulty: hard, effort: 'auto', strategy: 'long' }), difficulty: hard, ledger: { thinking: 300 }, stopReason: 'eos' });
    expect(r).toEqual({ level: 'reliable', reasons: [] });
  });

  it('unsure: short-m@k drafts that disagree; agreeing drafts are reliable', () => {
    const plan = makePlan({ difficulty: easy, effort: 'auto', strategy: 'short-m@k' });
    const split = assessReliability({ plan, difficulty: easy, ledger: { thinking: 200 }, stopReason: 'eos',
      drafts: [draft(0, 0, '85', true), draft(0, 1, '85'), draft(0, 2, '75'), draft(0, 3, '', false, false)] });
    expect(split).toEqual({ level: 'unsure', reasons: ['the drafts disagree: 2 different answers among 3 drafts (2 gave the winning answer)'] });
    const agree = assessReliability({ plan, difficulty: easy, ledger: { thinking: 200 }, stopReason: 'eos',
      drafts: [draft(0, 0, '85', true), draft(0, 1, '85'), draft(0, 2, '', false, false)] });
    expect(agree).toEqual({ level: 'reliable', reasons: [] });
  });

  it('PDR: judged on the last round with several drafts; a winner cut before it finished is unsure', () => {
    const plan = makePlan({ difficulty: easy, effort: 'auto', strategy: 'pdr' });
    const rounds = [draft(0, 0, '1200'), draft(0, 1, '1300'), draft(0, 2, '1100'), draft(0, 3, '1400')];
    const r = assessReliability({ plan, difficulty: easy, ledger: { thinking: 500 }, stopReason: 'eos', drafts: [...rounds, draft(1, 0, '1200', true)] });
    expect(r?.reasons).toEqual(['the drafts disagree: 4 different answers among 4 drafts (1 gave the winning answer)']);
    const cut = assessReliability({ plan, difficulty: easy, ledger: { thinking: 500 }, stopReason: 'eos',
      drafts: [draft(0, 0, '7'), draft(0, 1, '7'), draft(1, 0, '7', true, false)] });
    expect(cut).toEqual({ level: 'unsure', reasons: ['the winning draft was cut before it finished its answer'] });
  });

  it('unsure: Answer now and the token limit; reasons keep a fixed order', () => {
    const hard = diff('hard');
    const r = assessReliability({ plan: makePlan({ difficulty: hard, effort: 'auto', strategy: 'budget' }), difficulty: hard,
      ledger: { thinking: 20 }, stopReason: 'maxTokens', answeredNow: { atThinkingTokens: 20 } });
    expect(r?.reasons).toEqual([
      '"Answer now" cut the thinking after 20 tokens, before it reached the answer given',
      'the answer stopped at the token limit',
    ]);
  });
});

describe('shownDraftConfidence', () => {
  it('drafts that disagree are never shown at 100 %', () => {
    expect(shownDraftConfidence(1, 1, 4)).toBe(0.25);
    expect(shownDraftConfidence(1, 3, 4)).toBe(0.75);
    expect(shownDraftConfidence(0.9, 4, 4)).toBe(0.9);
    expect(shownDraftConfidence(0.8, 0, 0)).toBe(0.8);
  });
});

describe('stored reliability', () => {
  const base = { id: 'm1', role: 'assistant', text: '85', createdAt: '2026-01-01T00:00:00.000Z' };
  it('old messages without the field still parse; a stored signal round-trips; a bad level is refused', () => {
    expect(messageSchema.safeParse(base).success).toBe(true);
    const withIt = { ...base, reliability: { level: 'unsure', reasons: ['the drafts disagree'] } };
    expect(messageSchema.parse(withIt).reliability).toEqual(withIt.reliability);
    expect(messageSchema.safeParse({ ...base, reliability: { level: 'maybe', reasons: [] } }).success).toBe(false);
  });
});
