import { distillWorkspace, rankAnswers, type RankedAnswer } from '$common/controller/vote';
import type { ControllerTurnEvent } from '$common/controller/events';
import type { DraftRecord, Plan } from '$common/controller/types';
import { shownDraftConfidence } from '$common/controller/reliability';
import { thoughtDeltaTokens } from './thinkingBudget';

/**
 * The drafts view of a short-m@k / PDR turn: rounds x drafts. Built live from `draft` / `draft-end` /
 * `workspace` events, and rebuilt from a stored message's `drafts` (DraftRecord[]) after a reload.
 * Pure; mutated in place (the object may be a Svelte $state proxy).
 */

export interface DraftCell {
  round: number;
  index: number;
  /** Thinking text streamed by `draft` events (live only: the stored record keeps the answer text). */
  thought: string;
  /** Answer text (live deltas, then the record's text). */
  answer: string;
  /** Answer key (last number after '='), '' when none. */
  key: string;
  /** Tokens generated: a live estimate until `draft-end`, then exact. */
  tokens: number;
  state: 'waiting' | 'thinking' | 'answering' | 'finished' | 'stopped';
  /** Mean answer-token probability (after `draft-end`). */
  confidence: number | null;
  winner: boolean;
}

export interface DraftRound {
  round: number;
  drafts: DraftCell[];
  /** Answers of the round ranked by votes, then confidence (what the workspace lists). */
  ranked: RankedAnswer[];
  /** PDR: what the next round was conditioned on. `rebuilt`: recomputed from the stored drafts after a reload. */
  workspace: { text: string; tokens: number | null; rebuilt: boolean } | null;
}

export interface DraftsGrid {
  strategy: 'short-m@k' | 'pdr';
  rounds: DraftRound[];
  /** Thinking budget per draft, tokens (null = none). */
  budget: number | null;
  /** short-m@k: the first m finished drafts vote. */
  m: number | null;
  winner: { round: number; index: number; answer: string } | null;
}

/**
 * The confidence a draft is shown with: its answer-token probability scaled by how many of the round's ended,
 * answered drafts gave its answer (common/controller/reliability.ts), so drafts that disagree never show 100 %.
 * null until the draft ended.
 */
export function shownConfidence(round: DraftRound, d: DraftCell): number | null {
  if (d.confidence === null) return null;
  const answered = round.drafts.filter((c) => c.confidence !== null && c.key !== '');
  return shownDraftConfidence(d.confidence, d.key === '' ? 0 : answered.filter((c) => c.key === d.key).length, answered.length);
}

export function isParallelPlan(plan: Plan | undefined): plan is Plan & { strategy: 'short-m@k' | 'pdr' } {
  return plan?.strategy === 'short-m@k' || plan?.strategy === 'pdr';
}

function cell(round: number, index: number): DraftCell {
  return { round, index, thought: '', answer: '', key: '', tokens: 0, state: 'waiting', confidence: null, winner: false };
}

/** An empty grid shaped by the plan (rounds x drafts per round). */
export function gridFromPlan(plan: Plan & { strategy: 'short-m@k' | 'pdr' }): DraftsGrid {
  const sizes = plan.strategy === 'short-m@k' ? [plan.sampling?.k ?? 0] : (plan.rounds ?? []);
  return {
    strategy: plan.strategy,
    rounds: sizes.map((n, r) => ({ round: r, drafts: Array.from({ length: n }, (_, i) => cell(r, i)), ranked: [], workspace: null })),
    budget: plan.thinkingBudget,
    m: plan.sampling?.m ?? null,
    winner: null,
  };
}

function cellAt(g: DraftsGrid, round: number, index: number): DraftCell {
  while (g.rounds.length <= round) g.rounds.push({ round: g.rounds.length, drafts: [], ranked: [], workspace: null });
  const r = g.rounds[round]!;
  while (r.drafts.length <= index) r.drafts.push(cell(round, r.drafts.length));
  return r.drafts[index]!;
}

/** The drafts that vote: the finished ones (the controller's pool), else every ended draft. */
function votingPool(r: DraftRound): DraftCell[] {
  const ended = r.drafts.filter((d) => d.confidence !== null);
  const finished = ended.filter((d) => d.state === 'finished');
  return finished.length > 0 ? finished : ended;
}

function rerank(r: DraftRound): void {
  r.ranked = rankAnswers(votingPool(r).map((d) => ({ answer: d.key, confidence: d.confidence ?? 0 })));
}

