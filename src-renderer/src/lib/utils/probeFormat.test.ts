import { describe, expect, it } from 'vitest';
import { accuracyLine, calibrationFraction, calibrationLabel, confusionRows, formatElapsed } from './probeFormat';

describe('calibration progress', () => {
  it('maps phases onto one bar: features, then sampling (most), early-exit trials, then training', () => {
    expect(calibrationFraction(null)).toBe(0);
    expect(calibrationFraction({ phase: 'features', done: 60, total: 120, elapsedS: 1 })).toBeCloseTo(0.05);
    expect(calibrationFraction({ phase: 'sampling', done: 0, total: 120, elapsedS: 1 })).toBeCloseTo(0.1);
    expect(calibrationFraction({ phase: 'sampling', done: 60, total: 120, elapsedS: 1 })).toBeCloseTo(0.425);
    expect(calibrationFraction({ phase: 'trials', done: 60, total: 120, elapsedS: 1 })).toBeCloseTo(0.825);
    expect(calibrationFraction({ phase: 'training', done: 0, total: 0, elapsedS: 1 })).toBeCloseTo(0.9);
    expect(calibrationFraction({ phase: 'done', done: 0, total: 0, elapsedS: 1 })).toBe(1);
    expect(calibrationFraction({ phase: 'sampling', done: 500, total: 120, elapsedS: 1 })).toBeCloseTo(0.75);
  });
  it('labels the phase, the count and the time', () => {
    expect(calibrationLabel(null)).toBe('Starting…');
    expect(calibrationLabel({ phase: 'sampling', done: 34, total: 120, elapsedS: 72.4 })).toBe('Sampling answers 34 / 120 · 1 min 12 s');
    expect(calibrationLabel({ phase: 'training', done: 0, total: 0, elapsedS: 3 })).toBe('Training the probe · 3 s');
    expect(formatElapsed(-1)).toBe('0 s');
  });
});

describe('probe report', () => {
  it('turns the confusion matrix into rows with shares of the true class', () => {
    const rows = confusionRows([[8, 2, 0], [1, 5, 4], [0, 0, 0]])!;
    expect(rows.map((r) => [r.truth, r.total])).toEqual([['easy', 10], ['normal', 10], ['hard', 0]]);
    expect(rows[0]!.cells[0]).toEqual({ truth: 'easy', predicted: 'easy', count: 8, rowShare: 0.8, diagonal: true });
    expect(rows[1]!.cells[2]!.rowShare).toBeCloseTo(0.4);
    expect(rows[2]!.cells.every((c) => c.rowShare === 0)).toBe(true);
    expect(confusionRows(null)).toBeNull();
    expect(confusionRows([[1, 2], [3, 4]])).toBeNull();
  });
  it('states held-out accuracy against the baseline', () => {
    expect(accuracyLine({ heldOutAccuracy: 0.5926, majorityBaseline: 0.55 } as never)).toBe('held-out accuracy 59.3 % (majority baseline 55 %)');
  });
});
