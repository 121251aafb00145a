import { describe, expect, it } from 'vitest';
import { agreement, extractAnswer, isCorrect, numbersIn } from './answers';
import { ARITH_TIERS, arithCalibrationSet, isHeldout, makeArithProblem, solveExpr } from './arithGenerator';
import { parseStored } from '../schemas';
import { buildProbe, labelRecords, splitIndices, summarise } from './calibration';
import { GENERAL_TIERS, generalCalibrationSet } from './generalGenerator';
import { entropyThresholdFrom, labelFor } from './labels';
import { md5Hex } from './md5';
import { featureNorms, predict, standardise, trainMlp } from './mlp';
import { createRng } from './rng';
import { DIFFICULTIES, type CalibrationQuestion, type Difficulty } from './types';

/** A toy set: 3 Gaussian blobs in 8 dimensions, one per class; length grows with class. */
function blobs(n: number, seed: number): { x: number[][]; y: number[]; len: number[] } {
  const rng = createRng(seed);
  const centres = [0, 1, 2].map(() => Array.from({ length: 8 }, () => rng.normal() * 3));
  const x: number[][] = [], y: number[] = [], len: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    x.push(centres[c]!.map((v) => v + rng.normal() * 0.5));
    y.push(c);
    len.push(20 * (c + 1) + rng.normal());
  }
  return { x, y, len };
}

describe('md5 (recipe held-out bucket)', () => {
  it('matches known digests', () => {
    expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5Hex('37+48')).toBe('d6f6878f0d72c59892fe75a3295e1102');
    expect(md5Hex('The quick brown fox jumps over the lazy dog'.repeat(3))).toHaveLength(32);
  });
});

describe('MLP', () => {
  it('learns a separable toy set (classes and length) and is deterministic', () => {
    const tr = blobs(90, 1), te = blobs(30, 1);
    const norms = featureNorms(tr.x);
    const lMean = tr.len.reduce((s, v) => s + Math.log1p(v), 0) / tr.len.length;
    const lStd = Math.sqrt(tr.len.reduce((s, v) => s + (Math.log1p(v) - lMean) ** 2, 0) / tr.len.length);
    const w = trainMlp(tr.x.map((x) => standardise(x, norms)), tr.y, tr.len.map((v) => (Math.log1p(v) - lMean) / lStd), { hidden: 16, epochs: 300 });
    const full = { ...norms, lengthMean: lMean, lengthStd: lStd };
    let ok = 0, err = 0;
    te.x.forEach((x, i) => {
      const p = predict(w, full, x);
      if (p.difficulty === DIFFICULTIES[te.y[i]!]) ok++;
      err += Math.abs(p.expectedThinkingTokens - te.len[i]!);
      expect(p.probabilities.easy + p.probabilities.normal + p.probabilities.hard).toBeCloseTo(1, 6);
    });
    expect(ok / te.x.length).toBe(1);
    expect(err / te.x.length).toBeLessThan(4);
    const w2 = trainMlp(tr.x.map((x) => standardise(x, norms)), tr.y, tr.len.map(() => 0), { hidden: 16, epochs: 5 });
    const w3 = trainMlp(tr.x.map((x) => standardise(x, norms)), tr.y, tr.len.map(() => 0), { hidden: 16, epochs: 5 });
    expect(w2).toEqual(w3);
  });

  it('rejects a feature vector of the wrong length', () => {
    const w = trainMlp([[0, 1], [1, 0]], [0, 2], [0, 0], { hidden: 2, epochs: 1 });
    expect(() => predict(w, { mean: [0, 0], std: [1, 1], lengthMean: 0, lengthStd: 1 }, [1, 2, 3])).toThrow(/expects 2/);
  });
});

