/**
 * DEER-style early exit's decision rule, pure: when a trial answer runs, how it is scored, whether it commits, and
 * what the turn reports. The built-in engine (engine/controller/decodePath.ts) and the remote llama-server engine
 * (engine/remote/RemoteEngineService.ts) both decide with these functions, so the two cannot drift.
 */
import type { EarlyExitRecord } from './types';

/** The plan's early-exit settings, as a path runs them. */
export interface EarlyExitRule {
  /** Commit when the trial answer's minimum token probability is at least this (0..1). */
  threshold: number;
  /** Cap on the greedy trial answer, tokens. */
  trialTokens: number;
  /** Thinking content tokens spent before the first trial. */
  start: number;
}

/**
 * Whether a trial runs after this thinking token: `thinkingContent` (counting this token) has reached the rule's
 * start and the token ends a reasoning step (its text holds a newline).
 */
export function isTrialPoint(rule: EarlyExitRule, thinkingContent: number, tokenEndsStep: boolean): boolean {
  return thinkingContent >= rule.start && tokenEndsStep;
}

/** Whether the trial answer is complete after `tokens` tokens: at end of generation or at the rule's cap. */
export function trialComplete(rule: EarlyExitRule, tokens: number, endOfGeneration: boolean): boolean {
  return endOfGeneration || tokens >= rule.trialTokens;
}

/** A trial's score: the smallest probability among its answer tokens (0 for an empty trial). */
export function trialScore(confidences: readonly number[]): number {
  return confidences.length === 0 ? 0 : Math.min(...confidences);
}

/** Whether a trial with these per-token probabilities becomes the answer. */
export function trialCommits(rule: EarlyExitRule, confidences: readonly number[]): boolean {
  return confidences.length > 0 && trialScore(confidences) >= rule.threshold;
}

/** Counts a path's trials and makes its EarlyExitRecord. */
export class EarlyExitTally {
  trials = 0;
  #bestRejected = 0;
  #fired: EarlyExitRecord | null = null;

  /**
   * Scores one trial: its record when it commits (the path stops thinking there), null when it is rolled back.
   * `atThinkingTokens` = thinking content tokens spent at the trial.
   */
  decide(rule: EarlyExitRule, confidences: readonly number[], atThinkingTokens: number): EarlyExitRecord | null {
    this.trials++;
    const score = trialScore(confidences);
    if (trialCommits(rule, confidences)) {
      this.#fired = { trials: this.trials, fired: true, atThinkingTokens, confidence: score };
      return this.#fired;
    }
    this.#bestRejected = Math.max(this.#bestRejected, score);
    return null;
  }

  /** What the path reports: the committed trial, else the best rejected one, null when no trial ran. */
  record(atThinkingTokens: number): EarlyExitRecord | null {
    if (this.#fired !== null) return this.#fired;
    return this.trials > 0 ? { trials: this.trials, fired: false, atThinkingTokens, confidence: this.#bestRejected } : null;
  }
}
