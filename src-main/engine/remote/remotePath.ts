/**
 * One decoding path on a llama-server slot, the remote counterpart of engine/controller/decodePath.ts: thinking from
 * `<think>` to `</think>`, budget forcing, DEER early exit, the answer. llama-server cannot roll its cache back over
 * HTTP, but a new /completion whose prompt shares a prefix with the slot's cache reuses that prefix (cache_prompt):
 * so a forced `</think>` or a trial answer is a new request on the same slot, and a rejected trial is undone by
 * asking again from the prompt without it. Early exit decides with the same rule as the built-in engine
 * (common/controller/earlyExit.ts), scoring trials with the server's per-token probabilities (n_probs).
 */
import { EarlyExitTally, finishedLine, trialCannotCommit, trialPoints, type EarlyExitRule } from '../../common/controller/earlyExit';
import type { EarlyExitRecord, PathFigures } from '../../common/controller/types';
import { ReckonError } from '../../common/errors';
import type { HiddenSegment } from '../../common/receipts/fingerprint';
import { HiddenLog } from '../receipts/hiddenTokens';
import type { CompletionChunk, CompletionRequest, LlamaServerClient } from './LlamaServerClient';

/** The model's think tags as single token ids, and what follows `</think>` (the newline) for a trial answer. */
export interface RemoteThink {
  open: number;
  close: number;
  /** `\n` as one token, [] when it is not one. */
  afterClose: number[];
}

/** Sampling fields of every request of a path (llama-server's names). */
export type RemoteSampling = Omit<CompletionRequest, 'prompt' | 'n_predict' | 'id_slot' | 'n_probs'>;

export interface RemotePathSpec {
  client: LlamaServerClient;
  /** The formatted prompt's token ids (BOS included). */
  prompt: number[];
  /** null = the model has no think tags: everything is answer, no budget. */
  think: RemoteThink | null;
  sampling: RemoteSampling;
  /** Cap on generated tokens on the accepted path (thinking + answer). */
  maxTokens: number;
  /** Thinking content tokens before `</think>` is forced; null = none. */
  budget: number | null;
  /** DEER early exit; null = off. */
  earlyExit: EarlyExitRule | null;
  /** Ask the server for each answer token's probability (draft voting); early exit's trials always ask. */
  answerConfidence?: boolean;
  signal: AbortSignal;
  /** Polled per token: true stops the path ('stopped'; parallel drafting when enough drafts finished). */
  shouldStop?: () => boolean;
  /** Polled per thinking token: true closes the thought there ("Answer now"). */
  answerNow?: () => boolean;
  onAnswerNow?: (atThinkingTokens: number) => void;
  /** Raw text pieces (the caller trims). */
  onThought?: (text: string) => void;
  onAnswer?: (text: string) => void;
  onThoughtEnd?: (ms: number, tokens: number) => void;
  onEarlyExit?: (r: EarlyExitRecord) => void;
}

/**
 * A path's figures (common/controller/types.ts): `cached` and `prompt` are its first request's, and `visible` does
 * not count the end-of-generation token.
 */
export interface RemotePathOutcome extends PathFigures {
  /** Hidden tokens (thinking, rejected trials) in production order, for the receipt. */
  hidden: HiddenSegment[];
  answerTokens: number[];
  /** Wall time spent in trial requests that were rejected, ms (what early exit cost). */
  trialMs: number;
  /** Requests sent to the server. */
  requests: number;
}