describe('labelling', () => {
  const t = { easyMin: 0.9, hardMax: 0.3, entropyHard: 1.5 };
  it('applies the documented thresholds', () => {
    expect(labelFor(1, 0.1, t)).toBe('easy');
    expect(labelFor(0.9, 0.1, t)).toBe('easy');
    expect(labelFor(0.75, 0.1, t)).toBe('normal');
    expect(labelFor(0.3, 0.1, t)).toBe('hard');
    expect(labelFor(0, 0.1, t)).toBe('hard');
    expect(labelFor(0.5, 2, t)).toBe('hard');
    expect(labelFor(1, 2, t)).toBe('easy'); // solved reliably wins over entropy
  });
  it('sets the entropy threshold at mean + 2 sd', () => {
    expect(entropyThresholdFrom([1, 1])).toBe(Infinity);
    expect(entropyThresholdFrom([1, 1, 1, 1])).toBe(1);
    expect(entropyThresholdFrom([0, 2, 0, 2])).toBeCloseTo(3);
  });
  it('scores by answer key, or by agreement in label-free mode', () => {
    const q: CalibrationQuestion = { id: 'a', question: 'What is 2 + 3?', answer: '5', tier: 'add1-3', kind: 'number' };
    const s = (answerText: string) => ({ answerText, thinkingTokens: 10, entropy: 0.2 });
    const keyed = summarise(q, [s('2 + 3 = 5'), s('2 + 3 = 5'), s('2 + 3 = 6'), s('')], false);
    expect(keyed.score).toBe(0.5);
    expect(keyed.correct).toEqual([true, true, false, false]);
    const free = summarise(q, [s('2 + 3 = 6'), s('2 + 3 = 6'), s('2 + 3 = 6'), s('5')], true);
    expect(free.score).toBe(0.75);
    expect(free.correct).toEqual([null, null, null, null]);
    const recs = [keyed, free, summarise(q, [s('5'), s('5')], false)];
    labelRecords(recs);
    expect(recs.map((r) => r.label)).toEqual(['normal', 'normal', 'easy']);
  });
});

describe('answers', () => {
  it('extracts numbers, lists and weekdays', () => {
    expect(numbersIn('12 - 5 = 7')).toEqual([12, 5, 7]);
    expect(numbersIn('5-3 and -4, 1,234')).toEqual([5, 3, -4, 1234]);
    expect(extractAnswer('37 + 48 = 85', { answer: '85' })).toBe('85');
    expect(isCorrect('The answer is 1,234.', { answer: '1234', kind: 'number' })).toBe(true);
    expect(isCorrect('Sorted: 3, 7, 12', { answer: '3, 7, 12', kind: 'list' })).toBe(true);
    expect(isCorrect('Sorted: 7, 3, 12', { answer: '3, 7, 12', kind: 'list' })).toBe(false);
    expect(isCorrect('It will be a Friday.', { answer: 'Friday', kind: 'word' })).toBe(true);
    expect(isCorrect('Monday? No, Sunday.', { answer: 'Monday', kind: 'word' })).toBe(false);
    expect(isCorrect('anything', { answer: null })).toBeNull();
    expect(agreement(['5', '5', '6', ''])).toBe(0.5);
    expect(agreement(['', ''])).toBe(0);
  });
});

describe('bundled-model calibration generator', () => {
  it('solves with the recipe rule (* first, then left to right)', () => {
    expect(solveExpr([12, 35, 7, 3], ['+', '-', '*'])).toBe(26);
    expect(solveExpr([3, 5], ['-'])).toBeNull();
  });
  it('generates every tier with correct answers, outside the held-out bucket, deterministically', () => {
    const set = arithCalibrationSet({ count: 90, seed: 3 });
    expect(set).toHaveLength(90);
    expect(new Set(set.map((q) => q.tier))).toEqual(new Set(ARITH_TIERS));
    expect(new Set(set.map((q) => q.id)).size).toBe(90);
    for (const q of set) {
      expect(q.question).toMatch(/^What is \d+( [-+*] \d+)+\?$/);
      const expr = q.question.slice(8, -1);
      const nums = expr.split(/ [-+*] /).map(Number);
      const ops = [...expr.matchAll(/ ([-+*]) /g)].map((m) => m[1]!);
      expect(String(solveExpr(nums, ops)), q.question).toBe(q.answer);
      expect(isHeldout(q.id.split(':')[1]!)).toBe(false);
    }
    expect(arithCalibrationSet({ count: 90, seed: 3 })).toEqual(set);
    expect(arithCalibrationSet({ count: 9, seed: 4 })).not.toEqual(set.slice(0, 9));
  });
  it('keeps the recipe digit ranges per tier', () => {
    const rng = createRng(5);
    for (let i = 0; i < 200; i++) {
      const p = makeArithProblem(rng, 'add6');
      expect(String(p.nums[0]).length).toBe(6);
      expect(p.result).toBe(p.nums[0]! + p.nums[1]!);
      const s = makeArithProblem(rng, 'sub4-5');
      expect(s.result).toBeGreaterThanOrEqual(0);
      const e = makeArithProblem(rng, 'expr4-5');
      expect(e.ops.length).toBeGreaterThanOrEqual(4);
    }
  });
});

