/**
 * Chat turns. chat.send persists the user message and a 'streaming' assistant message and answers
 * {turnId, conversationId} once they are on disk; the engine's generate - one request for the whole turn (probe,
 * plan, generation, fingerprints) - starts meanwhile, its events held until send has answered, then forwarded as
 * they come and folded into the stored message with the shared reducer (common/turn/applyTurnEvent). The host
 * adds only what it owns: start, the receipt (tree + signature over the engine's leaves) and done / error with
 * the stored message.
 * Streamed text goes to the turn's append-only stream journal (store/StreamJournal.ts) before it goes out to
 * clients: a delta that completes a line at once, others within 50 ms, each batch one write() to an open file. A
 * host crash therefore loses at most 50 ms of text and never a completed line. The whole message is saved
 * atomically only now and then (StreamFlusher: every second, at once when the thinking ends) and at the end,
 * before `done` goes out; the journal is removed once that final save is on disk, and replayed by the next start
 * (ConversationsService.open) when it was not. One turn at a time per conversation.
 */
import { randomUUID } from 'node:crypto';
import type { RegenerateParams, SendParams } from '../../common/api';
import { activeLeaf, activePath, childrenOf, parentOf, withExplicitParents } from '../../common/branches';
import { ReckonError } from '../../common/errors';
import type { EngineEvent, GenerateParams, GenerateResult, HistoryItem } from '../../common/engineProtocol';
import type { TurnEvent } from '../../common/events';
import { applyTurnEvent } from '../../common/turn/applyTurnEvent';
import type { Conversation, Message, ModelInfo } from '../../common/types';
import type { ModelSettings } from '../../common/modelSettings';
import { mergeControllerSettings } from '../../common/controller/defaults';
import { assessReliability } from '../../common/controller/reliability';
import type { EngineSupervisor } from '../supervisor/EngineSupervisor';
import { defaultTitle, titleFrom, type ConversationsService } from './ConversationsService';
import type { LoadedModel } from './LoadedModel';
import type { ModelsService } from './ModelsService';
import type { IssueReceiptInput, IssuedReceiptFields } from './ReceiptService';
import type { SettingsService } from './SettingsService';
import type { ExplainCrash } from './explainCrash';
import { StreamFlusher } from './StreamFlusher';
import type { StreamJournal } from '../store/StreamJournal';

export { persistIntervalMs } from './StreamFlusher';

/** ChatService's collaborators. */
export interface ChatServiceOptions {
  engine: EngineSupervisor;
  conversations: ConversationsService;
  models: ModelsService;
  settings: SettingsService;
  /** Which model the engine has loaded; a turn that ran sets it. */
  loadedModel: LoadedModel;
  /** The model's own settings (ModelSettingsService.get): between a turn's overrides and the global settings. */
  modelSettings: (modelId: string) => ModelSettings;
  /**
   * The DiffAdapt probe file for a model (ProbeService.probePathFor); null = none, and the engine's controller
   * plans with its fallback (Normal, running-average length).
   */
  probePathFor: (model: ModelInfo) => Promise<{ path: string } | null>;
  /** Builds and signs the receipt of a finished turn from the engine's leaves and stores it (ReceiptService.issue); never throws. */
  issueReceipt: (input: IssueReceiptInput) => Promise<IssuedReceiptFields>;
  /** The ENGINE_CRASHED a turn got, as the user is told it (explainCrash.ts: counted against the model, restart outcome, model named). */
  explainCrash: ExplainCrash;
  /** Longest a streamed delta waits before the whole message is saved, in ms. Defaults to persistIntervalMs (1000). */
  persistEveryMs?: number;
  /** Longest a streamed delta waits before it is appended to the turn's journal, in ms (a completed line never waits). Defaults to journalEveryMs (50). */
  journalEveryMs?: number;
}

/** What a turn may override (chat.send and chat.regenerate). */
type TurnOptions = Pick<SendParams, 'systemPrompt' | 'maxTokens' | 'effort' | 'strategy' | 'seed' | 'temperature' | 'topP' | 'thinkingBudget'>;

/** `{[key]: value}`, or nothing when the value is absent (optional params stay absent, never undefined). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A message of the conversation, or MESSAGE_NOT_FOUND. */
function messageIn(c: Conversation, id: string): Message {
  const m = c.messages.find((x) => x.id === id);
  if (!m) throw new ReckonError('MESSAGE_NOT_FOUND', `No message with id '${id}' in this conversation.`);
  return m;
}

