/**
 * The reliability signal of a controlled answer (issue 11 item 5): built only from what the controller already
 * knows about the turn - early-exit trial confidence against its threshold, whether parallel drafts agreed, a
 * cut of the thinking before it reached the answer, and whether the answer is what the thinking computed (read off
 * its text: traceReading.ts). Pure; the host stores it on the assistant message.
 * The probe's class is not a reason: a Hard verdict marked more right answers than wrong ones (docs/eval/README.md).
 */
import type { Ledger } from '../ledger';
import { firstArithmeticSlip, reachedNumber, statedResults, unusedQuestionNumbers } from './traceReading';
import { answerKey } from './vote';
import type { DifficultyInfo, DraftRecord, EarlyExitRecord, Plan } from './types';

export interface Reliability {
  /** 'unsure' as soon as one reason holds; 'reliable' when none does. */
  level: 'reliable' | 'unsure';
  /** Why the answer is unsure, one sentence each, in a fixed order; [] when reliable. */
  reasons: string[];
}

/** What the rule reads: the fields of a finished turn (GenerateResult / Message). */
export interface ReliabilityInput {
  plan?: Plan;
  difficulty?: DifficultyInfo;
  earlyExit?: EarlyExitRecord;
  drafts?: DraftRecord[];
  ledger?: Pick<Ledger, 'thinking'>;
  stopReason?: 'eos' | 'maxTokens' | 'aborted';
  answeredNow?: { atThinkingTokens: number };
  /** The visible answer, the thinking behind it and the question; without them the trace reasons are not judged. */
  answer?: string;
  thinking?: string;
  question?: string;
}

/**
 * The signal of a controlled turn; null for a turn the controller did not plan (no `plan`), which claims nothing.
 */
export function assessReliability(t: ReliabilityInput): Reliability | null {
  const plan = t.plan;
  if (!plan) return null;
  const reasons: string[] = [];
  const thinking = t.thinking ?? '';
  const stated = statedResults(thinking);
  const answer = t.answer === undefined ? '' : answerKey(t.answer);
  // A cut after the thinking wrote the answer's number (a last column, a result line, the re-check) costs nothing.
  const reached = answer !== '' && reachedNumber(thinking, t.question ?? '', answer);

  const ee = t.earlyExit;
  if (ee && ee.trials > 0 && !ee.fired) {
    const threshold = plan.earlyExitThreshold;
    reasons.push(`no early-exit trial reached the confidence threshold (best ${fmt(ee.confidence)}${threshold !== null ? ` < ${fmt(threshold)}` : ''}, ${ee.trials} ${ee.trials === 1 ? 'trial' : 'trials'})`);
  }

  const split = disagreement(t.drafts ?? []);
  if (split) reasons.push(`the drafts disagree: ${split.answers} different answers among ${split.drafts} drafts (${split.winnerVotes} gave the winning answer)`);

  if (t.drafts && t.drafts.length > 0) {
    const winner = t.drafts.find((d) => d.winner);
    if (winner && !winner.finished) reasons.push('the winning draft was cut before it finished its answer');
  } else if (plan.thinkingBudget !== null && !ee?.fired && !t.answeredNow && t.ledger && t.ledger.thinking >= plan.thinkingBudget && !reached) {
    reasons.push(`the thinking was cut at its budget (${plan.thinkingBudget} tokens) before it reached the answer given`);
  }

  if (t.answeredNow && !reached) reasons.push(`"Answer now" cut the thinking after ${t.answeredNow.atThinkingTokens} tokens, before it reached the answer given`);
  if (t.stopReason === 'maxTokens') reasons.push('the answer stopped at the token limit');
  const last = stated.at(-1);
  if (last !== undefined && answer !== '' && answer !== last) reasons.push(`the answer (${answer}) is not the result its thinking stated (${last})`);
  const first = stated[0];
  if (first !== undefined && last !== undefined && first !== last) reasons.push(`the thinking stated different results (${first}, then ${last})`);
  const slip = firstArithmeticSlip(thinking);
  if (slip !== null) reasons.push(`a step of the thinking does not hold: ${slip}`);
  const unused = thinking === '' || t.question === undefined ? [] : unusedQuestionNumbers(thinking, t.question);
  if (unused.length > 0) reasons.push(`the thinking never uses ${unused.join(', ')} from the question`);

  return { level: reasons.length > 0 ? 'unsure' : 'reliable', reasons };
}

/**
 * Disagreement in the latest round with at least two answered drafts (short-m@k: its one round; PDR: the last
 * round that had several drafts), or null when they all gave the same answer.
 */
function disagreement(drafts: readonly DraftRecord[]): { answers: number; drafts: number; winnerVotes: number } | null {
  const rounds = [...new Set(drafts.map((d) => d.round))].sort((a, b) => b - a);
  for (const r of rounds) {
    const answered = drafts.filter((d) => d.round === r && d.answer !== '');
    if (answered.length < 2) continue;
    const keys = new Set(answered.map((d) => d.answer));
    if (keys.size < 2) return null;
    const winner = drafts.find((d) => d.winner);
    const winnerVotes = winner ? answered.filter((d) => d.answer === winner.answer).length : 0;
    return { answers: keys.size, drafts: answered.length, winnerVotes };
  }
  return null;
}

/**
 * The confidence a draft is shown with: its answer-token probability scaled by the share of the round's answered
 * drafts that gave the same answer, so drafts that disagree are never shown as 100 %. `agreeing` counts the draft
 * itself; `answered` is the round's answered drafts (both >= 1, else the confidence is returned as is).
 */
export function shownDraftConfidence(confidence: number, agreeing: number, answered: number): number {
  if (answered < 1 || agreeing < 1) return confidence;
  return confidence * Math.min(1, agreeing / answered);
}

function fmt(x: number): string {
  return x.toFixed(2);
}
