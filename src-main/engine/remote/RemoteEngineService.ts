import { cpus } from 'node:os';
import { basename } from 'node:path';
import { defaultControllerSettings } from '../../common/controller/defaults';
import { applyEffortPrompt, effortControlFor } from '../../common/controller/effort';
import { fallbackDifficulty, makePlan, RunningAverage } from '../../common/controller/plan';
import type { DifficultyInfo, Plan } from '../../common/controller/types';
import type { EngineEvent, EngineInitParams, EngineMethod, EngineMethods, GenerateParams, GenerateResult } from '../../common/engineProtocol';
import { ReckonError } from '../../common/errors';
import type { EngineTurnEvent } from '../../common/events';
import { makeLedger } from '../../common/ledger';
import { engineSchemas, safeParseJson } from '../../common/schemas';
import type { BackendInfo, EngineCapabilities } from '../../common/types';
import { DeltaTrimmer } from '../DeltaTrimmer';
import { timingsOf } from '../turnTimings';
import { describeLocalModel } from './describeLocalModel';
import { LlamaServerClient, type CompletionRequest, type ServerProps, type TemplateMessage } from './LlamaServerClient';

type Async<M> = { [K in keyof M]: M[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<R> : never };

/** What a llama-server engine can do today (docs/engines.md). */
export const llamaServerCapabilities: EngineCapabilities = {
  probe: false, budgetForcing: true, earlyExit: false, parallelDrafts: false, weights: false,
};

export interface RemoteEngineOptions {
  /** The llama-server's base URL. */
  url: string;
  /** Its --api-key; absent = none. */
  apiKey?: string;
}

/** The model's think tags as single token ids; null = the model has none (no thinking split, no budget). */
interface ThinkIds { open: number; close: number }

/** What the server runs, as read for this turn. */
interface ServerModel { props: ServerProps; think: ThinkIds | null; family: string }

/**
 * The engine protocol (EngineMethods) over a remote llama-server: the same `call(method, params)` shape as
 * EngineService, so the host's supervision and services stay unchanged. Turns format the prompt with the server's
 * own chat template (/apply-template), stream /completion with the server's token ids, split thinking on the think
 * tags' ids, and force budgets by ending the stream and continuing with `</think>` appended (the slot's prompt cache
 * makes the continuation cheap). What the server cannot do degrades the plan, said in Plan.degraded; methods that
 * need the weights fail with ENGINE_UNSUPPORTED.
 */
export class RemoteEngineService {
  readonly client: LlamaServerClient;
  readonly methods: Async<EngineMethods>;
  readonly #requests = new Map<string, AbortController>();
  readonly #answerNow = new Map<string, { requested: boolean }>();
  readonly #busyChats = new Set<string>();
  /** Thinking length of unbudgeted turns: the fallback plan's expected length, as the built-in engine keeps it. */
  readonly #thinkingAverage = new RunningAverage();
  #info: BackendInfo | null = null;

  constructor(o: RemoteEngineOptions, private readonly emit: (e: EngineEvent) => void) {
    this.client = new LlamaServerClient(o);
    const unsupported = (what: string) => async (): Promise<never> => {
      throw new ReckonError('ENGINE_UNSUPPORTED', `A remote llama-server engine cannot ${what}: it needs the model's weights in this process (docs/engines.md).`);
    };
    this.methods = {
      init: (p) => this.#init(p),
      inspect: (p) => describeLocalModel(p.path),
      load: async (p) => {
        await this.#serverModel(p.modelPath);
        return this.#info ?? this.#init({ backend: 'auto', threads: null, cachedThreads: null });
      },
      generate: (p) => this.#generate(p),
      abort: async (p) => {
        this.#requests.get(p.requestId)?.abort(new ReckonError('TURN_ABORTED', 'The generation was stopped.'));
      },
      answerNow: async (p) => {
        const a = this.#answerNow.get(p.requestId);
        if (a) a.requested = true;
        return { applied: a !== undefined };
      },
      calibrate: unsupported('calibrate a probe'),
      info: async () => this.#info,
      embeddingRows: unsupported('read embedding rows'),
      teacherForce: unsupported('teacher-force tokens for a replay audit'),
      crash: async () => {
        // Test hook, as in the built-in engine: die without cleanup so supervision is exercised.
        process.abort();
      },
    } satisfies Async<EngineMethods>;
  }

  /** Validates `params` for `method` (the same schemas as the built-in engine) and runs it. */
  async call(method: unknown, params: unknown): Promise<unknown> {
    if (typeof method !== 'string' || !Object.hasOwn(this.methods, method)) {
      throw new ReckonError('BAD_REQUEST', `Unknown engine method ${String(method)}.`);
    }
    const m = method as EngineMethod;
    const r = safeParseJson(engineSchemas[m], params ?? undefined);
    if (!r.ok) throw new ReckonError('BAD_REQUEST', `Bad parameters for ${m}: ${r.message}.`, { method: m });
    let p = r.value;
    if (m === 'generate') p = { ...(p as GenerateParams), thinkingBudget: (p as GenerateParams).thinkingBudget ?? null };
    return (this.methods[m] as (p: unknown) => Promise<unknown>)(p);
  }

  async #init(p: EngineInitParams): Promise<BackendInfo> {
    await this.client.health();
    const props = await this.client.props();
    this.#info = {
      requested: p.backend,
      // The server's own backend is not visible over HTTP; `remote` says where the model runs.
      active: 'cpu',
      buildType: 'llama-server',
      deviceNames: [],
      vram: null,
      threads: 0,
      threadsSource: 'settings',
      cpuCores: cpus().length,
      remote: { kind: 'llama-server', url: this.client.url, model: basename(props.modelPath), slots: props.totalSlots, build: props.build },
      capabilities: llamaServerCapabilities,
    };
    return this.#info;
  }

  /** The server's model, checked against the file the turn asked for (by file name: the server may be elsewhere). */
  async #serverModel(modelPath: string, signal?: AbortSignal): Promise<ServerModel> {
    const props = await this.client.props(signal);
    const served = basename(props.modelPath);
    const wanted = basename(modelPath);
    if (served !== wanted) {
      throw new ReckonError('ENGINE_MODEL_MISMATCH',
        `The llama-server at ${this.client.url} runs ${served}, not ${wanted}: start it with that model (-m) or choose ${served}.`,
        { url: this.client.url, served, wanted });
    }
    const [open, close] = await Promise.all([
      this.client.tokenize('<think>', { addSpecial: false, parseSpecial: true }, signal),
      this.client.tokenize('</think>', { addSpecial: false, parseSpecial: true }, signal),
    ]);
    const think = open.length === 1 && close.length === 1 && props.chatTemplate !== '' ? { open: open[0]!, close: close[0]! } : null;
    const family = props.chatTemplate.includes('<|im_start|>') ? (think !== null ? 'chatml-think' : 'chatml') : props.chatTemplate === '' ? 'none' : 'template';
    return { props, think, family };
  }

  async #generate(p: GenerateParams & { requestId: string }): Promise<GenerateResult> {
    const { requestId: turnId } = p;
    if (this.#requests.has(turnId)) throw new ReckonError('BAD_REQUEST', `Request ${turnId} is already running.`);
    if (this.#busyChats.has(p.chatKey)) throw new ReckonError('BUSY', 'Another turn is running in this conversation.', { chatKey: p.chatKey });
    const controller = new AbortController();
    const answerNow = { requested: false };
    this.#requests.set(turnId, controller);
    this.#answerNow.set(turnId, answerNow);
    this.#busyChats.add(p.chatKey);
    const signal = controller.signal;
    try {
      const asked = Date.now();
      const model = await this.#serverModel(p.modelPath, signal);
      const slots = await this.client.busySlots(signal);
      if (slots !== null && slots.total > 0 && slots.busy >= slots.total) {
        throw new ReckonError('ENGINE_SLOTS_BUSY',
          `All ${slots.total} slots of the llama-server at ${this.client.url} are busy with other requests; try again when one ends.`, { url: this.client.url, slots: slots.total });
      }
      const { plan, difficulty, systemPrompt, question } = this.#plan(p, model);
      this.emit({ type: 'difficulty', turnId, difficulty });
      this.emit({ type: 'plan', turnId, plan });
      const messages: TemplateMessage[] = [];
      if (systemPrompt.trim() !== '') messages.push({ role: 'system', content: systemPrompt });
      for (const h of p.history) messages.push({ role: h.role, content: h.text });
      messages.push({ role: 'user', content: question });
      const promptText = await this.client.applyTemplate(messages, signal);
      const prompt = await this.client.tokenize(promptText, { addSpecial: true, parseSpecial: true }, signal);
      const started = Date.now();
      let first: number | null = null;
      const emit = (e: EngineTurnEvent): void => {
        if (first === null && (e.type === 'thought' || e.type === 'answer')) first = Date.now();
        this.emit(e);
      };
      const r = await this.#decode({ p, plan, difficulty, prompt, think: model.think, signal, answerNow, emit });
      if (plan.thinkingBudget === null && r.stopReason === 'eos' && r.ledger.thinking > 0) this.#thinkingAverage.add(r.ledger.thinking);
      const result: GenerateResult = { ...r, timings: timingsOf(r, asked, started, first, Date.now()) };
      this.emit({ type: 'ledger', turnId, ledger: result.ledger });
      if (p.receipt != null) result.fingerprintError = 'A remote llama-server does not expose the model\'s embedding table, so the hidden tokens cannot be fingerprinted here.';
      return result;
    } catch (err) {
      // Stopped before anything streamed (while formatting the prompt): the same error the built-in engine gives.
      if (signal.aborted) throw ReckonError.from(signal.reason);
      throw ReckonError.from(err);
    } finally {
      this.#requests.delete(turnId);
      this.#answerNow.delete(turnId);
      this.#busyChats.delete(p.chatKey);
    }
  }

  /** Difficulty and plan as the built-in engine makes them, degraded where the server cannot follow. */
  #plan(p: GenerateParams, model: ServerModel): { plan: Plan; difficulty: DifficultyInfo; systemPrompt: string; question: string } {
    const settings = p.controller ?? defaultControllerSettings;
    const control = effortControlFor(p.manifestEffort, model.family, model.think !== null);
    const degraded: string[] = [];
    const wantProbe = p.difficulty === undefined && p.probePath != null && p.strategy !== 'long' && p.strategy !== undefined;
    if (wantProbe) degraded.push('No probe: a remote llama-server does not hand out the prompt features the probe reads, so the turn used the fallback difficulty.');
    const difficulty = p.difficulty ?? fallbackDifficulty(this.#thinkingAverage.count > 0 ? this.#thinkingAverage : null, settings);
    let plan = makePlan({ difficulty, effort: p.effort ?? 'auto', strategy: p.strategy ?? 'long', settings, control });
    if (p.thinkingBudget !== null) plan = { ...plan, thinkingBudget: Math.min(plan.thinkingBudget ?? p.thinkingBudget, p.thinkingBudget) };
    if (plan.strategy === 'early-exit') {
      degraded.push('Early exit ran as budget forcing: its trials roll the cache back, which llama-server does not offer over HTTP.');
      plan = { ...plan, strategy: 'budget', earlyExitThreshold: null };
    } else if (plan.strategy === 'short-m@k' || plan.strategy === 'pdr') {
      degraded.push(`${plan.strategy} ran as one budget-forced path: drafts on the server's parallel slots are not built yet.`);
      plan = { ...plan, strategy: 'budget', earlyExitThreshold: null, sampling: null, rounds: null, kappa: null };
    }
    if (model.think === null && plan.strategy !== 'long') {
      degraded.push('The model has no single-token think tags on this server: no thinking budget could be applied.');
      plan = { ...plan, strategy: 'long', thinkingBudget: null };
    }
    const effort = applyEffortPrompt(control, plan.effortLevel, {
      systemPrompt: plan.systemPrompt !== '' ? plan.systemPrompt : p.systemPrompt, question: p.question,
    });
    if (effort.reasoningEffort !== null) degraded.push(`The ${effort.reasoningEffort} reasoning effort was not applied: the server formats the prompt with its own template.`);
    if (degraded.length > 0) plan = { ...plan, degraded };
    return { plan, difficulty, systemPrompt: effort.systemPrompt, question: effort.question };
  }

  /**
   * Streams the turn: thinking from `<think>` to `</think>` (tags counted, as the built-in engine counts them), the
   * answer after it. At the budget (or on "Answer now") the next thinking token is dropped, the stream ended and a
   * new completion continues from the prompt + what was accepted + `</think>` on the same slot.
   */
  async #decode(o: {
    p: GenerateParams & { requestId: string }; plan: Plan; difficulty: DifficultyInfo; prompt: number[]; think: ThinkIds | null;
    signal: AbortSignal; answerNow: { requested: boolean }; emit: (e: EngineTurnEvent) => void;
  }): Promise<GenerateResult> {
    const { p, plan, think, signal, emit } = o;
    const turnId = p.requestId;
    const long = plan.strategy === 'long';
    const budget = plan.thinkingBudget;
    const temperature = long ? p.temperature : plan.temperature;
    const base: Omit<CompletionRequest, 'prompt' | 'n_predict' | 'id_slot'> = {
      temperature,
      // The built-in engine's defaults: top-k 40 when sampling, no nucleus or min-p cut, no repeat penalty.
      top_k: temperature > 0 ? (p.topK ?? 40) : 1,
      top_p: p.topP ?? 1,
      min_p: p.minP ?? 0,
      repeat_penalty: long && p.repeatPenalty !== undefined ? p.repeatPenalty : 1,
      ...(p.seed !== undefined ? { seed: p.seed } : {}),
      ...(long && p.stop !== undefined && p.stop.length > 0 ? { stop: p.stop } : {}),
    };
    const accepted: number[] = [];
    const thoughtIds: number[] = [];
    let phase: 'start' | 'thinking' | 'answer' = think === null ? 'answer' : 'start';
    let thinking = 0;
    let content = 0;
    let visible = 0;
    let thinkingText = '';
    let answerText = '';
    let thoughtStart = 0;
    let thinkingMs = 0;
    let stopReason: GenerateResult['stopReason'] = 'eos';
    let slot = -1;
    let cached = 0;
    let promptLength = o.prompt.length;
    let firstRequest = true;
    const thoughtTrim = new DeltaTrimmer();
    const answerTrim = new DeltaTrimmer();
    // The answer's last piece waits for the next token: an end-of-generation token's piece is never shown.
    let heldAnswer = '';
    const endThinking = (): void => {
      thinkingMs = Date.now() - thoughtStart;
      emit({ type: 'thought-end', turnId, ms: thinkingMs, tokens: thinking });
    };
    const addThought = (id: number, text: string): void => {
      thinking++;
      thoughtIds.push(id);
      thinkingText += text;
      const d = thoughtTrim.push(text);
      if (d !== '') emit({ type: 'thought', turnId, text: d });
    };
    const flushAnswer = (): void => {
      if (heldAnswer === '') return;
      answerText += heldAnswer;
      const d = answerTrim.push(heldAnswer);
      heldAnswer = '';
      if (d !== '') emit({ type: 'answer', turnId, text: d });
    };

    turn: for (;;) {
      const step = new AbortController();
      const onAbort = (): void => step.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let close = false;
      let ended = false;
      try {
        const stream = this.client.completion({ ...base, prompt: [...o.prompt, ...accepted], n_predict: p.maxTokens - accepted.length, id_slot: slot }, step.signal);
        for await (const c of stream) {
          if (c.idSlot >= 0) slot = c.idSlot;
          if (c.stop) {
            if (firstRequest) {
              promptLength = c.promptTokens ?? promptLength;
              cached = Math.min(c.cachedTokens ?? 0, promptLength);
            }
            // The end-of-generation token is neither shown (a server started with --special renders it) nor
            // counted: the built-in engine never receives it from llama.cpp's evaluation either.
            if (c.stopType === 'eos') {
              heldAnswer = '';
              if (phase === 'answer' && visible > 0) visible--;
              else if (phase === 'thinking' && content > 0) { content--; thinking--; thoughtIds.pop(); }
            }
            flushAnswer();
            if (c.stopType === 'limit') stopReason = 'maxTokens';
            ended = true;
            break;
          }
          for (const id of c.tokens) {
            const text = think !== null && (id === think.open || id === think.close) ? '' : c.content;
            if (phase === 'start') {
              if (think !== null && id === think.open) {
                phase = 'thinking';
                thoughtStart = Date.now();
                accepted.push(id);
                addThought(id, '');
                if (budget !== null && budget <= 0) { close = true; break; }
                continue;
              }
              phase = 'answer';
            }
            if (phase === 'thinking') {
              if (id === think!.close) {
                accepted.push(id);
                addThought(id, '');
                phase = 'answer';
                endThinking();
              } else if ((budget !== null && content >= budget) || o.answerNow.requested) {
                // Replaced by `</think>`: this token is never kept (as the built-in engine's budget forcing).
                if (budget === null || content < budget) emit({ type: 'answer-now', turnId, atThinkingTokens: content });
                close = true;
                break;
              } else {
                content++;
                accepted.push(id);
                addThought(id, text);
              }
            } else {
              flushAnswer();
              accepted.push(id);
              visible++;
              heldAnswer = text;
            }
          }
          if (close) break;
        }
      } catch (err) {
        if (signal.aborted) {
          stopReason = 'aborted';
          break;
        }
        throw err;
      } finally {
        signal.removeEventListener('abort', onAbort);
        // Ends this request's stream (the server cancels its task when the connection closes).
        if (!ended) step.abort(new ReckonError('TURN_ABORTED', 'The budget closed the thought.'));
      }
      firstRequest = false;
      if (!close) break;
      accepted.push(think!.close);
      addThought(think!.close, '');
      phase = 'answer';
      endThinking();
      if (accepted.length >= p.maxTokens) { stopReason = 'maxTokens'; break turn; }
    }
    if (phase === 'thinking' && thinkingMs === 0) endThinking();
    if (stopReason === 'aborted') flushAnswer();
    const ledger = makeLedger({ cached, prompt: promptLength - cached, thinking, visible, overhead: { probe: o.difficulty.probeTokens } });
    return {
      answer: answerText.trim(),
      thinking: thinkingText.trim(),
      thinkingMs,
      hidden: thoughtIds.length > 0 ? [{ kind: 'thinking', tokens: thoughtIds }] : [],
      ledger,
      stopReason,
      plan,
      difficulty: o.difficulty,
      latencyTokens: ledger.sequential,
    };
  }

  async dispose(): Promise<void> {
    for (const c of this.#requests.values()) c.abort(new ReckonError('TURN_ABORTED', 'The engine is closing.'));
  }
}