interface ActiveTurn {
  turnId: string;
  conversation: Conversation;
  /** The assistant message as stored: replaced (never changed in place) by each event. */
  message: Message;
  model: ModelInfo;
  stopRequested: boolean;
  /** Saves the whole message now and then while the turn runs. */
  flusher: StreamFlusher;
  /** Appends each delta; null when it could not be created (the flusher's saves still run). */
  journal: StreamJournal | null;
  done: Promise<void>;
}

export class ChatService {
  #turns = new Map<string, ActiveTurn>();
  #byConversation = new Map<string, string>();
  #listeners = new Set<(e: TurnEvent) => void>();

  constructor(private readonly o: ChatServiceOptions) {}

  onTurnEvent(listener: (e: TurnEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(e: TurnEvent): void {
    for (const l of [...this.#listeners]) {
      try {
        l(e);
      } catch (err) {
        process.stderr.write(`reckon: turn event listener failed: ${(err as Error).message}\n`);
      }
    }
  }

  async send(p: SendParams): Promise<{ turnId: string; conversationId: string }> {
    const { models, conversations } = this.o;
    this.#notBusy(p.conversationId);
    const model = p.modelPath !== undefined ? await models.byPath(p.modelPath) : await models.resolve(p.modelId);
    // A new conversation is first written with its question (in #startTurn): one save before the first token, not two.
    const conv = p.conversationId !== undefined ? conversations.require(p.conversationId) : conversations.startUnsaved(undefined, p.origin);
    // Checked again: the awaits above let another send for the same conversation through.
    this.#notBusy(conv.id);
    const restore = p.conversationId !== undefined ? restorerOf(conv) : () => conversations.forgetUnsaved(conv);
    if (p.parentId != null) messageIn(conv, p.parentId);
    const parentId = p.parentId === undefined ? activeLeaf(conv) : p.parentId;

    const now = new Date().toISOString();
    const fresh = conv.messages.length === 0;
    // A caller's own history (a new conversation only, the schema checks) is stored before the question, as the
    // branch it follows: the model's history is then read from the branch like any other turn's.
    let above = parentId;
    for (const h of p.history ?? []) {
      const earlier: Message = { id: randomUUID(), role: h.role, parentId: above, text: h.text, createdAt: now, ...(h.role === 'assistant' ? { status: 'done' as const } : {}) };
      conv.messages.push(earlier);
      above = earlier.id;
    }
    const userMessage: Message = { id: randomUUID(), role: 'user', parentId: above, text: p.text, createdAt: now };
    if (fresh && conv.title === defaultTitle) conv.title = titleFrom(p.history?.find((h) => h.role === 'user')?.text ?? p.text);
    conv.messages.push(userMessage);
    return this.#startTurn(conv, model, userMessage, p, restore);
  }

  /**
   * Answers a question again as a new variant beside the old answer (that one stays reachable); a failed or
   * interrupted answer with nothing below it is replaced instead, so retrying leaves no dead variants behind.
   */
  async regenerate(p: RegenerateParams): Promise<{ turnId: string; conversationId: string }> {
    const { models, conversations } = this.o;
    this.#notBusy(p.conversationId);
    const model = await models.resolve(p.modelId);
    const conv = conversations.require(p.conversationId);
    this.#notBusy(conv.id);
    const old = messageIn(conv, p.messageId);
    if (old.role !== 'assistant') throw new ReckonError('BAD_REQUEST', 'chat.regenerate: messageId must name an answer (an assistant message).');
    const i = conv.messages.indexOf(old);
    const questionId = parentOf(conv.messages, i);
    const question = questionId === null ? undefined : conv.messages.find((m) => m.id === questionId);
    if (!question || question.role !== 'user') throw new ReckonError('BAD_REQUEST', 'chat.regenerate: that answer follows no question.');
    const failed = old.status === 'error' || old.status === 'interrupted';
    const restore = restorerOf(conv);
    if (failed && childrenOf(conv.messages, old.id).length === 0) {
      conv.messages = withExplicitParents(conv.messages).filter((m) => m.id !== old.id);
    }
    return this.#startTurn(conv, model, question, p, restore);
  }

  #notBusy(conversationId: string | undefined): void {
    if (conversationId !== undefined && this.#byConversation.has(conversationId)) {
      throw new ReckonError('BUSY', 'A turn is already running in this conversation; stop it or wait for it to finish.');
    }
  }

  /**
   * Runs a turn that answers `question` (already in the conversation) with a new assistant message below it,
   * shown as the conversation's branch. The history is the branch above the question.
   */
  async #startTurn(conv: Conversation, model: ModelInfo, question: Message, p: TurnOptions, restore: () => void): Promise<{ turnId: string; conversationId: string }> {
    const above = question.parentId === undefined ? parentOf(conv.messages, conv.messages.indexOf(question)) : question.parentId;
    const history = above === null ? [] : historyOf(activePath({ messages: conv.messages, leafId: above }), model.historyTurns ?? null);
    const now = new Date().toISOString();
    const message: Message = { id: randomUUID(), role: 'assistant', parentId: question.id, text: '', thinking: '', createdAt: now, modelId: model.id, status: 'streaming' };
    conv.messages.push(message);
    conv.leafId = message.id;
    conv.updatedAt = now;

    const turnId = randomUUID();
    const flusher = new StreamFlusher({
      save: () => this.o.conversations.save(conv),
      ...(this.o.persistEveryMs !== undefined ? { everyMs: this.o.persistEveryMs } : {}),
      onError: (err) => process.stderr.write(`reckon: could not save streamed text: ${ReckonError.from(err).message}\n`),
    });
    const turn: ActiveTurn = { turnId, conversation: conv, message, model, stopRequested: false, flusher, journal: null, done: Promise.resolve() };
    this.#turns.set(turnId, turn);
    this.#byConversation.set(conv.id, turnId);
    // The question and the 'streaming' answer are written while the engine starts on them, so the save (its fsync
    // takes 5-25 ms on a busy machine) is not part of the time to the first token. The turn's events wait behind
    // `opened` until this call has answered; a failed save stops the engine and leaves the conversation as it was.
    let open!: (ok: boolean) => void;
    const opened = new Promise<boolean>((resolve) => { open = resolve; });
    const saved = this.o.conversations.save(conv);

    const s = this.o.settings.get();
    const ms = this.o.modelSettings(model.id);
    const strategy = p.strategy ?? 'auto';
    const params = async (): Promise<GenerateParams & { requestId: string }> => {
      // The engine runs the probe itself; a probe file that cannot be found means the fallback plan.
      const probe = strategy === 'long' ? null : await this.o.probePathFor(model).catch(() => null);
      return {
        chatKey: conv.id,
        modelPath: model.path,
        // Precedence: the turn's override > the chat's prompt > the model's setting > the global one (docs/ui.md).
        systemPrompt: p.systemPrompt ?? conv.systemPrompt ?? (ms.systemPrompt !== undefined && ms.systemPrompt !== '' ? ms.systemPrompt : s.systemPrompt),
        history,
        question: question.text,
        maxTokens: p.maxTokens ?? ms.maxTokens ?? s.maxTokens,
        temperature: p.temperature ?? ms.temperature ?? s.temperature,
        ...optional('topP', p.topP ?? ms.topP),
        ...optional('topK', ms.topK),
        ...optional('minP', ms.minP),
        ...optional('repeatPenalty', ms.repeatPenalty),
        ...optional('stop', ms.stop),
        ...optional('contextSize', ms.contextSize),
        thinkingBudget: p.thinkingBudget ?? null,
        // Every turn runs under the controller ('auto' unless the turn asks otherwise; 'long' = none).
        strategy,
        effort: p.effort ?? 'auto',
        ...optional('seed', p.seed ?? ms.seed),
        controller: mergeControllerSettings(s.controller),
        pdrWorkspace: model.pdrWorkspace ?? 'summary',
        manifestEffort: model.effort ?? null,
        probePath: probe?.path ?? null,
        receipt: { modelSha256: model.sha256 },
        requestId: turnId,
      };
    };
    turn.done = this.#run(turn, params, opened);
    try {
      await saved;
    } catch (err) {
      turn.stopRequested = true;
      this.o.engine.tryCall('abort', { requestId: turnId });
      open(false);
      this.#finish(turn);
      restore();
      throw err;
    }
    try {
      turn.journal = this.o.conversations.openJournal(conv, message, {
        ...(this.o.journalEveryMs !== undefined ? { everyMs: this.o.journalEveryMs } : {}),
        onError: (err) => process.stderr.write(`reckon: could not append streamed text: ${ReckonError.from(err).message}\n`),
      });
    } catch (err) {
      process.stderr.write(`reckon: no stream journal for this turn (${ReckonError.from(err).message}); streamed text is saved every ${this.o.persistEveryMs ?? 1000} ms\n`);
    }
    // After this call has answered, so a client learns the turnId before the first event.
    setImmediate(() => {
      this.emit({ type: 'start', turnId, conversationId: conv.id, userMessage: { ...question }, assistantMessageId: message.id, modelId: model.id });
      open(true);
    });
    return { turnId, conversationId: conv.id };
  }

  /** Whether a turn is running in a conversation (message edits wait for it). */
  isRunning(conversationId: string): boolean {
    return this.#byConversation.has(conversationId);
  }

  /** Stops a running turn (no-op when it already ended). */
  async stop(turnId: string): Promise<void> {
    const turn = this.#turns.get(turnId);
    if (!turn) return;
    turn.stopRequested = true;
    this.o.engine.tryCall('abort', { requestId: turnId });
  }

  /** "Answer now": asks the engine to close the running turn's thought. */
  async answerNow(turnId: string): Promise<{ applied: boolean }> {
    if (!this.#turns.has(turnId)) return { applied: false };
    return this.o.engine.call('answerNow', { requestId: turnId });
  }

  /** Stops every running turn and waits for them to end (host.close). */
  async stopAll(): Promise<void> {
    const turns = [...this.#turns.values()];
    for (const t of turns) await this.stop(t.turnId);
    await Promise.all(turns.map((t) => t.done));
  }

  /** Stops the turn running in a conversation (before it is deleted). */
  async stopConversation(conversationId: string): Promise<void> {
    const turnId = this.#byConversation.get(conversationId);
    const turn = turnId ? this.#turns.get(turnId) : undefined;
    if (!turn) return;
    await this.stop(turn.turnId);
    await turn.done;
  }

  /** Folds an event into the turn's stored message (the conversation holds the new object). */
  #apply(turn: ActiveTurn, e: TurnEvent): void {
    const next = applyTurnEvent(turn.message, e);
    if (next === turn.message) return;
    const at = turn.conversation.messages.indexOf(turn.message);
    if (at >= 0) turn.conversation.messages[at] = next;
    turn.message = next;
  }

  /**
   * Runs the engine's generate for a turn from the moment it is set up; what it streams is held until `opened`
   * says the turn is open (true: delivered in order, then live) or was never saved (false: dropped, nothing stored).
   */
  async #run(turn: ActiveTurn, paramsOf: () => Promise<GenerateParams & { requestId: string }>, opened: Promise<boolean>): Promise<void> {
    const { turnId } = turn;
    let held: TurnEvent[] | null = [];
    let live = false;
    const gate = opened.then((ok) => {
      const waiting = held ?? [];
      held = null;
      live = ok;
      if (ok) for (const e of waiting) deliver(e);
      return ok;
    });
    const onEvent = (e: EngineEvent): void => {
      // Only this turn's events are routed here; calibration progress and thread measurements never are.
      if (e.type === 'calibrate-progress' || e.type === 'threads-measured' || e.turnId !== turnId) return;
      if (held) held.push(e);
      else if (live) deliver(e);
    };
    const deliver = (e: TurnEvent): void => {
      this.#apply(turn, e);
      // On disk (the page cache) before any client sees it.
      if (e.type === 'thought') turn.journal?.append('thinking', e.text);
      else if (e.type === 'answer') turn.journal?.append('answer', e.text);
      this.emit(e);
      if (e.type === 'thought' || e.type === 'answer') turn.flusher.delta();
      else if (e.type === 'thought-end') {
        // The power-loss copy, asynchronously; the boundary save below writes the whole message too.
        turn.journal?.sync();
        turn.flusher.boundary();
      }
    };
    try {
      const params = await paramsOf();
      if (turn.stopRequested) throw new ReckonError('TURN_ABORTED', 'Stopped before it started.');
      this.o.loadedModel.asked = turn.model;
      const r: GenerateResult = await this.o.engine.call('generate', params, { requestId: turnId, onEvent });
      if (!(await gate)) return;
      this.o.loadedModel.current = turn.model;
      this.o.models.recordSuccess(turn.model);
      const status = r.stopReason === 'aborted' || turn.stopRequested ? 'stopped' : 'done';
      const receipt = await this.o.issueReceipt({
        conversation: turn.conversation, message: turn.message, model: turn.model, question: params.question, result: r, turnId, seed: params.seed,
        context: { systemPrompt: params.systemPrompt, history: params.history },
      });
      const final = finalMessage(turn.message, r, status, receipt, params.question);
      const done: TurnEvent = { type: 'done', turnId, status, message: final };
      this.#apply(turn, done);
      await this.#persistNow(turn);
      this.emit({ ...done, message: { ...turn.message } });
    } catch (err) {
      if (!(await gate)) return;
      let e = ReckonError.from(err);
      if (e.code === 'ENGINE_CRASHED') e = await this.o.explainCrash(turn.model, e).catch(() => e);
      const end: TurnEvent = e.code === 'TURN_ABORTED'
        ? { type: 'done', turnId, status: 'stopped', message: { ...turn.message, status: 'stopped' } }
        : { type: 'error', turnId, error: e.toPayload() };
      this.#apply(turn, end);
      await this.#persistNow(turn).catch(() => undefined);
      this.emit({ ...end, message: { ...turn.message } });
    } finally {
      this.#finish(turn);
    }
  }

  #finish(turn: ActiveTurn): void {
    void turn.flusher.close();
    turn.journal?.close();
    this.#turns.delete(turn.turnId);
    if (this.#byConversation.get(turn.conversation.id) === turn.turnId) this.#byConversation.delete(turn.conversation.id);
  }

  async #persistNow(turn: ActiveTurn): Promise<void> {
    // No streamed save may land after the final one (the Store writes in order; this waits for one running).
    await turn.flusher.close();
    turn.conversation.updatedAt = new Date().toISOString();
    turn.journal?.close();
    await this.o.conversations.save(turn.conversation);
    // The final message is on disk (the save fsyncs): the journal is not needed. Kept when the save failed, so
    // the next start replays it.
    // A journal that cannot be removed is harmless (the next start drops it: its message has ended); the turn is not failed for it.
    if (turn.journal) {
      await this.o.conversations.removeJournal(turn.conversation, turn.message).catch((err: unknown) =>
        process.stderr.write(`reckon: could not remove the stream journal: ${ReckonError.from(err).message}\n`));
    }
  }
}

