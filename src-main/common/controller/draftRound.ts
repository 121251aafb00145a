/**
 * One round of parallel drafts (short-m@k, PDR) after its paths ran: the vote, the draft records, and what each
 * draft bills and commits to the receipt. Pure, shared by the built-in engine (engine/controller/runControlled.ts)
 * and the remote llama-server engine, so both count a round the same way.
 */
import type { HiddenKind, HiddenSegment } from '../receipts/fingerprint';
import type { DraftRecord } from './types';
import { answerKey, vote, type Candidate } from './vote';

/** What a finished draft path reports (both engines' path outcomes have these fields). */
export interface DraftPath {
  cached: number;
  prompt: number;
  thinking: number;
  visible: number;
  trial: number;
  answerText: string;
  answerConfidence: number;
  stopReason: string;
  hidden?: HiddenSegment[];
  answerTokens: readonly number[];
}

export interface DraftRoundInput<P extends DraftPath> {
  round: number;
  outcomes: readonly P[];
  /** Indices of the drafts that finished on their own, in finishing order. */
  finishOrder: readonly number[];
  /** short-m@k: the first m finished vote; PDR: every draft of the round. */
  m: number;
  /** The turn's last round (its vote picks the winner). */
  last: boolean;
  /** The round's prompt, token ids (every draft's, the workspace inside the question). */
  prompt: readonly number[];
  /** The workspace's length in tokens (0 in the first round) and its token ids (for finding it in the prompt). */
  workspaceTokens: number;
  workspaceIds: readonly number[];
}

export interface DraftRoundResult<P extends DraftPath> {
  records: DraftRecord[];
  /** The voters (draft indices) and their candidates, in the same order. */
  pool: number[];
  candidates: Candidate[];
  /** The round's winner (index into outcomes). */
  winIndex: number;
  /** The last round's winner: its path and the part of its prompt that was the workspace (billed as distill). */
  winner: { path: P; record: DraftRecord; distillPart: number } | null;
  /** Overhead this round adds: discarded drafts and the workspace each draft decoded. */
  overhead: { draft: number; distill: number };
  /** Hidden tokens in production order, by kind (the receipt commits to exactly what the ledger counts). */
  hidden: { kind: HiddenKind; tokens: number[] }[];
}

/** Votes a round and counts what each draft decoded. */
export function draftRound<P extends DraftPath>(i: DraftRoundInput<P>): DraftRoundResult<P> {
  const { outcomes } = i;
  const pool = i.finishOrder.length > 0 ? i.finishOrder.slice(0, i.m) : outcomes.map((_, k) => k);
  const candidates: Candidate[] = pool.map((k) => ({ answer: answerKey(outcomes[k]!.answerText), confidence: outcomes[k]!.answerConfidence }));
  const winIndex = pool[vote(candidates).index]!;
  const out: DraftRoundResult<P> = { records: [], pool, candidates, winIndex, winner: null, overhead: { draft: 0, distill: 0 }, hidden: [] };
  outcomes.forEach((o, index) => {
    const record: DraftRecord = {
      round: i.round, index, answer: answerKey(o.answerText), text: o.answerText,
      tokens: o.thinking + o.visible, finished: o.stopReason === 'eos', confidence: o.answerConfidence,
      winner: i.last && index === winIndex,
    };
    out.records.push(record);
    const distillPart = Math.min(i.workspaceTokens, o.prompt);
    out.overhead.distill += distillPart;
    const decoded = i.prompt.slice(o.cached);
    const ws = workspaceSpan(decoded, distillPart, i.workspaceTokens === 0 ? [] : i.workspaceIds);
    out.hidden.push({ kind: 'distill', tokens: decoded.slice(ws.start, ws.end) });
    if (record.winner) {
      out.winner = { path: o, record, distillPart };
      for (const seg of o.hidden ?? []) out.hidden.push({ kind: seg.kind, tokens: [...seg.tokens] });
    } else {
      out.overhead.draft += o.prompt - distillPart + o.thinking + o.visible + o.trial;
      const own = [...decoded.slice(0, ws.start), ...decoded.slice(ws.end)];
      out.hidden.push({ kind: 'draft', tokens: [...own, ...(o.hidden ?? []).flatMap((seg) => seg.tokens), ...o.answerTokens] });
    }
  });
  return out;
}

/**
 * Where the workspace sits among a draft's decoded prompt tokens: its tokenisation found as a run, else the
 * `count` tokens that end the question (the workspace is appended to it, before the chat template's closing tokens).
 */
export function workspaceSpan(decoded: readonly number[], count: number, workspaceIds: readonly number[]): { start: number; end: number } {
  if (count <= 0) return { start: 0, end: 0 };
  if (workspaceIds.length === count) {
    outer: for (let i = decoded.length - count; i >= 0; i--) {
      for (let j = 0; j < count; j++) if (decoded[i + j] !== workspaceIds[j]) continue outer;
      return { start: i, end: i + count };
    }
  }
  const end = decoded.length;
  return { start: Math.max(0, end - count), end };
}