/** Applies a draft / draft-end / workspace event; returns false for other events. */
export function applyDraftEvent(g: DraftsGrid, e: ControllerTurnEvent): boolean {
  switch (e.type) {
    case 'draft': {
      const c = cellAt(g, e.round, e.index);
      if (e.part === 'thought') {
        c.tokens += thoughtDeltaTokens(e.text, c.thought === '');
        c.thought += e.text;
        if (c.state === 'waiting') c.state = 'thinking';
      } else {
        // answer deltas come one per token, untrimmed
        c.tokens += 1;
        c.answer += e.text;
        c.state = 'answering';
      }
      return true;
    }
    case 'draft-end': {
      const c = cellAt(g, e.round, e.index);
      c.key = e.answer;
      c.tokens = e.tokens;
      c.confidence = e.confidence;
      c.state = e.finished ? 'finished' : 'stopped';
      rerank(g.rounds[e.round]!);
      return true;
    }
    case 'workspace': {
      cellAt(g, e.round, 0);
      g.rounds[e.round]!.workspace = { text: e.text, tokens: e.tokens, rebuilt: false };
      return true;
    }
    default:
      return false;
  }
}

/**
 * Merges the stored records (the host's final word) into a grid: exact tokens, answers, finished flags and the
 * winner. Live thinking text and exact workspaces already in the grid are kept; missing workspaces are rebuilt
 * from the round's answers (`distillWorkspace`, same ranking; the token bound is not re-applied, so a trimmed
 * workspace may list more answers than the model saw).
 */
export function mergeDraftRecords(g: DraftsGrid, records: readonly DraftRecord[]): DraftsGrid {
  g.winner = null;
  for (const rec of records) {
    const c = cellAt(g, rec.round, rec.index);
    c.answer = rec.text;
    c.key = rec.answer;
    c.tokens = rec.tokens;
    c.confidence = rec.confidence;
    c.state = rec.finished ? 'finished' : 'stopped';
    c.winner = rec.winner;
    if (rec.winner) g.winner = { round: rec.round, index: rec.index, answer: rec.answer };
  }
  const last = g.rounds.length - 1;
  for (const r of g.rounds) {
    rerank(r);
    if (g.strategy === 'pdr' && r.round < last && r.workspace === null && r.drafts.some((d) => d.confidence !== null)) {
      const cands = votingPool(r).map((d) => ({ answer: d.key, confidence: d.confidence ?? 0 }));
      const text = distillWorkspace(cands, Number.MAX_SAFE_INTEGER, () => 0).trim();
      r.workspace = { text, tokens: null, rebuilt: true };
    }
  }
  return g;
}

/** The turn ended (stopped, error): drafts still running were cut off. */
export function settleGrid(g: DraftsGrid): DraftsGrid {
  for (const r of g.rounds) for (const d of r.drafts) if (d.state === 'waiting' || d.state === 'thinking' || d.state === 'answering') d.state = 'stopped';
  return g;
}

/** A grid rebuilt from a stored message (after a reload). */
export function gridFromRecords(records: readonly DraftRecord[], plan?: Plan, workspaces?: readonly { round: number; text: string; tokens: number }[]): DraftsGrid {
  const strategy: DraftsGrid['strategy'] = plan?.strategy === 'short-m@k' ? 'short-m@k'
    : plan?.strategy === 'pdr' ? 'pdr'
    : new Set(records.map((r) => r.round)).size > 1 ? 'pdr' : 'short-m@k';
  const g: DraftsGrid = isParallelPlan(plan)
    ? gridFromPlan(plan)
    : { strategy, rounds: [], budget: plan?.thinkingBudget ?? null, m: plan?.sampling?.m ?? null, winner: null };
  for (const w of workspaces ?? []) {
    const r = g.rounds[w.round];
    if (r) r.workspace = { text: w.text, tokens: w.tokens, rebuilt: false }; // the stored, exact workspace
  }
  return mergeDraftRecords(g, records);
}

/** Display text of a draft's answer: trimmed, and its key when the text is empty. */
export function draftAnswerText(c: DraftCell): string {
  return c.answer.trim();
}

/** Counts for the header: drafts done / planned, and the answer currently leading the last round that voted. */
export function gridProgress(g: DraftsGrid): { done: number; total: number; leader: string | null; round: number } {
  let done = 0, total = 0, round = 0;
  for (const r of g.rounds) {
    total += r.drafts.length;
    for (const d of r.drafts) {
      if (d.state === 'finished' || d.state === 'stopped') done++;
      if (d.state !== 'waiting') round = Math.max(round, r.round);
    }
  }
  const voted = [...g.rounds].reverse().find((r) => r.ranked.length > 0);
  return { done, total, leader: g.winner?.answer ?? voted?.ranked[0]?.answer ?? null, round };
}