/**
 * The stored message of a finished turn: the engine's result is authoritative (the streamed deltas should add up
 * to the same text), with the receipt (or why there is none) beside it.
 */
function finalMessage(m: Message, r: GenerateResult, status: 'done' | 'stopped', receipt: IssuedReceiptFields, question: string): Message {
  const { receipt: _r, receiptError: _e, reliability: _rel, ...rest } = m;
  const reliability = assessReliability({ ...r, question, ...(m.answeredNow ? { answeredNow: m.answeredNow } : {}) });
  return {
    ...rest,
    text: r.answer,
    thinking: r.thinking,
    thinkingMs: r.thinkingMs,
    ledger: r.ledger,
    ...(r.difficulty !== undefined ? { difficulty: r.difficulty } : {}),
    ...(r.plan !== undefined ? { plan: r.plan } : {}),
    ...(r.drafts !== undefined ? { drafts: r.drafts } : {}),
    ...(r.earlyExit !== undefined ? { earlyExit: r.earlyExit } : {}),
    ...(r.latencyTokens !== undefined ? { latencyTokens: r.latencyTokens } : {}),
    ...(r.timings !== undefined ? { timings: r.timings } : {}),
    ...(r.context !== undefined ? { context: r.context } : {}),
    ...(reliability !== null ? { reliability } : {}),
    ...receipt,
    status,
    stopReason: r.stopReason,
  };
}

