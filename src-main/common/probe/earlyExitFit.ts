import { DIFFICULTIES, type Difficulty } from './types';

/**
 * Per-model early-exit thresholds, fitted at calibration. Each calibration question runs once greedily with a trial
 * answer at every step boundary that never commits: what early exit at any threshold would have answered is then
 * known without running it again (the first trial whose confidence reaches the threshold, else the full answer).
 */
export interface ExitObservation {
  label: Difficulty;
  /** The full (uninterrupted) greedy answer was right. */
  fullCorrect: boolean;
  /** Thinking content tokens of the full run. */
  fullThinking: number;
  /** Every trial, in order: its confidence (min token probability), whether its answer was right, and where it ran. */
  trials: { confidence: number; correct: boolean; atThinkingTokens: number }[];
}

/** What the fit chose for one class, and what it measured there. */
export interface ClassExitFit {
  /** The lowest threshold whose early exits keep the class's full-run accuracy; null = too few questions (the settings' value applies). */
  threshold: number | null;
  questions: number;
  /** Accuracy of the full greedy runs, and with early exit at `threshold`. */
  fullAccuracy: number;
  exitAccuracy: number;
  /** Share of questions where a trial fired at `threshold`, and the mean thinking kept (share of the full run's). */
  exitRate: number;
  thinkingShare: number;
}

export type EarlyExitFit = Record<Difficulty, ClassExitFit>;

/** Fewer questions of a class than this: no fitted threshold (one lucky trial would set it). */
export const MIN_FIT_QUESTIONS = 8;

/** Thresholds are never fitted below this: a trial must be more likely right than wrong at every token. */
export const MIN_THRESHOLD = 0.5;

/** The outcome of early exit at threshold t on one observation. */
function exitAt(o: ExitObservation, t: number): { correct: boolean; fired: boolean; thinking: number } {
  const hit = o.trials.find((x) => x.confidence >= t);
  return hit === undefined ? { correct: o.fullCorrect, fired: false, thinking: o.fullThinking } : { correct: hit.correct, fired: true, thinking: hit.atThinkingTokens };
}

/**
 * Per class: the lowest candidate threshold (each trial confidence seen, at least MIN_THRESHOLD) whose early exits
 * answer at least as many questions right as the full runs do. Higher thresholds fire less, so the lowest that keeps
 * accuracy cuts the most thinking; when none does, the threshold is just above the highest confidence seen (never
 * fires on anything like the calibration set).
 */
export function fitEarlyExit(obs: readonly ExitObservation[]): EarlyExitFit {
  const out = {} as EarlyExitFit;
  for (const label of DIFFICULTIES) {
    const mine = obs.filter((o) => o.label === label);
    const full = mine.filter((o) => o.fullCorrect).length;
    const summary = (t: number | null): ClassExitFit => {
      const r = t === null ? mine.map((o) => ({ correct: o.fullCorrect, fired: false, thinking: o.fullThinking })) : mine.map((o) => exitAt(o, t));
      const n = Math.max(1, mine.length);
      return {
        threshold: t,
        questions: mine.length,
        fullAccuracy: full / n,
        exitAccuracy: r.filter((x) => x.correct).length / n,
        exitRate: r.filter((x) => x.fired).length / n,
        thinkingShare: r.reduce((s, x, i) => s + x.thinking / Math.max(1, mine[i]!.fullThinking), 0) / n,
      };
    };
    if (mine.length < MIN_FIT_QUESTIONS) { out[label] = summary(null); continue; }
    const candidates = [...new Set(mine.flatMap((o) => o.trials.map((x) => x.confidence)).filter((c) => c >= MIN_THRESHOLD && c <= 1))].sort((a, b) => a - b);
    let chosen: number | null = null;
    for (const t of candidates) {
      if (mine.filter((o) => exitAt(o, t).correct).length >= full) { chosen = t; break; }
    }
    // None keeps accuracy: above every confidence seen (capped at 1, where only a certain trial fires).
    chosen ??= Math.min(1, (candidates[candidates.length - 1] ?? MIN_THRESHOLD) + 1e-6);
    out[label] = summary(round(chosen));
  }
  return out;
}

/** Rounded down to 6 digits, so the stored threshold still fires on the confidence it was fitted on. */
function round(t: number): number {
  return Math.min(1, Math.floor(t * 1e6) / 1e6);
}
