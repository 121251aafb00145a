import type { ChatHistoryItem, ChatWrapper, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { LlamaText } from 'node-llama-cpp';
import { draftRound } from '../../common/controller/draftRound';
import { distillWorkspace, summaryRequest, summaryWorkspace } from '../../common/controller/vote';
import type { DifficultyInfo, DraftRecord, Plan } from '../../common/controller/types';
import type { GenerateParams, GenerateResult } from '../../common/engineProtocol';
import type { EngineTurnEvent } from '../../common/events';
import { makeLedger, type LedgerCounts } from '../../common/ledger';
import { DeltaTrimmer } from '../DeltaTrimmer';
import { draftEvents } from './draftEvents';
import { decodePath, type PathOutcome, type PathSpec, type ThinkTokens } from './decodePath';
import { Lockstep } from './lockstep';
import { HiddenLog } from '../receipts/hiddenTokens';

/** What the controller drives: one model, its wrapper, the turn's own sequence and a pool of draft sequences. */
export interface ControlTarget {
  model: LlamaModel;
  chatWrapper: ChatWrapper;
  think: ThinkTokens;
  /** The conversation's sequence (single-path strategies reuse its KV prefix). */
  sequence: LlamaContextSequence;
  /** n sequences of one batched context for parallel drafts. */
  draftSequences(n: number): Promise<LlamaContextSequence[]>;
}

export type ControlledResult = GenerateResult & Required<Pick<GenerateResult, 'plan' | 'difficulty' | 'latencyTokens'>> & { thinkingContent: number; budgetForced: boolean };

/** The `<think>` / `</think>` / newline ids of a ChatML-think model; null when the wrapper has no single-token tags. */
export function thinkTokensOf(model: LlamaModel, chatWrapper: ChatWrapper): ThinkTokens | null {
  const seg = chatWrapper.settings.segments?.thought;
  if (seg === undefined || (typeof seg.prefix === 'object' && 'type' in seg.prefix)) return null;
  const open = LlamaText(seg.prefix).tokenize(model.tokenizer);
  const close = LlamaText(seg.suffix ?? '').tokenize(model.tokenizer);
  if (open.length !== 1 || close.length !== 1) return null;
  const nl = model.tokenize('\n', false);
  return { open: open[0]!, close: close[0]!, afterClose: nl.length === 1 ? nl : [] };
}

/** The formatted prompt of a turn (BOS included), with `question` in place of the turn's question. */
export function promptTokens(t: Pick<ControlTarget, 'model' | 'chatWrapper'>, p: GenerateParams, systemPrompt: string, question: string): Token[] {
  const h: ChatHistoryItem[] = [];
  if (systemPrompt.trim() !== '') h.push({ type: 'system', text: systemPrompt });
  for (const x of p.history) {
    if (x.role === 'system') h.push({ type: 'system', text: x.text });
    else if (x.role === 'user') h.push({ type: 'user', text: x.text });
    else h.push({ type: 'model', response: [x.text] });
  }
  h.push({ type: 'user', text: question }, { type: 'model', response: [] });
  return t.chatWrapper.generateContextState({ chatHistory: h }).contextText.tokenize(t.model.tokenizer);
}

/** One controlled turn for runControlled. */
export interface ControlledTurn {
  target: ControlTarget;
  params: GenerateParams & { requestId: string };
  /** The plan the turn runs under (makePlan). */
  plan: Plan;
  /** The difficulty the plan came from; its probeTokens are billed as probe overhead. */
  difficulty: DifficultyInfo;
  /** Receives the turn's events (turnId = params.requestId). */
  emit: (e: EngineTurnEvent) => void;
  /** Aborts the turn; it then resolves with stopReason 'aborted'. */
  signal: AbortSignal;
  /** Polled per thinking token: true closes every open thought at once ("Answer now"). */
  answerNow?: () => boolean;
  /**
   * The system message the turn's prompt carries (the plan's or the turn's, with the effort level's line).
   * Absent = the plan's system prompt, else the turn's.
   */
  systemPrompt?: string;
  /** The probe's prefill on `target.sequence` (single path only): see PathSpec.prefilled. */
  prefilled?: PathSpec['prefilled'];
}

/**
 * Runs one turn under a plan on a ChatML-think model: a single controlled path (budget forcing, early exit)
 * on the conversation's sequence, or short-m@k / PDR drafts on parallel sequences of one context.
 */
export async function runControlled(turn: ControlledTurn): Promise<ControlledResult> {
  const { target: t, params: p, plan, difficulty, emit, signal } = turn;
  const turnId = p.requestId;
  const systemPrompt = turn.systemPrompt ?? (plan.systemPrompt !== '' ? plan.systemPrompt : p.systemPrompt);
  const probe = difficulty.probeTokens;
  if (plan.strategy !== 'short-m@k' && plan.strategy !== 'pdr') {
    const thoughtTrim = new DeltaTrimmer();
    const answerTrim = new DeltaTrimmer();
    const o = await decodePath({
      model: t.model, sequence: t.sequence, think: t.think,
      prompt: promptTokens(t, p, systemPrompt, p.question),
      temperature: plan.temperature, seed: p.seed, maxTokens: p.maxTokens, ...(p.topP !== undefined ? { topP: p.topP } : {}), ...(p.topK !== undefined ? { topK: p.topK } : {}), ...(p.minP !== undefined ? { minP: p.minP } : {}),
      budget: plan.thinkingBudget, prefilled: turn.prefilled,
      earlyExit: plan.earlyExitThreshold === null ? null
        : { threshold: plan.earlyExitThreshold, trialTokens: plan.trialTokens, start: plan.earlyExitStart, at: plan.earlyExitAt ?? 'step' },
      signal,
      onThought: (x) => { const d = thoughtTrim.push(x); if (d !== '') emit({ type: 'thought', turnId, text: d }); },
      onAnswer: (x) => { const d = answerTrim.push(x); if (d !== '') emit({ type: 'answer', turnId, text: d }); },
      onThoughtEnd: (ms, tokens) => emit({ type: 'thought-end', turnId, ms, tokens }),
      onEarlyExit: (r) => emit({ type: 'early-exit', turnId, ...r }),
      answerNow: turn.answerNow,
      onAnswerNow: (at) => emit({ type: 'answer-now', turnId, atThinkingTokens: at }),
    });
    const ledger = makeLedger({ cached: o.cached, prompt: o.prompt, thinking: o.thinking, visible: o.visible, overhead: { probe, trial: o.trial } });
    return {
      answer: o.answerText, thinking: o.thinkingText, thinkingMs: o.thinkingMs, ledger,
      stopReason: o.stopReason === 'stopped' ? 'aborted' : o.stopReason,
      plan, difficulty, earlyExit: o.earlyExit ?? undefined,
      latencyTokens: o.prompt + o.thinking + o.visible + o.trial,
      thinkingContent: o.thinkingContent, budgetForced: o.budgetForced,
      hidden: o.hidden,
    };
  }

  const baseSeed = p.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rounds = plan.strategy === 'short-m@k' ? [plan.sampling!.k] : plan.rounds!;
  const countTokens = (text: string): number => t.model.tokenize(text, false).length;
  const records: DraftRecord[] = [];
  const counts: Required<LedgerCounts> = { cached: 0, prompt: 0, thinking: 0, visible: 0, overhead: { probe, trial: 0, draft: 0, distill: 0 } };
  let workspace = '';
  let latency = 0;
  // Receipt: every hidden token the ledger bills, by kind (winner's thinking, workspaces, discarded drafts).
  const hidden = new HiddenLog();
  let winner: { o: PathOutcome; rec: DraftRecord; distillPart: number } | null = null;
  let aborted = false;
  const draftCallbacks = draftEvents(emit, turnId);
  for (let r = 0; r < rounds.length && !aborted; r++) {
    const n = rounds[r]!;
    const seqs = await t.draftSequences(n);
    const prompt = promptTokens(t, p, systemPrompt, p.question + workspace);
    const wsTokens = workspace === '' ? 0 : countTokens(workspace);
    const finishOrder: number[] = [];
    const m = plan.strategy === 'short-m@k' ? plan.sampling!.m : n;
    const drafts = seqs.slice(0, n);
    const lockstep = new Lockstep(drafts.length);
    const outcomes = await Promise.all(drafts.map((sequence, index) => {
      return decodePath({
        model: t.model, sequence, think: t.think, prompt,
        temperature: plan.temperature, seed: baseSeed + 1000 * r + index, maxTokens: p.maxTokens, ...(p.topP !== undefined ? { topP: p.topP } : {}), ...(p.topK !== undefined ? { topK: p.topK } : {}), ...(p.minP !== undefined ? { minP: p.minP } : {}),
        budget: plan.thinkingBudget, earlyExit: null, signal, answerConfidence: true, lockstep,
        shouldStop: () => finishOrder.length >= m,
        answerNow: turn.answerNow,
        ...draftCallbacks(r, index),
      }).then((o) => {
        if (o.stopReason === 'eos') finishOrder.push(index);
        return o;
      });
    }));
    if (outcomes.some((o) => o.stopReason === 'aborted')) aborted = true;
    const last = r === rounds.length - 1 || aborted;
    latency += Math.max(...outcomes.map((o) => o.prompt + o.thinking + o.visible));
    const round = draftRound({
      round: r, outcomes, finishOrder, m, last, prompt,
      workspaceTokens: wsTokens, workspaceIds: wsTokens === 0 ? [] : t.model.tokenize(workspace, false),
    });
    const { pool, candidates: cands } = round;
    for (const rec of round.records) {
      records.push(rec);
      emit({ type: 'draft-end', turnId, round: r, index: rec.index, answer: rec.answer, tokens: rec.tokens, finished: rec.finished, confidence: rec.confidence });
    }
    counts.overhead.distill! += round.overhead.distill;
    counts.overhead.draft! += round.overhead.draft;
    for (const seg of round.hidden) hidden.add(seg.kind, ...seg.tokens);
    if (round.winner !== null) winner = { o: round.winner.path, rec: round.winner.record, distillPart: round.winner.distillPart };
    if (!last) {
      const kappa = plan.kappa ?? 64;
      if ((p.pdrWorkspace ?? 'summary') === 'summary') {
        // General models: the model writes the workspace (billed as distill, committed in the receipt).
        const s = await summariseRound(t, seqs[0]!, p, pool.map((i, j) => ({ text: outcomes[i]!.answerText, answer: cands[j]!.answer, confidence: cands[j]!.confidence })), kappa, signal);
        counts.overhead.distill! += s.billed;
        hidden.add('distill', ...s.hidden);
        latency += s.latency;
        workspace = s.workspace;
        if (s.aborted) aborted = true;
      } else {
        workspace = distillWorkspace(pool.map((i, j) => ({ answer: cands[j]!.answer, confidence: outcomes[i]!.answerConfidence })), kappa, countTokens);
      }
      emit({ type: 'workspace', turnId, round: r, text: workspace.trim(), tokens: workspace === '' ? 0 : countTokens(workspace) });
    }
  }
  const w = winner as { o: PathOutcome; rec: DraftRecord; distillPart: number } | null;
  if (w === null) throw new Error('no draft ran');
  counts.cached = w.o.cached;
  counts.prompt = w.o.prompt - w.distillPart;
  counts.thinking = w.o.thinking;
  counts.visible = w.o.visible;
  if (w.o.thinkingText !== '') emit({ type: 'thought', turnId, text: w.o.thinkingText });
  emit({ type: 'thought-end', turnId, ms: w.o.thinkingMs, tokens: w.o.thinking });
  if (w.o.answerText !== '') emit({ type: 'answer', turnId, text: w.o.answerText });
  return {
    answer: w.o.answerText, thinking: w.o.thinkingText, thinkingMs: w.o.thinkingMs,
    ledger: makeLedger(counts),
    stopReason: aborted ? 'aborted' : w.o.stopReason === 'stopped' ? 'eos' : w.o.stopReason,
    plan, difficulty, drafts: records, latencyTokens: latency,
    thinkingContent: w.o.thinkingContent, budgetForced: w.o.budgetForced,
    hidden: hidden.segments,
  };
}

/**
 * PDR's distillation written by the model (general models): a user turn with the question and the round's draft
 * answers, thinking closed at once, greedy, at most kappa + 4 tokens; the reply becomes the workspace, cut to kappa
 * tokens. Everything it decodes (its prompt, the closed think tags, the reply) is billed as distill.
 */
async function summariseRound(
  t: ControlTarget, sequence: LlamaContextSequence, p: GenerateParams,
  drafts: { text: string; answer: string; confidence: number }[], kappa: number, signal: AbortSignal,
): Promise<{ workspace: string; billed: number; hidden: number[]; latency: number; aborted: boolean }> {
  const request = summaryRequest(p.question, drafts, Math.max(8, Math.floor(kappa * 0.6)));
  const prompt = promptTokens(t, { ...p, history: [] }, '', request);
  const o = await decodePath({
    model: t.model, sequence, think: t.think, prompt, temperature: 0, maxTokens: kappa + 4, budget: 0, earlyExit: null, signal,
  });
  const hidden: number[] = [...prompt.slice(o.cached), ...(o.hidden ?? []).flatMap((seg) => seg.tokens), ...o.answerTokens];
  const aborted = o.stopReason === 'aborted';
  const workspace = aborted ? '' : summaryWorkspace(o.answerText, kappa, (x) => t.model.tokenize(x, false), (ids) => t.model.detokenize(ids as Token[]));
  return { workspace, billed: o.prompt + o.thinking + o.visible + o.trial, hidden, latency: o.prompt + o.thinking + o.visible, aborted };
}
