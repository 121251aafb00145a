import { describe, expect, it } from 'vitest';
import { fitEarlyExit, MIN_FIT_QUESTIONS, type ExitObservation } from './earlyExitFit';

const obs = (label: ExitObservation['label'], fullCorrect: boolean, trials: [number, boolean][], fullThinking = 100): ExitObservation => ({
  label, fullCorrect, fullThinking, trials: trials.map(([confidence, correct], i) => ({ confidence, correct, atThinkingTokens: 20 * (i + 1) })),
});

describe('fitEarlyExit', () => {
  it('picks the lowest threshold whose exits keep the class accuracy', () => {
    // Easy: wrong trials reach 0.8 at most, right ones 0.95: 0.95 keeps every answer, 0.8 loses two.
    const easy = Array.from({ length: 10 }, (_, i) => obs('easy', true, i < 2 ? [[0.8, false], [0.95, true]] : [[0.6, false], [0.95, true]]));
    const fit = fitEarlyExit(easy);
    expect(fit.easy.threshold).toBe(0.95);
    expect(fit.easy.exitAccuracy).toBe(1);
    expect(fit.easy.fullAccuracy).toBe(1);
    expect(fit.easy.exitRate).toBe(1);
    expect(fit.easy.thinkingShare).toBeCloseTo(0.4, 6);
    // too few of the others: no threshold, the settings' value applies
    expect(fit.normal).toMatchObject({ threshold: null, questions: 0 });
  });

  it('an exit that fixes a wrong full answer may offset one it breaks; accuracy is kept, not per question', () => {
    const a = Array.from({ length: MIN_FIT_QUESTIONS }, (_, i) => obs('normal', i !== 0, i === 0 ? [[0.7, true]] : i === 1 ? [[0.7, false]] : [[0.99, true]]));
    expect(fitEarlyExit(a).normal.threshold).toBe(0.7);
    expect(fitEarlyExit(a).normal.exitAccuracy).toBe(fitEarlyExit(a).normal.fullAccuracy);
  });

  it('when every confident trial is wrong the threshold sits above all of them (it never fires on the set)', () => {
    const hard = Array.from({ length: MIN_FIT_QUESTIONS }, () => obs('hard', true, [[0.99, false]]));
    const fit = fitEarlyExit(hard).hard;
    expect(fit.threshold).toBeGreaterThan(0.99);
    expect(fit.exitRate).toBe(0);
    expect(fit.exitAccuracy).toBe(1);
  });

  it('below MIN_FIT_QUESTIONS a class gets no fitted threshold; trials under 0.5 are never candidates', () => {
    expect(fitEarlyExit(Array.from({ length: MIN_FIT_QUESTIONS - 1 }, () => obs('easy', true, [[0.9, true]]))).easy.threshold).toBeNull();
    const low = Array.from({ length: MIN_FIT_QUESTIONS }, () => obs('easy', false, [[0.3, false]]));
    // 0.3 would keep accuracy (0 right either way) but is below the floor: the fallback is above the floor
    expect(fitEarlyExit(low).easy.threshold).toBeGreaterThanOrEqual(0.5);
  });
});
