import { cpus } from 'node:os';
import { basename } from 'node:path';
import { defaultControllerSettings } from '../../common/controller/defaults';
import { applyEffortPrompt, effortControlFor } from '../../common/controller/effort';
import { fallbackDifficulty, makePlan, RunningAverage } from '../../common/controller/plan';
import { draftRound } from '../../common/controller/draftRound';
import type { DifficultyInfo, DraftRecord, Plan } from '../../common/controller/types';
import { workspaceLines } from '../../common/controller/vote';
import type { EngineEvent, EngineInitParams, EngineMethod, EngineMethods, GenerateParams, GenerateResult } from '../../common/engineProtocol';
import { ReckonError } from '../../common/errors';
import { fingerprintSegments, makeEmbeddingSpec, toBase64, type EmbeddingTable, type ReceiptRemote } from '../../common/receipts';
import type { EngineTurnEvent } from '../../common/events';
import { makeLedger } from '../../common/ledger';
import { engineSchemas, safeParseJson } from '../../common/schemas';
import type { BackendInfo, EngineCapabilities } from '../../common/types';
import { DeltaTrimmer } from '../DeltaTrimmer';
import { draftEvents } from '../controller/draftEvents';
import { timingsOf } from '../turnTimings';
import { describeLocalModel } from './describeLocalModel';
import { HiddenLog } from '../receipts/hiddenTokens';
import { LlamaServerClient, type ServerProps, type TemplateMessage } from './LlamaServerClient';
import { remotePath, type RemotePathOutcome, type RemoteSampling, type RemoteThink } from './remotePath';

