import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { EarlyExitTally, finishedLine, trialCannotCommit, trialPoints, trialComplete, trialScore, type EarlyExitRule } from '../../common/controller/earlyExit';
import type { EarlyExitRecord, PathFigures } from '../../common/controller/types';
import type { HiddenSegment } from '../../common/receipts/fingerprint';
import { HiddenLog } from '../receipts/hiddenTokens';
import { sampleFromLogits } from '../../common/probe/logitSketch';
import { lockstepEvaluate, type Lockstep, type StepSampling } from './lockstep';

/** Token ids the controller needs for a ChatML-think model. */
export interface ThinkTokens {
  /** `<think>` */
  open: Token;
  /** `</think>` */
  close: Token;
  /** What follows `</think>` before the answer (`\n`). */
  afterClose: Token[];
}

/** One decoding path driven token by token on a context sequence (no LlamaChat). */
export interface PathSpec {
  model: LlamaModel;
  sequence: LlamaContextSequence;
  think: ThinkTokens;
  /** The whole formatted prompt (BOS included); a matching prefix already in the sequence is reused. */
  prompt: Token[];
  temperature: number;
  /** Nucleus sampling (0..1); absent = 1, no cut. */
  topP?: number;
  /** Top-k cut (0 = none); absent = 40 when sampling. */
  topK?: number;
  /** Min-p cut (0..1); absent = off. */
  minP?: number;
  seed?: number;
  /**
   * The probe's prefill already put a prompt into the sequence (prefillFeatures): `cached` of its tokens were there
   * before this turn (the rest were decoded for the turn, so they bill as prompt, not cached). With `logits` (the
   * sequence holds exactly `prompt`, these are its last token's next-token logits) the first token is sampled from
   * them; with `greedy` (a subset probe's prefill) a greedy path starts from that token. Either way the prompt is not
   * decoded again.
   */
  prefilled?: { cached: number; logits: Map<Token, number> | null; greedy?: { token: Token; confidence: number } | null };
  /** Cap on generated tokens on the accepted path (thinking + answer). */
  maxTokens: number;
  /** Thinking content tokens (after `<think>`) before `</think>` is forced; null = none. */
  budget: number | null;
  /** DEER early exit (the shared rule, common/controller/earlyExit.ts); null = off. */
  earlyExit: EarlyExitRule | null;
  /**
   * Per-token confidence for the answer (draft voting). Early exit always scores its trials. Off on a plain path:
   * it costs a softmax over the vocabulary per token (FINDINGS.md: 150 -> 45 tok/s on a 151k vocabulary).
   */
  answerConfidence?: boolean;
  signal?: AbortSignal;
  /** The round's other drafts: every step is decoded in one batch with theirs; the path leaves it when it stops. */
  lockstep?: Lockstep;
  /** Polled per token: true stops the path (parallel drafting when enough drafts finished). */
  shouldStop?: () => boolean;
  /** Polled per thinking token: true closes the thought there, as budget forcing does (the user's "Answer now"). */
  answerNow?: () => boolean;
  /** The thought was closed on request, after this many thinking content tokens. */
  onAnswerNow?: (atThinkingTokens: number) => void;
  onThought?: (text: string) => void;
  onAnswer?: (text: string) => void;
  onThoughtEnd?: (ms: number, tokens: number) => void;
  /** A trial was committed. */
  onEarlyExit?: (r: EarlyExitRecord) => void;
  /** Every trial, scored, before it commits or rolls back (calibration fits thresholds from these). */
  onTrial?: (r: { confidence: number; answerText: string; atThinkingTokens: number }) => void;
}

/** A path's figures (common/controller/types.ts); `visible` counts the sampled end-of-generation token. */
export interface PathOutcome extends PathFigures {
  /** Hidden tokens (thinking, rolled-back trials) in production order, for the receipt. */
  hidden?: HiddenSegment[];
  /** The accepted answer's tokens (what `visible` counts), for the receipt of a discarded draft. */
  answerTokens: Token[];
}

type Phase = 'start' | 'thinking' | 'answer';

/**
 * Runs one path: prefill (reusing a cached prefix), then samples token by token. In the thinking phase,
 * when the budget is spent the next sampled token is replaced by `</think>` (budget forcing; the replaced
 * token is never decoded and not billed); at step boundaries (a token containing a newline) past `start`,
 * early exit decodes `<newline>`, `</think>`, `\n` and greedy-samples a trial answer: with min probability
 * >= threshold the trial becomes the answer (thinking stops there), else its tokens are erased from the
 * sequence (eraseContextTokenRanges) and billed as overhead 'trial', and thinking resumes exactly where it was.
 */
export async function decodePath(s: PathSpec): Promise<PathOutcome> {
  try {
    return await runPath(s);
  } finally {
    s.lockstep?.leave();
  }
}

