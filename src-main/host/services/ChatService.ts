/**
 * Chat turns. chat.send persists the user message and a 'streaming' assistant message, answers
 * {turnId, conversationId} at once, then runs the engine's generate and streams TurnEvents.
 * Streamed text is written at most every 500 ms (a crash loses at most the last half second) and once more
 * at the end. One turn at a time per conversation.
 */
import { randomUUID } from 'node:crypto';
import type { SendParams } from '../../common/api';
import { ReckonError } from '../../common/errors';
import type { EngineEvent, GenerateResult, HistoryItem } from '../../common/engineProtocol';
import type { TurnEvent } from '../../common/events';
import type { Conversation, Message, ModelInfo } from '../../common/types';
import { mergeControllerSettings } from '../../common/controller/defaults';
import type { DifficultyInfo } from '../../common/controller/types';
import type { EngineSupervisor } from '../supervisor/EngineSupervisor';
import { defaultTitle, titleFrom, type ConversationsService } from './ConversationsService';
import type { ModelsService } from './ModelsService';
import type { SettingsService } from './SettingsService';

/** How often streamed text is written while a turn runs (ms). */
export const persistIntervalMs = 500;

interface ActiveTurn {
  turnId: string;
  conversation: Conversation;
  message: Message;
  model: ModelInfo;
  stopRequested: boolean;
  lastWrite: number;
  timer: NodeJS.Timeout | null;
  done: Promise<void>;
}

export class ChatService {
  #turns = new Map<string, ActiveTurn>();
  #byConversation = new Map<string, string>();
  #listeners = new Set<(e: TurnEvent) => void>();
  /** The model the engine has loaded (for system.info). */
  loadedModel: ModelInfo | null = null;
  /** Issues the hidden-token receipt of a finished turn onto its message (set by createHost; docs/receipts.md). */
  issueReceipt: ((conv: Conversation, message: Message, model: ModelInfo, question: string, r: GenerateResult) => Promise<void>) | null = null;
  /**
   * The DiffAdapt probe for a question (set by whoever wires the probe service); null = no probe: the
   * engine's controller then uses its fallback plan (Normal, running-average length).
   */
  probeFor: ((model: ModelInfo, question: string, systemPrompt: string) => Promise<DifficultyInfo | null>) | null = null;

  constructor(
    private readonly engine: EngineSupervisor,
    private readonly conversations: ConversationsService,
    private readonly models: ModelsService,
    private readonly settings: SettingsService,
  ) {}

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

  isBusy(conversationId: string): boolean {
    return this.#byConversation.has(conversationId);
  }

