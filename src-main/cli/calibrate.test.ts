import { describe, expect, it } from 'vitest';
import { formatProbeReport } from './calibrate';
import { parseArgs } from './cli';

describe('reckon calibrate', () => {
  it('parses its flags', () => {
    const a = parseArgs(['calibrate', '--model', 'x.gguf', '--per-question', '3', '--questions=40', '--label-free', '--json']);
    expect(a.cmd).toBe('calibrate');
    expect(a.flags.get('per-question')).toBe('3');
    expect(a.flags.get('questions')).toBe('40');
    expect(a.flags.get('label-free')).toBe(true);
    expect(parseArgs(['calibrate', '--restore', '--model', 'abc']).flags.get('restore')).toBe(true);
  });
  it('prints the report with the confusion matrix', () => {
    const text = formatProbeReport({
      mode: 'answer-key', questions: 12, samplesPerQuestion: 2, train: 9, heldOut: 3, heldOutAccuracy: 2 / 3, majorityBaseline: 1 / 3,
      confusion: [[1, 0, 0], [0, 0, 1], [0, 0, 1]], lengthMae: 12.5, labelCounts: { easy: 4, normal: 4, hard: 4 },
      perLabel: { easy: { accuracy: 1, thinkingTokens: 20 }, normal: { accuracy: 0.5, thinkingTokens: 50 }, hard: { accuracy: 0, thinkingTokens: 90 } },
      calibrationMs: 3000, trainMs: 100, seed: 1, createdAt: '',
    });
    expect(text).toContain('accuracy 66.7 % (majority baseline 33.3 %)');
    expect(text).toMatch(/normal\s+0\s+0\s+1/);
    expect(text).toContain('calibration 3.0 s');
  });
});
