import { describe, expect, it } from 'vitest';
import { EarlyExitTally, finishedLine, statesResult, trialCannotCommit, trialCommits, trialComplete, trialPoints, trialScore, type EarlyExitRule } from './earlyExit';

const rule: EarlyExitRule = { threshold: 0.85, trialTokens: 8, start: 10 };

describe('early-exit rule', () => {
  it('runs a trial only at a step boundary once the start is reached', () => {
    const at = trialPoints(rule);
    expect(at(9, '3+4+1=8 c0 -> 85')).toBe(false);
    expect(at(10, null)).toBe(false);
    expect(at(10, '3+4+1=8 c0 -> 85')).toBe(true);
    expect(trialPoints({ ...rule, start: 0 })(1, '')).toBe(true);
  });

  it("'result': no trial mid-column; one at a result line and at every step after it (the re-check)", () => {
    const at = trialPoints({ ...rule, at: 'result' });
    expect(at(30, '7+8+0=15 c1 -> 5')).toBe(false);
    expect(at(31, '12+5: 2+5+0=7 c0 -> 7. Now 17')).toBe(false);
    expect(at(32, null)).toBe(false);
    expect(at(33, 'So 37+48=85.')).toBe(true);
    expect(at(34, 'Wait, let me verify.')).toBe(true);
    expect(at(35, '7+8+0=15 c1 -> 5')).toBe(true);
    // A result line before the start still opens the trials, which wait for the start.
    const late = trialPoints({ ...rule, at: 'result', start: 50 });
    expect(late(20, 'So 37+48=85.')).toBe(false);
    expect(late(50, '7+8+0=15 c1 -> 5')).toBe(true);
  });

  it("'result': held back while the thinking so far shows a slip or results that disagree", () => {
    // A column that does not hold (2-3-0=9): no trial at its result line or in the re-check that may correct it.
    const slipped = trialPoints({ ...rule, at: 'result', start: 0 });
    expect(slipped(5, '62244-50300')).toBe(false);
    expect(slipped(10, '2-3-0=9 b0 -> 944')).toBe(false);
    expect(slipped(20, 'So 62244-50300=12944.')).toBe(false);
    expect(slipped(21, 'Wait, let me verify.')).toBe(false);
    expect(slipped(30, '12-3-0=9 b1 -> 944')).toBe(false);
    // A slip before the start still holds the trials after it.
    const early = trialPoints({ ...rule, at: 'result', start: 50 });
    expect(early(10, '2-3-0=9 b0 -> 944')).toBe(false);
    expect(early(60, 'So 62244-50300=12944.')).toBe(false);
    // Two result lines that disagree: held from the second on.
    const differ = trialPoints({ ...rule, at: 'result', start: 0 });
    expect(differ(10, 'So 37+48=85.')).toBe(true);
    expect(differ(11, 'Wait, let me verify.')).toBe(true);
    expect(differ(20, 'Yes, 84.')).toBe(false);
    expect(differ(21, 'Wait, let me verify.')).toBe(false);
    // The same lines with every step holding: a trial at the result line and after it.
    const clean = trialPoints({ ...rule, at: 'result', start: 0 });
    expect(clean(10, '12-3-0=9 b1 -> 944')).toBe(false);
    expect(clean(20, 'So 62244-50300=11944.')).toBe(true);
    expect(clean(30, 'Yes, 11944.')).toBe(true);
  });

  it("'step' is never held back (calibration reads a trial at every step boundary)", () => {
    const at = trialPoints({ ...rule, start: 0 });
    expect(at(10, '2-3-0=9 b0 -> 944')).toBe(true);
    expect(at(20, 'So 62244-50300=12944.')).toBe(true);
  });

  it('reads the number a result line states, and the line a step token finishes', () => {
    expect(statesResult('So 37+48=85.')).toBe('85');
    expect(statesResult('The answer is 1,200. ')).toBe('1200');
    expect(statesResult('So 3-12=-9.')).toBe('-9');
    expect(statesResult('half of it is 2.5.')).toBe('2.5');
    expect(statesResult('3+4+1=8 c0 -> 85')).toBeNull();
    expect(statesResult('Now 17')).toBeNull();
    expect(statesResult('')).toBeNull();
    expect(finishedLine('37+48\nSo 37+48=85', '.\n')).toBe('So 37+48=85.');
    expect(finishedLine('37+48\nSo 37+48=85', '.')).toBeNull();
    expect(finishedLine('', '\n')).toBe('');
  });

  it('ends a trial at end of generation or at its cap', () => {
    expect(trialComplete(rule, 3, false)).toBe(false);
    expect(trialComplete(rule, 3, true)).toBe(true);
    expect(trialComplete(rule, 8, false)).toBe(true);
  });

  it('a trial stops at its first token below the threshold, unless full trials are asked for', () => {
    expect(trialCannotCommit(rule, 0.84)).toBe(true);
    expect(trialCannotCommit(rule, 0.85)).toBe(false);
    expect(trialCannotCommit({ ...rule, fullTrials: true }, 0.1)).toBe(false);
  });

  it('scores a trial by its least probable token and commits at the threshold, never an empty one', () => {
    expect(trialScore([0.99, 0.7, 0.95])).toBe(0.7);
    expect(trialScore([])).toBe(0);
    expect(trialCommits(rule, [0.99, 0.85])).toBe(true);
    expect(trialCommits(rule, [0.99, 0.849])).toBe(false);
    expect(trialCommits({ ...rule, threshold: 0 }, [])).toBe(false);
  });

  it('reports the committed trial with the number of trials, else the best rejected score', () => {
    const t = new EarlyExitTally();
    expect(t.record(0)).toBeNull();
    expect(t.decide(rule, [0.5, 0.9], 12)).toBeNull();
    expect(t.decide(rule, [0.6], 20)).toBeNull();
    expect(t.record(25)).toEqual({ trials: 2, fired: false, atThinkingTokens: 25, confidence: 0.6 });
    const fired = t.decide(rule, [0.9, 0.95], 30);
    expect(fired).toEqual({ trials: 3, fired: true, atThinkingTokens: 30, confidence: 0.9 });
    expect(t.record(40)).toEqual(fired);
  });
});
