/**
 * DEER-style early exit's decision rule, pure: when a trial answer runs, how it is scored, whether it commits, and
 * what the turn reports. The built-in engine (engine/controller/decodePath.ts) and the remote llama-server engine
 * (engine/remote/RemoteEngineService.ts) both decide with these functions, so the two cannot drift.
 */
import { statesResult, TraceWatch } from './traceReading';
import type { EarlyExitAt, EarlyExitRecord } from './types';

export { statesResult };

/** The plan's early-exit settings, as a path runs them. */
export interface EarlyExitRule {
  /** Commit when the trial answer's minimum token probability is at least this (0..1). */
  threshold: number;
  /** Cap on the greedy trial answer, tokens. */
  trialTokens: number;
  /** Thinking content tokens spent before the first trial. */
  start: number;
  /**
   * Which step boundaries get a trial: 'step' every one; 'result' only where an answer can already be read off:
   * the end of a line that states a result (`statesResult`) and every step after the first such line (a re-check),
   * and none while the thinking so far shows a problem (traceReading.ts TraceWatch: an equation that does not hold,
   * results that disagree) - the model then goes on into its re-check. Defaults to 'step'.
   */
  at?: EarlyExitAt;
  /**
   * Run every trial to its end even when it can no longer commit (calibration reads each trial's whole answer).
   * Defaults to false: a trial stops at its first token below the threshold (`trialCannotCommit`).
   */
  fullTrials?: boolean;
}

/**
 * A path's trial points, fed every thinking token in order: true when a trial runs after it - `thinkingContent`
 * (counting this token) has reached the rule's start and the token ends a reasoning step that the rule's `at`
 * accepts. `stepLine` is the text of the line the token ends (null when it ends none).
 */
export function trialPoints(rule: EarlyExitRule): (thinkingContent: number, stepLine: string | null) => boolean {
  const at = rule.at ?? 'step';
  let resultSeen = false;
  const watch = new TraceWatch();
  return (thinkingContent, stepLine) => {
    if (stepLine === null) return false;
    resultSeen ||= statesResult(stepLine) !== null;
    // Every line is read, before and after the start, so a slip early in the trace still holds the trials.
    const problem = watch.read(stepLine);
    if (at === 'step') return thinkingContent >= rule.start;
    return thinkingContent >= rule.start && resultSeen && problem === null;
  };
}

/** The line a step-ending token finishes: the thinking so far after its last newline, plus the token's text up to its newline. */
export function finishedLine(thinkingSoFar: string, tokenText: string): string | null {
  const cut = tokenText.indexOf('\n');
  if (cut < 0) return null;
  return thinkingSoFar.slice(thinkingSoFar.lastIndexOf('\n') + 1) + tokenText.slice(0, cut);
}

/** Whether the trial answer is complete after `tokens` tokens: at end of generation or at the rule's cap. */
export function trialComplete(rule: EarlyExitRule, tokens: number, endOfGeneration: boolean): boolean {
  return endOfGeneration || tokens >= rule.trialTokens;
}

/**
 * Whether a trial can stop after a token of this probability: the score is the minimum, so one token below the
 * threshold decides the rejection and the rest of the trial would be decoded for nothing.
 */
export function trialCannotCommit(rule: EarlyExitRule, confidence: number): boolean {
  return rule.fullTrials !== true && confidence < rule.threshold;
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