  async send(p: SendParams): Promise<{ turnId: string; conversationId: string }> {
    if (p.conversationId !== undefined && this.#byConversation.has(p.conversationId)) {
      throw new ReckonError('BUSY', 'A turn is already running in this conversation; stop it or wait for it to finish.');
    }
    const model = p.modelPath !== undefined ? await this.models.byPath(p.modelPath) : await this.models.resolve(p.modelId);
    const conv = p.conversationId !== undefined ? this.conversations.require(p.conversationId) : await this.conversations.create();
    // Checked again: the awaits above let another send for the same conversation through.
    if (this.#byConversation.has(conv.id)) throw new ReckonError('BUSY', 'A turn is already running in this conversation.');

    const history = historyOf(conv, model.historyTurns ?? null);
    const now = new Date().toISOString();
    const userMessage: Message = { id: randomUUID(), role: 'user', text: p.text, createdAt: now };
    const message: Message = { id: randomUUID(), role: 'assistant', text: '', thinking: '', createdAt: now, modelId: model.id, status: 'streaming' };
    if (conv.messages.length === 0 && conv.title === defaultTitle) conv.title = titleFrom(p.text);
    conv.messages.push(userMessage, message);
    conv.updatedAt = now;

    const turnId = randomUUID();
    const turn: ActiveTurn = { turnId, conversation: conv, message, model, stopRequested: false, lastWrite: Date.now(), timer: null, done: Promise.resolve() };
    this.#turns.set(turnId, turn);
    this.#byConversation.set(conv.id, turnId);
    try {
      await this.conversations.save(conv);
    } catch (err) {
      this.#finish(turn);
      throw err;
    }

    const s = this.settings.get();
    // Run after this call has answered, so a client learns the turnId before the first event.
    turn.done = new Promise<void>((resolveDone) => {
      setImmediate(async () => {
        this.emit({ type: 'start', turnId, conversationId: conv.id, userMessage: { ...userMessage }, assistantMessageId: message.id, modelId: model.id });
        void this.#run(turn, {
          chatKey: conv.id,
          modelPath: model.path,
          systemPrompt: p.systemPrompt ?? s.systemPrompt,
          history,
          question: p.text,
          maxTokens: p.maxTokens ?? s.maxTokens,
          temperature: s.temperature,
          thinkingBudget: null,
          // Every turn runs under the controller ('auto' unless the turn asks otherwise; 'long' = none).
          strategy: p.strategy ?? 'auto',
          effort: p.effort ?? 'auto',
          ...(p.seed !== undefined ? { seed: p.seed } : {}),
          controller: mergeControllerSettings(s.controller),
          pdrWorkspace: model.pdrWorkspace ?? 'summary',
          ...(this.probeFor !== null && (p.strategy ?? 'auto') !== 'long'
            ? { difficulty: await this.probeFor(model, p.text, p.systemPrompt ?? s.systemPrompt).catch(() => null) }
            : {}),
          requestId: turnId,
        }).finally(resolveDone);
      });
    });
    return { turnId, conversationId: conv.id };
  }

  /** Stops a running turn (no-op when it already ended). */
  async stop(turnId: string): Promise<void> {
    const turn = this.#turns.get(turnId);
    if (!turn) return;
    turn.stopRequested = true;
    this.engine.tryCall('abort', { requestId: turnId });
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

  async #run(turn: ActiveTurn, params: Parameters<EngineSupervisor['call']>[1] & object): Promise<void> {
    const { turnId, message } = turn;
    const onEvent = (e: EngineEvent): void => {
      switch (e.type) {
        case 'thought':
          message.thinking = (message.thinking ?? '') + e.text;
          this.emit({ type: 'thought', turnId, text: e.text });
          this.#schedulePersist(turn);
          break;
        case 'answer':
          message.text += e.text;
          this.emit({ type: 'answer', turnId, text: e.text });
          this.#schedulePersist(turn);
          break;
        case 'thought-end':
          message.thinkingMs = e.ms;
          this.emit({ type: 'thought-end', turnId, ms: e.ms, tokens: e.tokens });
          break;
        case 'load-progress':
          this.emit({ type: 'load-progress', turnId, progress: e.progress });
          break;
        case 'difficulty':
          message.difficulty = e.difficulty;
          this.emit({ type: 'difficulty', turnId, difficulty: e.difficulty });
          break;
        case 'plan':
          message.plan = e.plan;
          this.emit({ type: 'plan', turnId, plan: e.plan });
          break;
        case 'draft': case 'draft-end': case 'workspace': case 'early-exit': {
          if (e.type === 'workspace') (message.workspaces ??= []).push({ round: e.round, text: e.text, tokens: e.tokens });
          const { requestId: _r, ...rest } = e;
          this.emit({ ...rest, turnId } as TurnEvent);
          break;
        }
      }
    };
    try {
      if (turn.stopRequested) throw new ReckonError('TURN_ABORTED', 'Stopped before it started.');
      const r: GenerateResult = await this.engine.call('generate', params as never, { requestId: turnId, onEvent });
      this.loadedModel = turn.model;
      // The result is authoritative; the streamed deltas should add up to the same text.
      message.text = r.answer;
      message.thinking = r.thinking;
      message.thinkingMs = r.thinkingMs;
      message.ledger = r.ledger;
      if (r.difficulty !== undefined) message.difficulty = r.difficulty;
      if (r.plan !== undefined) message.plan = r.plan;
      if (r.drafts !== undefined) message.drafts = r.drafts;
      if (r.earlyExit !== undefined) message.earlyExit = r.earlyExit;
      if (r.latencyTokens !== undefined) message.latencyTokens = r.latencyTokens;
      message.status = r.stopReason === 'aborted' || turn.stopRequested ? 'stopped' : 'done';
      if (this.issueReceipt !== null) await this.issueReceipt(turn.conversation, message, turn.model, (params as { question: string }).question, r);
      await this.#persistNow(turn);
      this.emit({ type: 'ledger', turnId, ledger: r.ledger });
      this.emit({ type: 'done', turnId, status: message.status === 'stopped' ? 'stopped' : 'done', message: { ...message } });
    } catch (err) {
      const e = ReckonError.from(err);
      if (e.code === 'ENGINE_CRASHED') this.loadedModel = null;
      if (e.code === 'TURN_ABORTED') {
        message.status = 'stopped';
        await this.#persistNow(turn).catch(() => undefined);
        this.emit({ type: 'done', turnId, status: 'stopped', message: { ...message } });
      } else {
        message.status = 'error';
        message.error = e.toPayload();
        await this.#persistNow(turn).catch(() => undefined);
        this.emit({ type: 'error', turnId, error: e.toPayload(), message: { ...message } });
      }
    } finally {
      this.#finish(turn);
    }
  }

  #finish(turn: ActiveTurn): void {
    if (turn.timer) clearTimeout(turn.timer);
    turn.timer = null;
    this.#turns.delete(turn.turnId);
    if (this.#byConversation.get(turn.conversation.id) === turn.turnId) this.#byConversation.delete(turn.conversation.id);
  }

  #schedulePersist(turn: ActiveTurn): void {
    if (turn.timer) return;
    const wait = Math.max(0, persistIntervalMs - (Date.now() - turn.lastWrite));
    turn.timer = setTimeout(() => {
      turn.timer = null;
      turn.lastWrite = Date.now();
      this.conversations.save(turn.conversation).catch((err: unknown) => {
        process.stderr.write(`reckon: could not save streamed text: ${ReckonError.from(err).message}\n`);
      });
    }, wait);
  }

  async #persistNow(turn: ActiveTurn): Promise<void> {
    if (turn.timer) clearTimeout(turn.timer);
    turn.timer = null;
    turn.lastWrite = Date.now();
    turn.conversation.updatedAt = new Date().toISOString();
    await this.conversations.save(turn.conversation);
  }
}

/**
 * Prior turns as the engine needs them: questions, and answers without their thinking; the last `limit`
 * exchanges only when the model's manifest bounds them (null = all).
 */
export function historyOf(c: Conversation, limit: number | null = null): HistoryItem[] {
  const out: HistoryItem[] = [];
  for (let i = 0; i < c.messages.length; i++) {
    const m = c.messages[i]!;
    if (m.role !== 'user') continue;
    const next = c.messages[i + 1];
    // A question whose answer failed, is empty or was cut short (stopped, interrupted) is left out: the model
    // would otherwise continue from a dangling or half-finished turn.
    if (!next || next.role !== 'assistant' || next.text.trim() === '') continue;
    if (next.status === 'stopped' || next.status === 'interrupted' || next.status === 'error') continue;
    out.push({ role: 'user', text: m.text }, { role: 'assistant', text: next.text });
  }
  return limit === null ? out : out.slice(Math.max(0, out.length - 2 * limit));
}
