import { describe, expect, it } from 'vitest';
import { EarlyExitTally, isTrialPoint, trialCommits, trialComplete, trialScore, type EarlyExitRule } from './earlyExit';

const rule: EarlyExitRule = { threshold: 0.85, trialTokens: 8, start: 10 };

describe('early-exit rule', () => {
  it('runs a trial only at a step boundary once the start is reached', () => {
    expect(isTrialPoint(rule, 9, true)).toBe(false);
    expect(isTrialPoint(rule, 10, false)).toBe(false);
    expect(isTrialPoint(rule, 10, true)).toBe(true);
    expect(isTrialPoint({ ...rule, start: 0 }, 1, true)).toBe(true);
  });

  it('ends a trial at end of generation or at its cap', () => {
    expect(trialComplete(rule, 3, false)).toBe(false);
    expect(trialComplete(rule, 3, true)).toBe(true);
    expect(trialComplete(rule, 8, false)).toBe(true);
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
