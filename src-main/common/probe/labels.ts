/**
 * Labelling rules of calibration questions (docs/probe.md):
 * - Hard:   score <= hardMax (solved in at most 30 % of samples), or the thinking's mean top-K entropy is
 *           above entropyHard and the question is not Easy;
 * - Easy:   score >= easyMin (solved in at least 90 % of samples): the overthinking region;
 * - Normal: the rest.
 * score is the share of samples solved (answer key) or the share of the majority answer (label-free).
 */
import type { Difficulty, LabelThresholds } from './types';

export const DEFAULT_EASY_MIN = 0.9;
export const DEFAULT_HARD_MAX = 0.3;

export function labelFor(score: number, meanEntropy: number, t: LabelThresholds): Difficulty {
  if (score <= t.hardMax) return 'hard';
  if (score >= t.easyMin) return 'easy';
  return meanEntropy > t.entropyHard ? 'hard' : 'normal';
}

/**
 * Entropy threshold from the calibration set itself: mean + 2 standard deviations of the per-question
 * mean entropies, so only outliers turn Hard by entropy (entropy scales differ a lot between models).
 * Infinity for fewer than 3 questions.
 */
export function entropyThresholdFrom(meanEntropies: readonly number[]): number {
  const xs = meanEntropies.filter((x) => Number.isFinite(x));
  if (xs.length < 3) return Number.POSITIVE_INFINITY;
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
  return mean + 2 * sd;
}

export function defaultThresholds(meanEntropies: readonly number[]): LabelThresholds {
  return { easyMin: DEFAULT_EASY_MIN, hardMax: DEFAULT_HARD_MAX, entropyHard: entropyThresholdFrom(meanEntropies) };
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;
}
