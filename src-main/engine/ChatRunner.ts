import {
  LlamaChat,
  LlamaText,
  type ChatHistoryItem,
  type ChatWrapper,
  type LlamaChatResponseChunk,
  type LlamaContext,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import type { GenerateParams, GenerateResult, HistoryItem } from '../common/engineProtocol';
import type { EngineTurnEvent } from '../common/events';
import type { DifficultyInfo } from '../common/controller/types';
import { ReckonError } from '../common/errors';
import { makeLedger } from '../common/ledger';
import { defaultControllerSettings } from '../common/controller/defaults';
import { fallbackDifficulty, makePlan, RunningAverage } from '../common/controller/plan';
import { effortControlFor } from '../common/controller/effort';
import type { TemplateClass } from './classifyChatTemplate';
import { effortTurn } from './effortTurn';
import type { LlamaContextSequence } from 'node-llama-cpp';
import { countTurnTokens } from './countTurnTokens';
import { DeltaTrimmer } from './DeltaTrimmer';
import { thinkingTokensOf, withProbe } from './receipts/hiddenTokens';
import type { ThinkTokens } from './controller/decodePath';
import { promptTokens, runControlled, thinkTokensOf } from './controller/runControlled';
import type { ProbeFile, ProbeResult } from '../common/probe/types';
import type { ProbeFeatureSpec } from '../common/probe/logitSubset';
import { prefillFeatures, type Prefill } from './probe/prefillFeatures';

/** What a ChatRunner works with: one loaded model, its context and the chat wrapper for its template. */
export interface ChatRunnerOptions {
  model: LlamaModel;
  context: LlamaContext;
  chatWrapper: ChatWrapper;
  /** The model's template family: which native effort control it has (gpt-oss, Qwen3). Defaults to none. */
  template?: TemplateClass;
}

/** One turn for ChatRunner.generate. */
export interface TurnRequest {
  params: GenerateParams & { requestId: string };
  /** Receives the turn's events (turnId = params.requestId). */
  emit: (e: EngineTurnEvent) => void;
  /** Aborts the turn; it then resolves with stopReason 'aborted' and what was produced so far. */
  signal?: AbortSignal;
  /**
   * The controller's difficulty step: the probe's verdict and the tokens it decoded (billed as probe overhead and
   * committed in the receipt). Absent, or null from it: the fallback (Normal, the running-average length).
   * Not run for strategy 'long', for plain (strategy-less) turns, or when params.difficulty pins a verdict.
   */
  probe?: TurnProbe;
  /**
   * "Answer now": polled per thinking token on the controller's own decoding; true closes the thought there.
   * The runner sets `plain` when the turn runs plain LlamaChat generation, which cannot close it.
   */
  answerNow?: { requested: boolean; plain: boolean };
}

interface ChatEntry {
  chat: LlamaChat;
  busy: boolean;
}

/**
 * The probe as a turn uses it. On the controller's own decoding the features come from the turn's prefill (the
 * conversation sequence decodes the prompt once, the last token with its logits: probeTokens 0); on plain LlamaChat
 * turns (models without single-token think tags) `separate` runs a pass of its own, billed as probe overhead.
 */
export interface TurnProbe {
  /** The usable probe file; null = none (the fallback). Throws (PROBE_NEEDS_RECALIBRATION, STORE_CORRUPT) when unusable. */
  file(): Promise<(ProbeFile & { features: ProbeFeatureSpec }) | null>;
  /** The verdict on features the turn read (feature length checked). */
  verdict(file: ProbeFile, features: readonly number[]): ProbeResult;
  /** A separate pass: the verdict and the tokens it decoded, or null (no usable probe). */
  separate(): Promise<{ difficulty: DifficultyInfo; tokens: number[] } | null>;
}

/**
 * Runs chat turns on one loaded model. Each chatKey keeps its own LlamaChat on its own context
 * sequence, so the next turn of the same conversation reuses the KV prefix (LlamaChat compares the
 * new prompt with the sequence's tokens and decodes only the difference). When sequences run out,
 * the least recently used idle chat gives its sequence up.
 */
export class ChatRunner {
  /** Insertion order is recency: a used entry is moved to the end. */
  private readonly chats = new Map<string, ChatEntry>();
  private readonly running = new Map<string, AbortController>();
  /** Token ids of the thought suffix (`</think>`); empty when the template has none. */
  private readonly thoughtSuffix: readonly Token[];
  /** Think-tag ids when the controller can drive the sequence itself (ChatML-think models); else null. */
  private readonly think: ThinkTokens | null;
  /** Thinking length of turns that closed their thought naturally: the expected length when there is no probe. */
  readonly thinkingAverage = new RunningAverage();
  /** A separate batched context for parallel drafts (short-m@k, PDR), made on first use. */
  private drafts: { context: LlamaContext; sequences: LlamaContextSequence[] } | null = null;
  private draftsPending: Promise<LlamaContextSequence[]> | null = null;

  constructor(private readonly opts: ChatRunnerOptions) {
    const suffix = opts.chatWrapper.settings.segments?.thought?.suffix;
    this.thoughtSuffix = suffix === undefined ? [] : LlamaText(suffix).tokenize(opts.model.tokenizer);
    this.think = thinkTokensOf(opts.model, opts.chatWrapper);
  }

  /** Whether controller strategies (early exit, parallel drafts) can run on this model. */
  get controllable(): boolean {
    return this.think !== null;
  }

  /** The model's template family, as classified at load. */
  get template(): TemplateClass | undefined {
    return this.opts.template;
  }

  /** The wrapper formatting prompts for this model. */
  get chatWrapper(): ChatWrapper {
    return this.opts.chatWrapper;
  }

  /** Turns between the start of generate and their end (probe and prefill included). */
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  /** Resolves once no turn runs on this runner (at once when none does). */
  whenIdle(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /** Whether a turn runs on this runner now. */
  get busy(): boolean {
    return this.active > 0;
  }

  /** The context's size, tokens per sequence. */
  get contextSize(): number {
    return this.opts.context.contextSize;
  }

  /**
   * Runs one turn, streaming its events; resolves when it ends or is aborted. CONTEXT_FULL, before anything is
   * decoded, when the formatted prompt (system prompt, history, question) leaves no room in the context.
   */
  async generate(t: TurnRequest): Promise<GenerateResult> {
    this.active++;
    try {
      this.checkFits(t.params);
      if (t.params.strategy === undefined) {
        if (t.answerNow) t.answerNow.plain = true;
        return await this.generatePlain(t.params, t.emit, t.signal);
      }
      return await this.generateControlled(t);
    } finally {
      this.active--;
      if (this.active === 0) for (const r of this.idleWaiters.splice(0)) r();
    }
  }

  /** The prompt must leave room for at least one generated token; else the turn is refused, nothing dropped silently. */
  private checkFits(p: GenerateParams): void {
    const size = this.opts.context.contextSize;
    const n = promptTokens({ model: this.opts.model, chatWrapper: this.opts.chatWrapper }, p, p.systemPrompt, p.question).length;
    if (n < size) return;
    throw new ReckonError('CONTEXT_FULL',
      `This conversation takes ${n.toLocaleString('en-US')} tokens and the model's context holds ${size.toLocaleString('en-US')}: ` +
      'start a new chat, shorten the question, or raise the context length in the model\'s settings.',
      { promptTokens: n, contextSize: size });
  }

  /**
   * A turn under the controller: difficulty (the probe's verdict, else the fallback: Normal with the
   * running average as expected length), plan (strategy x effort), then either plain generation with a
   * thinking budget (strategy 'long', or models without single-token think tags) or the controller's own
   * decoding (budget forcing, early exit, short-m@k, PDR). See docs/controller.md.
   */
  private async generateControlled({ params: p, emit, signal, probe, answerNow }: TurnRequest): Promise<GenerateResult> {
    const { requestId } = p;
    const settings = p.controller ?? defaultControllerSettings;
    const template = this.opts.template ?? { family: 'none', thinking: false };
    const control = effortControlFor(p.manifestEffort, template.family, template.thinking);
    const fallback = (): DifficultyInfo => fallbackDifficulty(this.thinkingAverage.count > 0 ? this.thinkingAverage : null, settings);
    const wantProbe = p.difficulty === undefined && probe !== undefined && p.strategy !== 'long';
    // The controller's path reads the probe from the turn's own prefill on the conversation's sequence.
    let entry: ChatEntry | null = null;
    let prefill: Prefill | null = null;
    let probed: { difficulty: DifficultyInfo; tokens: number[] } | null = null;
    // The probe file's per-model early-exit thresholds (the controller's path reads the file; the plan uses them).
    let probeFile: ProbeFile | null = null;
    try {
      if (wantProbe && this.think !== null) {
        let file: (ProbeFile & { features: ProbeFeatureSpec }) | null = null;
        try {
          file = await probe.file();
        } catch (err) {
          process.stderr.write(`[engine] probe skipped: ${ReckonError.from(err).message}\n`);
        }
        if (file !== null) {
          // The prompt depends on the plan (the effort level's line); the probe reads the one the fallback plan would
          // decode. When the real plan's prompt differs, the decoded tokens it does not keep are billed as probe.
          const guessPlan = makePlan({ difficulty: fallback(), effort: p.effort ?? 'auto', strategy: p.strategy ?? 'auto', settings, control });
          const guess = effortTurn({
            chatWrapper: this.opts.chatWrapper, control, level: guessPlan.effortLevel,
            systemPrompt: guessPlan.systemPrompt !== '' ? guessPlan.systemPrompt : p.systemPrompt, question: p.question,
          });
          entry = this.acquire(p.chatKey);
          prefill = await prefillFeatures(entry.chat.sequence, promptTokens({ model: this.opts.model, chatWrapper: this.opts.chatWrapper }, p, guess.systemPrompt, guess.question), file.features);
          try {
            const r = probe.verdict(file, prefill.features);
            probeFile = file;
            probed = { difficulty: { difficulty: r.difficulty, probabilities: r.probabilities, expectedThinkingTokens: r.expectedThinkingTokens, source: 'probe', probeTokens: 0 }, tokens: [] };
          } catch (err) {
            process.stderr.write(`[engine] probe skipped: ${ReckonError.from(err).message}\n`);
          }
        }
      } else if (wantProbe) {
        probed = await probe.separate();
      }
    } catch (err) {
      if (entry !== null) entry.busy = false;
      throw err;
    }
    let difficulty = p.difficulty ?? probed?.difficulty ?? fallback();
    let plan = makePlan({ difficulty, effort: p.effort ?? 'auto', strategy: p.strategy ?? 'auto', settings, control, fittedExit: probeFile?.earlyExit ?? null });
    // A caller's thinking cap (the API's thinking_budget_tokens) bounds whatever budget the plan set.
    if (p.thinkingBudget !== null) plan = { ...plan, thinkingBudget: Math.min(plan.thinkingBudget ?? p.thinkingBudget, p.thinkingBudget) };
    if (this.think === null && plan.strategy !== 'long') {
      // Without single-token think tags the controller cannot drive the sequence: LlamaChat with the budget only.
      plan = { ...plan, strategy: plan.thinkingBudget === null ? 'long' : 'budget', earlyExitThreshold: null, sampling: null, rounds: null, kappa: null };
    }
    // The level's prompt: the manifest's system line, gpt-oss's wrapper setting, Qwen3's switch (common/controller/effort.ts).
    const asked = effortTurn({
      chatWrapper: this.opts.chatWrapper, control, level: plan.effortLevel,
      systemPrompt: plan.systemPrompt !== '' ? plan.systemPrompt : p.systemPrompt, question: p.question,
    });
    const chatWrapper = asked.chatWrapper;
    // What the probe's prefill cost this turn: nothing when the path decodes from it; else what the path does not keep.
    let reuse: { cached: number; logits: Prefill['logits']; greedy: Prefill['greedy'] } | undefined;
    if (prefill !== null) {
      const single = plan.strategy !== 'short-m@k' && plan.strategy !== 'pdr' && plan.strategy !== 'long' && this.think !== null;
      const real = promptTokens({ model: this.opts.model, chatWrapper: this.opts.chatWrapper }, p, asked.systemPrompt, asked.question);
      // A subset prefill holds only the greedy first token: a sampled plan decodes the last prompt token again.
      const same = single && (prefill.logits !== null || plan.temperature <= 0) &&
        real.length === prefill.prompt.length && real.every((t, i) => t === prefill!.prompt[i]);
      let kept = 0;
      if (same) kept = prefill.decoded;
      else if (single) {
        let d = 0;
        while (d < real.length && d < prefill.prompt.length && real[d] === prefill.prompt[d]) d++;
        kept = Math.max(0, Math.min(d, real.length - 1) - prefill.cached);
      }
      reuse = single ? { cached: prefill.cached, logits: same ? prefill.logits : null, greedy: same ? prefill.greedy : null } : undefined;
      const wasted = prefill.prompt.slice(prefill.cached + kept);
      difficulty = { ...difficulty, probeTokens: wasted.length };
      probed = { difficulty, tokens: wasted.map(Number) };
    }
    emit({ type: 'difficulty', turnId: requestId, difficulty });
    emit({ type: 'plan', turnId: requestId, plan });
    const probeTokens = probed?.tokens ?? [];
    if (plan.strategy === 'long' || this.think === null) {
      if (entry !== null) entry.busy = false;
      if (answerNow) answerNow.plain = true;
      const plain = await this.generatePlain({
        ...p,
        thinkingBudget: plan.thinkingBudget,
        temperature: plan.strategy === 'long' ? p.temperature : plan.temperature,
        systemPrompt: asked.systemPrompt,
        question: asked.question,
      }, emit, signal, chatWrapper);
      if (plan.thinkingBudget === null && plain.stopReason === 'eos' && plain.ledger.thinking > 0) this.thinkingAverage.add(plain.ledger.thinking);
      const overhead = { ...plain.ledger.overhead, probe: difficulty.probeTokens };
      const ledger = makeLedger({ ...plain.ledger, overhead });
      return { ...plain, ledger, plan, difficulty, latencyTokens: ledger.sequential, hidden: withProbe(probeTokens, difficulty.probeTokens, plain.hidden) };
    }
    if (this.running.has(requestId)) {
      if (entry !== null) entry.busy = false;
      throw new ReckonError('BAD_REQUEST', `Request ${requestId} is already running.`);
    }
    const turnEntry = entry ?? this.acquire(p.chatKey);
    const controller = new AbortController();
    if (signal?.aborted) controller.abort(signal.reason);
    signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    this.running.set(requestId, controller);
    try {
      const r = await runControlled({
        target: {
          model: this.opts.model, chatWrapper, think: this.think,
          sequence: turnEntry.chat.sequence, draftSequences: (n) => this.draftSequences(n),
        },
        params: { ...p, question: asked.question }, plan, difficulty, emit, signal: controller.signal,
        systemPrompt: asked.systemPrompt, prefilled: reuse,
        answerNow: answerNow ? () => answerNow.requested : undefined,
      });
      if (!r.budgetForced && r.earlyExit?.fired !== true && r.stopReason === 'eos' && r.drafts === undefined) {
        this.thinkingAverage.add(r.ledger.thinking);
      }
      const { thinkingContent: _c, budgetForced: _b, ...result } = r;
      return { ...result, hidden: withProbe(probeTokens, difficulty.probeTokens, result.hidden) };
    } catch (err) {
      if (err instanceof ReckonError) throw err;
      throw new ReckonError('INTERNAL', `Generation failed: ${(err as Error)?.message ?? String(err)}`);
    } finally {
      this.running.delete(requestId);
      turnEntry.busy = false;
    }
  }

  /** n sequences of the draft context (recreated with more sequences when n grows). */
  private draftSequences(n: number): Promise<LlamaContextSequence[]> {
    const run = async (): Promise<LlamaContextSequence[]> => {
      if (this.drafts !== null && this.drafts.sequences.length >= n) return this.drafts.sequences.slice(0, n);
      if (this.drafts !== null) await this.disposeDrafts();
      const train = this.opts.model.trainContextSize > 0 ? this.opts.model.trainContextSize : 2048;
      const count = Math.max(n, 4);
      const context = await this.opts.model.createContext({ contextSize: Math.min(train, 2048), sequences: count, threads: this.opts.context.currentThreads });
      const sequences = Array.from({ length: count }, () => context.getSequence());
      this.drafts = { context, sequences };
      return sequences.slice(0, n);
    };
    const next = (this.draftsPending ?? Promise.resolve([])).then(run, run);
    this.draftsPending = next.catch(() => []);
    return next;
  }

  private async disposeDrafts(): Promise<void> {
    const d = this.drafts;
    this.drafts = null;
    if (d === null) return;
    for (const s of d.sequences) s.dispose();
    await d.context.dispose();
  }

  /** Plain generation through LlamaChat (no controller); `thinkingBudget` becomes `budgets.thoughtTokens`. */
  private async generatePlain(
    p: GenerateParams & { requestId: string },
    emit: (e: EngineTurnEvent) => void,
    signal?: AbortSignal,
    chatWrapper: ChatWrapper = this.opts.chatWrapper,
  ): Promise<GenerateResult> {
    if (this.running.has(p.requestId)) throw new ReckonError('BAD_REQUEST', `Request ${p.requestId} is already running.`);
    const history = toChatHistory(p);
    const promptLength = chatWrapper.generateContextState({ chatHistory: history })
      .contextText.tokenize(this.opts.model.tokenizer).length;
    const entry = this.acquire(p.chatKey, chatWrapper);
    const controller = new AbortController();
    if (signal?.aborted) controller.abort(signal.reason);
    signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    this.running.set(p.requestId, controller);
    const { requestId } = p;
    const sequence = entry.chat.sequence;
    const meterBefore = sequence.tokenMeter.getState();
    const tokensBefore = sequence.contextTokens.slice();

    let thinking = '';
    let answer = '';
    let thoughtTokens = 0;
    const thoughtIds: number[] = [];
    let thoughtStart: number | null = null;
    let thoughtEnd: number | null = null;
    const thoughtTrim = new DeltaTrimmer();
    const answerTrim = new DeltaTrimmer();
    const endThought = (at = Date.now()): void => {
      if (thoughtStart === null || thoughtEnd !== null) return;
      thoughtEnd = at;
      emit({ type: 'thought-end', turnId: requestId, ms: thoughtEnd - thoughtStart, tokens: thoughtTokens });
    };
    const onResponseChunk = (c: LlamaChatResponseChunk): void => {
      if (c.type === 'segment') {
        // Thought segments and any other hidden segment (gpt-oss comments) are reasoning, not answer.
        thoughtStart ??= c.segmentStartTime?.getTime() ?? Date.now();
        thoughtTokens += c.tokens.length;
        for (const t of c.tokens) thoughtIds.push(t);
        thinking += c.text;
        const d = thoughtTrim.push(c.text);
        if (d !== '') emit({ type: 'thought', turnId: requestId, text: d });
        if (c.segmentEndTime !== undefined) endThought(c.segmentEndTime.getTime());
        return;
      }
      if (c.text === '' && c.tokens.length === 0) return;
      endThought();
      answer += c.text;
      const d = answerTrim.push(c.text);
      if (d !== '') emit({ type: 'answer', turnId: requestId, text: d });
    };

    let stopReason: GenerateResult['stopReason'] = 'eos';
    try {
      const response = await entry.chat.generateResponse(history, {
        onResponseChunk,
        signal: controller.signal,
        stopOnAbortSignal: true,
        maxTokens: p.maxTokens,
        temperature: p.temperature,
        ...(p.topP !== undefined ? { topP: p.topP } : {}),
        ...(p.topK !== undefined ? { topK: p.topK } : {}),
        ...(p.minP !== undefined ? { minP: p.minP } : {}),
        // Only when the model's settings ask: absent keeps node-llama-cpp's own behaviour, as before.
        ...(p.repeatPenalty !== undefined ? { repeatPenalty: p.repeatPenalty === 1 ? false : { penalty: p.repeatPenalty } } : {}),
        ...(p.stop !== undefined && p.stop.length > 0 ? { customStopTriggers: p.stop } : {}),
        seed: p.seed,
        budgets: p.thinkingBudget === null ? undefined : { thoughtTokens: p.thinkingBudget },
      });
      const r = response.metadata.stopReason;
      stopReason = r === 'abort' || controller.signal.aborted ? 'aborted' : r === 'maxTokens' ? 'maxTokens' : 'eos';
    } catch (err) {
      // Aborted before the first token: LlamaChat throws instead of returning; what we have is the result.
      if (!controller.signal.aborted) throw new ReckonError('INTERNAL', `Generation failed: ${(err as Error)?.message ?? String(err)}`);
      stopReason = 'aborted';
    } finally {
      this.running.delete(requestId);
      entry.busy = false;
    }
    endThought();

    // Real counts from the engine: the sequence's own tokens before and after, the formatted prompt's
    // length, and the token meter's sampled count (see countTurnTokens).
    const used = sequence.tokenMeter.diff(meterBefore);
    const thoughtSeen = thoughtStart !== null;
    const injected = thoughtSeen && p.thinkingBudget !== null && thoughtTokens >= p.thinkingBudget ? this.thoughtSuffix.length : 0;
    const counts = countTurnTokens({
      before: tokensBefore,
      after: sequence.contextTokens,
      promptLength,
      sampled: used.usedOutputTokens,
      injected,
      thoughtSeen,
      thoughtSuffix: this.thoughtSuffix.length > 0 ? this.thoughtSuffix : null,
      thoughtStreamed: thoughtTokens,
    });
    const ledger = makeLedger(counts);
    // The receipt fingerprints exactly the tokens the ledger counts as thinking (docs/receipts.md).
    const generated = sequence.contextTokens.slice(Math.min(promptLength, sequence.contextTokens.length));
    const hiddenThinking = thinkingTokensOf(generated, ledger.thinking, thoughtIds);

    return {
      answer: answer.trim(),
      thinking: thinking.trim(),
      thinkingMs: thoughtStart !== null && thoughtEnd !== null ? thoughtEnd - thoughtStart : 0,
      hidden: hiddenThinking.length > 0 ? [{ kind: 'thinking', tokens: hiddenThinking }] : [],
      ledger,
      stopReason,
    };
  }

  /** Aborts a running request; false when it is not running (already finished or unknown). */
  abort(requestId: string): boolean {
    const c = this.running.get(requestId);
    if (c === undefined) return false;
    c.abort(new ReckonError('TURN_ABORTED', 'The generation was stopped.'));
    return true;
  }

  abortAll(): void {
    for (const id of [...this.running.keys()]) this.abort(id);
  }

  /** Drops every chat and frees their sequences. */
  dispose(): void {
    this.abortAll();
    for (const e of this.chats.values()) e.chat.dispose({ disposeSequence: true });
    this.chats.clear();
    void this.disposeDrafts();
  }

  /**
   * The conversation's chat, busy. A LlamaChat formats with one wrapper: a turn at another gpt-oss reasoning effort
   * gets a new LlamaChat on the same sequence (which still reuses the KV prefix up to where the prompts differ).
   */
  private acquire(chatKey: string, chatWrapper: ChatWrapper = this.opts.chatWrapper): ChatEntry {
    const existing = this.chats.get(chatKey);
    if (existing !== undefined) {
      if (existing.busy) throw new ReckonError('BUSY', 'Another turn is running in this conversation.', { chatKey });
      this.chats.delete(chatKey);
      this.chats.set(chatKey, existing);
      existing.busy = true;
      if (existing.chat.chatWrapper !== chatWrapper) {
        const sequence = existing.chat.sequence;
        existing.chat.dispose({ disposeSequence: false });
        existing.chat = new LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: true });
      }
      return existing;
    }
    if (this.opts.context.sequencesLeft === 0) {
      const victim = [...this.chats.entries()].find(([, e]) => !e.busy);
      if (victim === undefined) throw new ReckonError('BUSY', 'All engine sequences are busy; try again when a turn ends.');
      victim[1].chat.dispose({ disposeSequence: true });
      this.chats.delete(victim[0]);
    }
    const chat = new LlamaChat({
      contextSequence: this.opts.context.getSequence(),
      chatWrapper,
      autoDisposeSequence: true,
    });
    const entry: ChatEntry = { chat, busy: true };
    this.chats.set(chatKey, entry);
    return entry;
  }
}

/** Engine history -> node-llama-cpp chat history; prior assistant turns carry their answer only (no thinking). */
function toChatHistory(p: GenerateParams): ChatHistoryItem[] {
  const out: ChatHistoryItem[] = [];
  if (p.systemPrompt.trim() !== '') out.push({ type: 'system', text: p.systemPrompt });
  for (const h of p.history as readonly HistoryItem[]) {
    if (h.role === 'system') out.push({ type: 'system', text: h.text });
    else if (h.role === 'user') out.push({ type: 'user', text: h.text });
    else out.push({ type: 'model', response: [h.text] });
  }
  out.push({ type: 'user', text: p.question });
  out.push({ type: 'model', response: [] });
  return out;
}