/** Runs one path. Errors other than the caller's abort (a dropped stream, the server gone) reject. */
export async function remotePath(s: RemotePathSpec): Promise<RemotePathOutcome> {
  const { think, signal } = s;
  const out: RemotePathOutcome = {
    cached: 0, prompt: s.prompt.length, thinking: 0, visible: 0, trial: 0, thinkingText: '', answerText: '',
    answerConfidence: 0, stopReason: 'eos', earlyExit: null, thinkingMs: 0, thinkingContent: 0, budgetForced: false,
    hidden: [], answerTokens: [], trialMs: 0, requests: 0,
  };
  const hidden = new HiddenLog();
  out.hidden = hidden.segments;
  const tally = new EarlyExitTally();
  const isTrialPoint = s.earlyExit === null ? null : trialPoints(s.earlyExit);
  const accepted: number[] = [];
  // Assigned inside the stream callbacks too: the casts keep TypeScript from narrowing them to their first value.
  let phase = (think === null ? 'answer' : 'start') as 'start' | 'thinking' | 'answer';
  let thoughtStart = 0;
  let confSum = 0;
  let confN = 0;
  let slot = -1;
  // The answer's last piece waits for the next token: an end-of-generation token's piece is never shown.
  let held: { id: number; text: string; conf: number | undefined } | null = null;
  const endThinking = (): void => {
    out.thinkingMs = Date.now() - thoughtStart;
    s.onThoughtEnd?.(out.thinkingMs, out.thinking);
  };
  const addThought = (id: number, text: string): void => {
    out.thinking++;
    accepted.push(id);
    hidden.add('thinking', id);
    out.thinkingText += text;
    if (text !== '') s.onThought?.(text);
  };
  const flushAnswer = (): void => {
    if (held === null) return;
    out.visible++;
    out.answerTokens.push(held.id);
    if (held.conf !== undefined) { confSum += held.conf; confN++; }
    out.answerText += held.text;
    if (held.text !== '') s.onAnswer?.(held.text);
    held = null;
  };
  const closeThought = (): void => {
    addThought(think!.close, '');
    phase = 'answer';
    endThinking();
  };

  /**
   * One /completion on the path's slot: calls `each` per token until it returns false (the stream is then ended:
   * the server cancels the task when the connection closes). Resolves with the final event, or null when cut short.
   */
  const request = async (
    prompt: number[], nPredict: number, o: { probs: boolean; greedy?: boolean },
    each: (id: number, text: string, prob: number | undefined) => boolean,
  ): Promise<CompletionChunk | null> => {
    const step = new AbortController();
    const onAbort = (): void => step.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    out.requests++;
    try {
      const sampling = o.greedy === true ? { ...s.sampling, temperature: 0, top_k: 1 } : s.sampling;
      const req: CompletionRequest = { ...sampling, prompt, n_predict: nPredict, id_slot: slot, ...(o.probs ? { n_probs: 1 } : {}) };
      for await (const c of s.client.completion(req, step.signal)) {
        if (c.idSlot >= 0) slot = c.idSlot;
        if (counts === null && out.requests === 1 && c.promptTokens !== undefined) {
          counts = { prompt: c.promptTokens, cached: Math.min(c.cachedTokens ?? 0, c.promptTokens) };
        }
        if (c.stop) return c;
        // One token per event in practice; the event's text goes with its last token.
        for (let i = 0; i < c.tokens.length; i++) {
          if (!each(c.tokens[i]!, i === c.tokens.length - 1 ? c.content : '', c.probs[i])) return null;
        }
      }
      return null;
    } finally {
      signal.removeEventListener('abort', onAbort);
      step.abort(new ReckonError('TURN_ABORTED', 'The path ended this request.'));
    }
  };

  // The prompt's counts from the path's first request (the later ones continue it from the slot's cache); a server
  // that sends none before the stream is cut: all of the prompt is billed as decoded.
  let counts = null as { prompt: number; cached: number } | null;
  try {
    for (;;) {
      let action = null as { kind: 'close' } | { kind: 'trial'; id: number } | null;
      const remaining = s.maxTokens - accepted.length - out.visible;
      if (remaining <= 0) { flushAnswer(); out.stopReason = 'maxTokens'; break; }
      const end = await request([...s.prompt, ...accepted, ...out.answerTokens], remaining, { probs: s.answerConfidence === true }, (id, rawText, prob) => {
          if (s.shouldStop?.() === true) { out.stopReason = 'stopped'; return false; }
          const text = think !== null && (id === think.open || id === think.close) ? '' : rawText;
          if (phase === 'start') {
            if (think !== null && id === think.open) {
              phase = 'thinking';
              thoughtStart = Date.now();
              addThought(id, '');
              if (s.budget !== null && s.budget <= 0) { action = { kind: 'close' }; return false; }
              return true;
            }
            phase = 'answer';
          }
          if (phase === 'thinking') {
            if (id === think!.close) {
              closeThought();
            } else if ((s.budget !== null && out.thinkingContent >= s.budget) || s.answerNow?.() === true) {
              // Replaced by `</think>`: this token is never kept (as the built-in engine's budget forcing).
              action = { kind: 'close' };
              return false;
            } else {
              out.thinkingContent++;
              if (isTrialPoint !== null && isTrialPoint(out.thinkingContent, finishedLine(out.thinkingText, text))) {
                action = { kind: 'trial', id };
                out.thinkingText += text;
                if (text !== '') s.onThought?.(text);
                return false;
              }
              addThought(id, text);
            }
          } else {
            flushAnswer();
            held = { id, text, conf: s.answerConfidence === true ? prob : undefined };
          }
          return true;
        });
      if (out.stopReason === 'stopped') break;
      if (end !== null) {
        // The end-of-generation token is neither shown (a server started with --special renders it) nor counted:
        // the built-in engine never receives it from llama.cpp's evaluation either.
        if (end.stopType === 'eos') {
          if (phase === 'answer') held = null;
          else if (phase === 'thinking' && out.thinkingContent > 0) {
            // Generation ended inside the thought: the last thought token was the end of generation.
            out.thinkingContent--; out.thinking--; accepted.pop(); (hidden.segments.at(-1)!.tokens as number[]).pop();
          }
        }
        flushAnswer();
        if (end.stopType === 'limit') out.stopReason = 'maxTokens';
        break;
      }
      const a = action;
      if (a === null) throw new ReckonError('ENGINE_STREAM_DROPPED', 'The llama-server ended a completion without its final event.');
      if (a.kind === 'close') {
        if (s.budget === null || out.thinkingContent < s.budget) s.onAnswerNow?.(out.thinkingContent);
        else out.budgetForced = true;
        closeThought();
        continue;
      }
      // A trial answer at a step boundary: `</think>` and the newline after the step token, greedy, with probabilities.
      // n_predict is the rule's cap, so the server itself ends the trial there or at end of generation (its final
      // event says which: an end-of-generation token is then the last one streamed, never part of the answer).
      const ee = s.earlyExit!;
      const t0 = Date.now();
      const lead = [a.id, think!.close, ...think!.afterClose];
      const ids: number[] = [];
      const texts: string[] = [];
      const conf: number[] = [];
      const trialEnd = await request([...s.prompt, ...accepted, ...lead], ee.trialTokens, { probs: true, greedy: true }, (id, text, prob) => {
        ids.push(id);
        texts.push(text);
        conf.push(prob ?? 0);
        return !trialCannotCommit(ee, prob ?? 0); // ending the stream ends the trial (request resolves null)
      });
      const eos = trialEnd?.stopType === 'eos';
      if (eos) { ids.pop(); texts.pop(); conf.pop(); }
      const fired = tally.decide(ee, conf, out.thinkingContent);
      if (fired !== null) {
        // Commit: the trial's `</think>` and answer are the accepted path from here.
        addThought(a.id, '');
        closeThought();
        out.earlyExit = fired;
        s.onEarlyExit?.(fired);
        for (const t of think!.afterClose) { out.visible++; out.answerTokens.push(t); }
        ids.forEach((id, i) => { held = { id, text: texts[i]!, conf: conf[i] }; flushAnswer(); });
        if (eos) break;
        continue;
      }
      // Rejected: the server decoded the lead and every trial token but the last sampled one (or none past the end).
      const decoded = [...lead, ...ids.slice(0, eos ? ids.length : Math.max(0, ids.length - 1))];
      out.trial += decoded.length;
      hidden.add('trial', ...decoded);
      out.trialMs += Date.now() - t0;
      // The step token's text was streamed already; it joins the thought now.
      out.thinking++;
      accepted.push(a.id);
      hidden.add('thinking', a.id);
    }
  } catch (err) {
    if (!signal.aborted) throw err;
    out.stopReason = 'aborted';
    flushAnswer();
  }
  if (counts !== null) { out.cached = counts.cached; out.prompt = counts.prompt - counts.cached; }
  if (phase === 'thinking' && out.thinkingMs === 0) endThinking();
  out.earlyExit = tally.record(out.thinkingContent);
  out.answerConfidence = confN === 0 ? 0 : confSum / confN;
  out.thinkingText = out.thinkingText.trim();
  out.answerText = out.answerText.trim();
  return out;
}