async function runPath(s: PathSpec): Promise<PathOutcome> {
  const { model, sequence: seq, think } = s;
  const evaluate = (tokens: Token[], metadata: { confidence: boolean }, sampling: StepSampling): AsyncIterable<{ token: Token; confidence?: number }> =>
    s.lockstep !== undefined ? lockstepEvaluate(s.lockstep, model, seq, tokens, metadata, sampling) : seq.evaluateWithMetadata(tokens, metadata, sampling);
  // Prefix reuse: keep what the sequence already holds of this prompt, but decode at least one token for logits.
  const matched = seq.compareContextTokens(s.prompt).firstDifferentIndex;
  const greedyStart = s.temperature <= 0 ? s.prefilled?.greedy ?? null : null;
  const fromPrefill = (s.prefilled?.logits != null || greedyStart !== null) && matched === s.prompt.length && seq.nextTokenIndex === s.prompt.length;
  let keep = fromPrefill ? s.prompt.length : Math.min(matched, s.prompt.length - 1);
  keep = Math.max(0, keep);
  if (seq.nextTokenIndex > keep) await seq.eraseContextTokenRanges([{ start: keep, end: seq.nextTokenIndex }]);
  const cached = s.prefilled !== undefined ? Math.min(keep, s.prefilled.cached) : keep;
  const out: PathOutcome = {
    cached, prompt: s.prompt.length - cached, thinking: 0, visible: 0, trial: 0,
    thinkingText: '', answerText: '', answerConfidence: 0, stopReason: 'eos', earlyExit: null,
    thinkingMs: 0, thinkingContent: 0, budgetForced: false, answerTokens: [],
  };
  const recent: Token[] = s.prompt.slice(-4);
  const piece = (t: Token): string => {
    const text = t === think.open || t === think.close ? '' : model.detokenize([t], false, recent);
    recent.push(t);
    if (recent.length > 8) recent.shift();
    return text;
  };
  const textCache = new Map<Token, string>();
  // The line this token finishes (null when its text holds no newline); its text read without context, cached.
  const stepLine = (t: Token): string | null => {
    let v = textCache.get(t);
    if (v === undefined) { v = model.detokenize([t], false); textCache.set(t, v); }
    return v.includes('\n') ? finishedLine(out.thinkingText, v) : null;
  };
  let phase: Phase = 'start';
  let thoughtStart = 0;
  let confSum = 0;
  let confN = 0;
  let generated = 0;
  const tally = new EarlyExitTally();
  const isTrialPoint = s.earlyExit === null ? null : trialPoints(s.earlyExit);
  const endThinking = (): void => {
    out.thinkingMs = Date.now() - thoughtStart;
    s.onThoughtEnd?.(out.thinkingMs, out.thinking);
  };
  const hidden = new HiddenLog();
  out.hidden = hidden.segments;
  const addThought = (t: Token): void => {
    out.thinking++;
    hidden.add('thinking', t);
    const p = piece(t);
    out.thinkingText += p;
    if (p !== '') s.onThought?.(p);
  };
  const addAnswer = (t: Token, conf: number | undefined): void => {
    out.visible++;
    out.answerTokens.push(t);
    if (conf !== undefined) { confSum += conf; confN++; }
    if (model.isEogToken(t)) return;
    const p = piece(t);
    out.answerText += p;
    if (p !== '') s.onAnswer?.(p);
  };

  let pending: Token[] = s.prompt.slice(keep);
  const sampling = {
    temperature: s.temperature, seed: s.seed, topK: s.temperature > 0 ? (s.topK ?? 40) : undefined,
    ...(s.topP !== undefined ? { topP: s.topP } : {}), ...(s.minP !== undefined ? { minP: s.minP } : {}),
  };
  // The first token from the prefill's logits, sampled as the native sampler would (greedy exactly).
  let first = !fromPrefill ? null : s.prefilled?.logits != null
    ? sampleFromLogits(s.prefilled.logits, { temperature: s.temperature, topK: sampling.topK, topP: s.topP, seed: s.seed })
    : greedyStart;
  outer: for (;;) {
    let action: { kind: 'close' } | { kind: 'trial'; token: Token } | null = null;
    const it = first !== null
      ? continueFrom(model, { token: first.token as Token, confidence: first.confidence }, { confidence: s.answerConfidence === true }, (ts) => evaluate(ts, { confidence: s.answerConfidence === true }, sampling))
      : evaluate(pending, { confidence: s.answerConfidence === true }, sampling);
    first = null;
    pending = [];
    for await (const item of it) {
      const token = item.token;
      const confidence = item.confidence; // present only when asked for
      if (s.signal?.aborted) { out.stopReason = 'aborted'; break outer; }
      if (s.shouldStop?.()) { out.stopReason = 'stopped'; break outer; }
      generated++;
      if (phase === 'start') {
        if (token === think.open) {
          phase = 'thinking';
          thoughtStart = Date.now();
          addThought(token);
          if (s.budget !== null && s.budget <= 0) { action = { kind: 'close' }; break; }
          continue;
        }
        phase = 'answer';
      }
      if (phase === 'thinking') {
        if (token === think.close) {
          addThought(token);
          phase = 'answer';
          endThinking();
        } else if (model.isEogToken(token)) {
          // Generation ended inside the thought: nothing more to say.
          out.thinking++;
          hidden.add('thinking', token);
          endThinking();
          break outer;
        } else if ((s.budget !== null && out.thinkingContent >= s.budget) || s.answerNow?.() === true) {
          generated--; // replaced, not kept
          action = { kind: 'close' };
          break;
        } else {
          out.thinkingContent++;
          if (isTrialPoint !== null && isTrialPoint(out.thinkingContent, stepLine(token))) {
            action = { kind: 'trial', token };
            break;
          }
          addThought(token);
        }
      } else {
        addAnswer(token, confidence);
        if (model.isEogToken(token)) break outer;
      }
      if (generated >= s.maxTokens) { out.stopReason = 'maxTokens'; break outer; }
    }
    if (action === null) break; // the iterator ended on its own (context full)
    if (action.kind === 'close') {
      // Asked to answer now before the budget ran out: not budget forcing, though the closing is the same.
      if (s.budget === null || out.thinkingContent < s.budget) s.onAnswerNow?.(out.thinkingContent);
      else out.budgetForced = true;
      addThought(think.close);
      phase = 'answer';
      endThinking();
      pending = [think.close];
      generated++;
      continue;
    }
    // A trial answer at a step boundary.
    const ee = s.earlyExit!;
    const start = seq.nextTokenIndex;
    const trialTokens: Token[] = [];
    const trialConf: number[] = [];
    const trialIt = evaluate([action.token, think.close, ...think.afterClose], { confidence: true }, { temperature: 0 });
    for await (const item of trialIt) {
      const { token } = item;
      const confidence = item.confidence ?? 0; // always present: asked for
      trialTokens.push(token);
      trialConf.push(confidence);
      if (trialComplete(ee, trialTokens.length, model.isEogToken(token)) || trialCannotCommit(ee, confidence) || s.signal?.aborted) break;
    }
    s.onTrial?.({ confidence: trialScore(trialConf), answerText: model.detokenize(trialTokens.filter((t) => !model.isEogToken(t)), false), atThinkingTokens: out.thinkingContent });
    const fired = tally.decide(ee, trialConf, out.thinkingContent);
    if (fired !== null) {
      // Commit: the trial's `</think>` and answer are the accepted path from here.
      addThought(action.token);
      addThought(think.close);
      phase = 'answer';
      endThinking();
      out.earlyExit = fired;
      s.onEarlyExit?.(fired);
      for (const t of think.afterClose) { out.visible++; out.answerTokens.push(t); piece(t); }
      generated += 1 + think.afterClose.length;
      trialTokens.forEach((t, i) => addAnswer(t, trialConf[i]!));
      generated += trialTokens.length;
      const last = trialTokens[trialTokens.length - 1]!;
      if (model.isEogToken(last)) break;
      if (generated >= s.maxTokens) { out.stopReason = 'maxTokens'; break; }
      pending = [last];
      continue;
    }
    // Roll back: everything the trial decoded (the step token included, decoded again below) is overhead.
    out.trial += seq.nextTokenIndex - start;
    hidden.add('trial', ...seq.contextTokens.slice(start, seq.nextTokenIndex));
    await seq.eraseContextTokenRanges([{ start, end: seq.nextTokenIndex }]);
    addThought(action.token);
    pending = [action.token];
    if (s.signal?.aborted) { out.stopReason = 'aborted'; break; }
  }
  if (phase === 'thinking' && out.thinkingMs === 0) endThinking();
  out.earlyExit = tally.record(out.thinkingContent);
  out.answerConfidence = confN === 0 ? 0 : confSum / confN;
  out.thinkingText = out.thinkingText.trim();
  out.answerText = out.answerText.trim();
  return out;
}

/**
 * An evaluation iterator that starts from a token already sampled (from the prefill's logits): yields it, then decodes
 * it and goes on like evaluateWithMetadata (which likewise decodes a yielded token only when iterated again, and ends
 * without yielding an end-of-generation token).
 */
async function* continueFrom(
  model: LlamaModel,
  first: { token: Token; confidence: number },
  metadata: { confidence: boolean },
  evaluate: (tokens: Token[]) => AsyncIterable<{ token: Token; confidence?: number }>,
): AsyncGenerator<{ token: Token; confidence?: number }> {
  if (model.isEogToken(first.token)) return;
  yield metadata.confidence ? first : { token: first.token };
  yield* evaluate([first.token]);
}