type Async<M> = { [K in keyof M]: M[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<R> : never };

/** What a llama-server engine can do today (docs/engines.md). */
export const llamaServerCapabilities: EngineCapabilities = {
  probe: false, budgetForcing: true, earlyExit: true, parallelDrafts: true, weights: false,
};

export interface RemoteEngineOptions {
  /** The llama-server's base URL. */
  url: string;
  /** Its --api-key; absent = none. */
  apiKey?: string;
}

/** What the server runs, as read for this turn; think = null: no single-token think tags (no thinking split, no budget). */
/** `key`: the served model's identity (file, build, template); what is read once per model is cached under it. */
interface ServerModel { props: ServerProps; think: RemoteThink | null; family: string; key: string }

/** A turn's plan, and the system prompt and question its effort level made. */
interface Planned { plan: Plan; difficulty: DifficultyInfo; systemPrompt: string; question: string }

/** What a turn's decoding needs, after the plan. */
interface DecodeInput {
  p: GenerateParams & { requestId: string };
  plan: Plan;
  difficulty: DifficultyInfo;
  /** The formatted prompt's ids. */
  prompt: number[];
  /** The question as the prompt carries it (with the effort level's line). */
  question: string;
  think: RemoteThink | null;
  signal: AbortSignal;
  answerNow: { requested: boolean };
  emit: (e: EngineTurnEvent) => void;
}

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
  /** Think-tag ids and template family per served model (#serverModel). */
  readonly #tags = new Map<string, Omit<ServerModel, 'props' | 'key'>>();
  /** The model the last turn found on the server (a turn formats its prompt for it while checking again). */
  #lastModel: ServerModel | null = null;
  /** /v1/models' figures for receipts, per served model: one request per model, not one per turn. */
  readonly #meta = new Map<string, Awaited<ReturnType<LlamaServerClient['modelMeta']>>>();

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
      // Drafts need parallel slots (-np): one slot runs them as one path (the plan says so).
      capabilities: { ...llamaServerCapabilities, parallelDrafts: props.totalSlots > 1 },
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
    // The tags' ids depend on the served model only: read once per model and template, not per turn.
    const key = `${props.modelPath}\u0000${props.build ?? ''}\u0000${props.chatTemplate}`;
    const known = this.#tags.get(key);
    if (known !== undefined) return { props, key, ...known };
    const [open, close, nl] = await Promise.all([
      this.client.tokenize('<think>', { addSpecial: false, parseSpecial: true }, signal),
      this.client.tokenize('</think>', { addSpecial: false, parseSpecial: true }, signal),
      this.client.tokenize('\n', { addSpecial: false, parseSpecial: false }, signal),
    ]);
    const think = open.length === 1 && close.length === 1 && props.chatTemplate !== ''
      ? { open: open[0]!, close: close[0]!, afterClose: nl.length === 1 ? nl : [] } : null;
    const family = props.chatTemplate.includes('<|im_start|>') ? (think !== null ? 'chatml-think' : 'chatml') : props.chatTemplate === '' ? 'none' : 'template';
    this.#tags.set(key, { think, family });
    return { props, think, family, key };
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
      // The prompt is formatted (two round trips) while the server's model and slots are checked (two more), on the
      // model the last turn found: used when the check finds the same one, else formatted again for the one it found.
      const last = this.#lastModel;
      const early = last !== null && basename(last.props.modelPath) === basename(p.modelPath) ? this.#prepare(p, last, signal) : null;
      early?.catch(() => undefined);
      const [model, slots] = await Promise.all([this.#serverModel(p.modelPath, signal), this.client.busySlots(signal)]);
      this.#lastModel = model;
      if (slots !== null && slots.total > 0 && slots.busy >= slots.total) {
        throw new ReckonError('ENGINE_SLOTS_BUSY',
          `All ${slots.total} slots of the llama-server at ${this.client.url} are busy with other requests; try again when one ends.`, { url: this.client.url, slots: slots.total });
      }
      const same = early !== null && last!.key === model.key && last!.props.totalSlots === model.props.totalSlots;
      const { plan, difficulty, question, messagesFor, prompt } = same ? await early : await this.#prepare(p, model, signal);
      this.emit({ type: 'difficulty', turnId, difficulty });
      this.emit({ type: 'plan', turnId, plan });
      const started = Date.now();
      let first: number | null = null;
      const emit = (e: EngineTurnEvent): void => {
        if (first === null && (e.type === 'thought' || e.type === 'answer')) first = Date.now();
        this.emit(e);
      };
      const input: DecodeInput = { p, plan, difficulty, prompt, think: model.think, signal, answerNow, emit, question };
      const r = plan.strategy === 'short-m@k' || plan.strategy === 'pdr'
        ? await this.#drafts({ ...input, messages: messagesFor })
        : await this.#single(input);
      if (plan.thinkingBudget === null && r.stopReason === 'eos' && r.ledger.thinking > 0) this.#thinkingAverage.add(r.ledger.thinking);
      const result: GenerateResult = { ...r, timings: timingsOf(r, asked, started, first, Date.now()) };
      this.emit({ type: 'ledger', turnId, ledger: result.ledger });
      if (p.receipt != null) Object.assign(result, await this.#receiptLeaves(p.receipt.modelSha256, model, result, signal));
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

  /**
   * Header-only fingerprints of a turn's hidden tokens (embeddingSpec.dims 0: ids, kinds, positions, no embeddings,
   * which the server does not hand out) and the server's identity for the receipt. Never throws: a turn never fails
   * for its receipt.
   */
  async #receiptLeaves(modelSha256: string, model: ServerModel, r: GenerateResult, signal: AbortSignal): Promise<Pick<GenerateResult, 'fingerprints' | 'fingerprintError' | 'remote'>> {
    try {
      let meta = this.#meta.get(model.key);
      if (meta === undefined) this.#meta.set(model.key, meta = await this.client.modelMeta(signal));
      const remote: ReceiptRemote = { kind: 'llama-server', model: basename(model.props.modelPath), build: model.props.build, ...meta };
      const vocabSize = meta.vocabSize ?? 0x7fffffff;
      const spec = makeEmbeddingSpec({ modelSha256, dims: 0, vocabSize });
      const empty = new Float32Array(0);
      const table: EmbeddingTable = {
        dims: 0, vocabSize,
        row: (id) => {
          if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new RangeError(`token id ${id} outside the server's vocabulary`);
          return empty;
        },
      };
      const fp = fingerprintSegments(spec, r.hidden ?? [], table);
      return {
        remote,
        fingerprints: { spec, leaves: toBase64(fp.leaves), sketches: toBase64(fp.sketches), blockCount: fp.blocks.length, counts: fp.counts },
      };
    } catch (err) {
      return { fingerprintError: err instanceof RangeError ? err.message : ReckonError.from(err).message };
    }
  }

  /** A turn's plan and its prompt under the server's template: the messages it is made of and their ids. */
  async #prepare(p: GenerateParams, model: ServerModel, signal: AbortSignal): Promise<Planned & { messagesFor: (q: string) => TemplateMessage[]; prompt: number[] }> {
    const planned = this.#plan(p, model);
    const messagesFor = (q: string): TemplateMessage[] => {
      const messages: TemplateMessage[] = [];
      if (planned.systemPrompt.trim() !== '') messages.push({ role: 'system', content: planned.systemPrompt });
      for (const h of p.history) messages.push({ role: h.role, content: h.text });
      messages.push({ role: 'user', content: q });
      return messages;
    };
    const promptText = await this.client.applyTemplate(messagesFor(planned.question), signal);
    const prompt = await this.client.tokenize(promptText, { addSpecial: true, parseSpecial: true }, signal);
    return { ...planned, messagesFor, prompt };
  }

  /** Difficulty and plan as the built-in engine makes them, degraded where the server cannot follow. */
  #plan(p: GenerateParams, model: ServerModel): Planned {
    const settings = p.controller ?? defaultControllerSettings;
    const control = effortControlFor(p.manifestEffort, model.family, model.think !== null);
    const degraded: string[] = [];
    const wantProbe = p.difficulty === undefined && p.probePath != null && p.strategy !== 'long' && p.strategy !== undefined;
    if (wantProbe) degraded.push('No probe: a remote llama-server does not hand out the prompt features the probe reads, so the turn used the fallback difficulty.');
    const difficulty = p.difficulty ?? fallbackDifficulty(this.#thinkingAverage.count > 0 ? this.#thinkingAverage : null, settings);
    let plan = makePlan({ difficulty, effort: p.effort ?? 'auto', strategy: p.strategy ?? 'long', settings, control });
    if (p.thinkingBudget !== null) plan = { ...plan, thinkingBudget: Math.min(plan.thinkingBudget ?? p.thinkingBudget, p.thinkingBudget) };
    const slots = model.props.totalSlots;
    if ((plan.strategy === 'short-m@k' || plan.strategy === 'pdr') && slots < 2) {
      degraded.push(`${plan.strategy} ran as one budget-forced path: the llama-server has one slot (start it with -np 4 for parallel drafts).`);
      plan = { ...plan, strategy: 'budget', earlyExitThreshold: null, sampling: null, rounds: null, kappa: null };
    } else if (plan.strategy === 'short-m@k' && plan.sampling!.k > slots) {
      const k = slots;
      const m = Math.min(plan.sampling!.m, k);
      degraded.push(`short-m@k ran ${m} of ${k} drafts, not ${plan.sampling!.m} of ${plan.sampling!.k}: the llama-server has ${slots} slots (-np).`);
      plan = { ...plan, sampling: { k, m } };
    } else if (plan.strategy === 'pdr' && plan.rounds!.some((n) => n > slots)) {
      degraded.push(`PDR ran at most ${slots} drafts a round: the llama-server has ${slots} slots (-np).`);
      plan = { ...plan, rounds: plan.rounds!.map((n) => Math.min(n, slots)) };
    }
    if (plan.strategy === 'pdr' && (p.pdrWorkspace ?? 'summary') === 'summary' && plan.rounds!.length > 1) {
      degraded.push('PDR distilled each round into the ranked candidate answers, not a summary the model writes: that step is not built for a remote llama-server.');
    }
    if (model.think === null && plan.strategy !== 'long') {
      degraded.push('The model has no single-token think tags on this server: no thinking budget could be applied.');
      plan = { ...plan, strategy: 'long', thinkingBudget: null, earlyExitThreshold: null, sampling: null, rounds: null, kappa: null };
    }
    const effort = applyEffortPrompt(control, plan.effortLevel, {
      systemPrompt: plan.systemPrompt !== '' ? plan.systemPrompt : p.systemPrompt, question: p.question,
    });
    if (effort.reasoningEffort !== null) degraded.push(`The ${effort.reasoningEffort} reasoning effort was not applied: the server formats the prompt with its own template.`);
    if (degraded.length > 0) plan = { ...plan, degraded };
    return { plan, difficulty, systemPrompt: effort.systemPrompt, question: effort.question };
  }

  /** The sampling fields of a path's requests: the built-in engine's defaults and the turn's own. */
  #sampling(p: GenerateParams, temperature: number, long: boolean, seed: number | undefined): RemoteSampling {
    return {
      temperature,
      // The built-in engine's defaults: top-k 40 when sampling, no nucleus or min-p cut, no repeat penalty.
      top_k: temperature > 0 ? (p.topK ?? 40) : 1,
      top_p: p.topP ?? 1,
      min_p: p.minP ?? 0,
      repeat_penalty: long && p.repeatPenalty !== undefined ? p.repeatPenalty : 1,
      ...(seed !== undefined ? { seed } : {}),
      ...(long && p.stop !== undefined && p.stop.length > 0 ? { stop: p.stop } : {}),
    };
  }

  /**
   * A single-path turn (long, budget forcing, early exit) on one slot: remotePath, its text trimmed into events,
   * the ledger from the server's counts (rejected trials billed as overhead 'trial').
   */
  async #single(o: DecodeInput): Promise<GenerateResult> {
    const { p, plan, signal, emit } = o;
    const turnId = p.requestId;
    const long = plan.strategy === 'long';
    const thoughtTrim = new DeltaTrimmer();
    const answerTrim = new DeltaTrimmer();
    const r = await remotePath({
      client: this.client, prompt: o.prompt, think: o.think,
      sampling: this.#sampling(p, long ? p.temperature : plan.temperature, long, p.seed),
      maxTokens: p.maxTokens, budget: plan.thinkingBudget,
      earlyExit: plan.earlyExitThreshold === null || o.think === null ? null
        : { threshold: plan.earlyExitThreshold, trialTokens: plan.trialTokens, start: plan.earlyExitStart, at: plan.earlyExitAt ?? 'step' },
      signal,
      answerNow: () => o.answerNow.requested,
      onAnswerNow: (at) => emit({ type: 'answer-now', turnId, atThinkingTokens: at }),
      onThought: (x) => { const d = thoughtTrim.push(x); if (d !== '') emit({ type: 'thought', turnId, text: d }); },
      onAnswer: (x) => { const d = answerTrim.push(x); if (d !== '') emit({ type: 'answer', turnId, text: d }); },
      onThoughtEnd: (ms, tokens) => emit({ type: 'thought-end', turnId, ms, tokens }),
      onEarlyExit: (e) => emit({ type: 'early-exit', turnId, ...e }),
    });
    const ledger = makeLedger({ cached: r.cached, prompt: r.prompt, thinking: r.thinking, visible: r.visible, overhead: { probe: o.difficulty.probeTokens, trial: r.trial } });
    return {
      answer: r.answerText, thinking: r.thinkingText, thinkingMs: r.thinkingMs, hidden: r.hidden, ledger,
      stopReason: r.stopReason === 'stopped' ? 'aborted' : r.stopReason,
      plan, difficulty: o.difficulty, ...(r.earlyExit !== null ? { earlyExit: r.earlyExit } : {}),
      latencyTokens: ledger.sequential + r.trial,
    };
  }

  /**
   * short-m@k and PDR on the server's parallel slots: each draft is a concurrent /completion (the server batches
   * its slots into one decode), voted and counted by the built-in engine's rules (common/controller/draftRound.ts).
   * PDR's next round carries the ranked candidate answers as its workspace.
   */
  async #drafts(o: DecodeInput & { messages: (question: string) => TemplateMessage[] }): Promise<GenerateResult> {
    const { p, plan, signal, emit } = o;
    const turnId = p.requestId;
    const baseSeed = p.seed ?? Math.floor(Math.random() * 2 ** 31);
    const rounds = plan.strategy === 'short-m@k' ? [plan.sampling!.k] : plan.rounds!;
    const records: DraftRecord[] = [];
    const counts = { cached: 0, prompt: 0, thinking: 0, visible: 0, overhead: { probe: o.difficulty.probeTokens, trial: 0, draft: 0, distill: 0 } };
    const hidden = new HiddenLog();
    let workspace = '';
    let latency = 0;
    let winner: { path: RemotePathOutcome; distillPart: number } | null = null;
    let aborted = false;
    const draftCallbacks = draftEvents(emit, turnId);
    for (let r = 0; r < rounds.length && !aborted; r++) {
      const n = rounds[r]!;
      const m = plan.strategy === 'short-m@k' ? plan.sampling!.m : n;
      const prompt = r === 0 ? o.prompt
        : await this.client.tokenize(await this.client.applyTemplate(o.messages(o.question + workspace), signal), { addSpecial: true, parseSpecial: true }, signal);
      const workspaceIds = workspace === '' ? [] : await this.client.tokenize(workspace, { addSpecial: false, parseSpecial: false }, signal);
      const finishOrder: number[] = [];
      const outcomes = await Promise.all(Array.from({ length: n }, (_, index) => {
        return remotePath({
          client: this.client, prompt, think: o.think,
          sampling: this.#sampling(p, plan.temperature, false, baseSeed + 1000 * r + index),
          maxTokens: p.maxTokens, budget: plan.thinkingBudget, earlyExit: null, answerConfidence: true, signal,
          shouldStop: () => finishOrder.length >= m,
          answerNow: () => o.answerNow.requested,
          ...draftCallbacks(r, index),
        }).then((path) => {
          if (path.stopReason === 'eos') finishOrder.push(index);
          return path;
        });
      }));
      if (outcomes.some((x) => x.stopReason === 'aborted')) aborted = true;
      const last = r === rounds.length - 1 || aborted;
      latency += Math.max(...outcomes.map((x) => x.prompt + x.thinking + x.visible));
      const round = draftRound({ round: r, outcomes, finishOrder, m, last, prompt, workspaceTokens: workspaceIds.length, workspaceIds });
      for (const rec of round.records) {
        records.push(rec);
        emit({ type: 'draft-end', turnId, round: r, index: rec.index, answer: rec.answer, tokens: rec.tokens, finished: rec.finished, confidence: rec.confidence });
      }
      counts.overhead.distill += round.overhead.distill;
      counts.overhead.draft += round.overhead.draft;
      for (const seg of round.hidden) hidden.add(seg.kind, ...seg.tokens);
      if (round.winner !== null) winner = { path: round.winner.path, distillPart: round.winner.distillPart };
      if (!last) {
        // The candidates' lines, longest first; the server's tokenizer measures them (kappa bounds the workspace).
        const kappa = plan.kappa ?? 64;
        workspace = '';
        for (const line of workspaceLines(round.candidates)) {
          if ((await this.client.tokenize(line, { addSpecial: false, parseSpecial: false }, signal)).length <= kappa) { workspace = line; break; }
        }
        const tokens = workspace === '' ? 0 : (await this.client.tokenize(workspace, { addSpecial: false, parseSpecial: false }, signal)).length;
        emit({ type: 'workspace', turnId, round: r, text: workspace.trim(), tokens });
      }
    }
    const w = winner as { path: RemotePathOutcome; distillPart: number } | null;
    if (w === null) throw new ReckonError('TURN_ABORTED', 'The turn was stopped before any draft ran.');
    counts.cached = w.path.cached;
    counts.prompt = w.path.prompt - w.distillPart;
    counts.thinking = w.path.thinking;
    counts.visible = w.path.visible;
    if (w.path.thinkingText !== '') emit({ type: 'thought', turnId, text: w.path.thinkingText });
    emit({ type: 'thought-end', turnId, ms: w.path.thinkingMs, tokens: w.path.thinking });
    if (w.path.answerText !== '') emit({ type: 'answer', turnId, text: w.path.answerText });
    return {
      answer: w.path.answerText, thinking: w.path.thinkingText, thinkingMs: w.path.thinkingMs,
      ledger: makeLedger(counts), stopReason: aborted ? 'aborted' : w.path.stopReason === 'stopped' ? 'eos' : w.path.stopReason,
      plan, difficulty: o.difficulty, drafts: records, latencyTokens: latency, hidden: hidden.segments,
    };
  }

  async dispose(): Promise<void> {
    for (const c of this.#requests.values()) c.abort(new ReckonError('TURN_ABORTED', 'The engine is closing.'));
  }
}