/**
 * Prior turns of a branch (root first) as the engine needs them: questions, and answers without their thinking; the last `limit`
 * exchanges only when the model's manifest bounds them (null = all).
 */
export function historyOf(path: readonly Message[], limit: number | null = null): HistoryItem[] {
  const out: HistoryItem[] = [];
  for (let i = 0; i < path.length; i++) {
    const m = path[i]!;
    if (m.role !== 'user') continue;
    const next = path[i + 1];
    // A question whose answer failed, is empty or was cut short (stopped, interrupted) is left out: the model
    // would otherwise continue from a dangling or half-finished turn.
    if (!next || next.role !== 'assistant' || next.text.trim() === '') continue;
    if (next.status === 'stopped' || next.status === 'interrupted' || next.status === 'error') continue;
    out.push({ role: 'user', text: m.text }, { role: 'assistant', text: next.text });
  }
  return limit === null ? out : out.slice(Math.max(0, out.length - 2 * limit));
}

/** Puts a conversation's messages, branch, date and title back as they are now (a turn whose save failed). */
function restorerOf(c: Conversation): () => void {
  const { messages, leafId, updatedAt, title } = c;
  const kept = [...messages];
  return () => {
    c.messages = kept;
    if (leafId === undefined) delete c.leafId;
    else c.leafId = leafId;
    c.updatedAt = updatedAt;
    c.title = title;
  };
}
