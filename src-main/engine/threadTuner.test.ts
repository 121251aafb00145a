/** The thread choice going stale when turns decode far below what the model did before (ThreadTuner.observe). */
import { describe, expect, it } from 'vitest';
import { MIN_OBSERVED_STEPS, REMEASURE_GAP_MS, SLOW_SHARE, SLOW_TURNS_IN_A_ROW, ThreadTuner } from './threadTuner';

const M = '/models/a.gguf';
const steps = MIN_OBSERVED_STEPS;

describe('ThreadTuner.observe', () => {
  it('marks a cached choice stale after SLOW_TURNS_IN_A_ROW turns far below the best one, and a measurement clears it', () => {
    const t = new ThreadTuner(null, 2);
    expect(t.needsMeasurement).toBe(false);
    expect(t.observe(M, steps, 100, 0)).toBe(false); // sets the expectation
    for (let i = 1; i < SLOW_TURNS_IN_A_ROW; i++) expect(t.observe(M, steps, 100 * SLOW_SHARE - 1, i)).toBe(false);
    expect(t.stale).toBe(false);
    expect(t.observe(M, steps, 100 * SLOW_SHARE - 1, 10)).toBe(true);
    expect(t.stale).toBe(true);
    expect(t.needsMeasurement).toBe(true);
    // what a measurement under the new load found: 1 thread is now the faster
    const c = t.takeSpeeds({ 1: 30, 2: 12 }, 20);
    expect(c).toEqual({ threads: 1, source: 'measured' });
    expect(t.stale).toBe(false);
    expect(t.takeMeasurement()).toMatchObject({ threads: 1, tokensPerSecond: { 1: 30, 2: 12 } });
  });

  it('a turn at or above the slow share, or a fast one, breaks the run of slow turns', () => {
    const t = new ThreadTuner(null, 2);
    t.observe(M, steps, 100, 0);
    for (let round = 0; round < 3; round++) {
      for (let i = 1; i < SLOW_TURNS_IN_A_ROW; i++) t.observe(M, steps, 10, 1);
      t.observe(M, steps, 100 * SLOW_SHARE, 1); // not slow: the count starts again
    }
    expect(t.stale).toBe(false);
  });

  it('ignores short turns, other models\' expectations, and a user\'s own thread setting', () => {
    const short = new ThreadTuner(null, 2);
    short.observe(M, steps, 100, 0);
    for (let i = 0; i < 10; i++) short.observe(M, steps - 1, 1, 1);
    expect(short.stale).toBe(false);

    // each model has its own expectation: a slower model is not a slower machine
    const two = new ThreadTuner(null, 2);
    two.observe('/models/small.gguf', steps, 1000, 0);
    for (let i = 0; i < 10; i++) two.observe('/models/big.gguf', steps, 20, 1);
    expect(two.stale).toBe(false);

    const set = new ThreadTuner(2, null);
    set.observe(M, steps, 100, 0);
    for (let i = 0; i < 10; i++) set.observe(M, steps, 1, 1);
    expect(set.stale).toBe(false);
    expect(set.current()).toEqual({ threads: 2, source: 'settings' });
  });

  it('after a measurement, waits REMEASURE_GAP_MS before the next one (a machine that stays busy)', () => {
    const t = new ThreadTuner(null, null);
    t.takeSpeeds({ 1: 50, 2: 80 }, 0);
    t.observe(M, steps, 100, 1);
    for (let i = 0; i < 10; i++) t.observe(M, steps, 5, 2 + i);
    expect(t.stale).toBe(false);
    for (let i = 0; i < SLOW_TURNS_IN_A_ROW; i++) t.observe(M, steps, 5, REMEASURE_GAP_MS + i);
    expect(t.stale).toBe(true);
  });
});