describe('general calibration generator', () => {
  it('covers every graded tier with checkable, correct answer keys', () => {
    const set = generalCalibrationSet({ count: 150, seed: 2 });
    expect(set).toHaveLength(150);
    expect(new Set(set.map((q) => q.tier))).toEqual(new Set(GENERAL_TIERS));
    for (const q of set) {
      expect(q.answer).not.toBeNull();
      // The key checks against itself written as a model would.
      expect(isCorrect(`The answer is ${q.answer}.`, q), q.question).toBe(true);
      const [family] = q.tier.split('-');
      if (family === 'arith') {
        const expr = q.question.replace(/^(What is|Compute) /, '').replace(/[?.]$/, '');
        expect(String(Function(`return (${expr})`)()), q.question).toBe(q.answer);
      }
      if (family === 'count') {
        const m = /letter "(.)" appear in the (?:word|sentence) "(.+)"\?/.exec(q.question)!;
        expect(String([...m[2]!].filter((c) => c === m[1]).length)).toBe(q.answer);
      }
      if (family === 'order') {
        const nums = numbersIn(q.question.split(':')[1]!);
        const desc = q.question.includes('largest to smallest');
        expect(q.answer).toBe(nums.sort((a, b) => (desc ? b - a : a - b)).join(', '));
      }
      if (q.tier === 'dates-3') {
        const m = /was (\w+ \d+, \d+)\?/.exec(q.question)!;
        expect(new Date(`${m[1]} 12:00 UTC`).toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' })).toBe(q.answer);
      }
    }
  });
});

describe('buildProbe', () => {
  it('splits stratified, trains, reports a confusion matrix, and writes a valid file', () => {
    const { x, y } = blobs(60, 7);
    const q = (i: number): CalibrationQuestion => ({ id: String(i), question: `q${i}`, answer: '1', tier: 't' });
    const records = x.map((_, i) => {
      const r = summarise(q(i), [{ answerText: '1', thinkingTokens: 10 * (y[i]! + 1), entropy: 0.1 }], false);
      r.label = DIFFICULTIES[y[i]!] as Difficulty;
      return r;
    });
    const file = buildProbe({
      records, features: x, thresholds: { easyMin: 0.9, hardMax: 0.3, entropyHard: Infinity },
      modelSha256: 'a'.repeat(64), modelName: 'toy', samplesPerQuestion: 1, mode: 'answer-key', calibrationMs: 5,
      train: { hidden: 8, epochs: 200 },
    });
    expect(file.report.heldOut).toBe(15);
    expect(file.report.train).toBe(45);
    expect(file.report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(15);
    expect(file.report.heldOutAccuracy).toBe(1);
    expect(file.report.labelCounts).toEqual({ easy: 20, normal: 20, hard: 20 });
    expect(parseStored('probe', JSON.parse(JSON.stringify(file)))).toMatchObject({ ok: true });
    expect(parseStored('probe', { ...file, featureDim: 3 })).toMatchObject({ ok: false, message: expect.stringMatching(/featureDim/) });
    const again = predict(file.weights, file.norms, x[0]!);
    expect(again.difficulty).toBe('easy');
  });
  it('holds out about the given share of each class', () => {
    const labels: Difficulty[] = [...Array(8).fill('easy'), ...Array(4).fill('hard'), 'normal'];
    const s = splitIndices(labels, 0.25, 1);
    expect(s.heldOut.map((i) => labels[i])).toEqual(expect.arrayContaining(['easy', 'easy', 'hard']));
    expect(s.heldOut).toHaveLength(3);
    expect([...s.train, ...s.heldOut].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
  });
});
