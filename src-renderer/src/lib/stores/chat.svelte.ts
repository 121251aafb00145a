import { ReckonError } from '$common/errors';
import type { Effort, StrategyName } from '$common/controller/types';
import type { TurnEvent } from '$common/events';
import { sumLedgers, type Ledger } from '$common/ledger';
import { activePath, childrenOf, variantsOf, type Variants } from '$common/branches';
import type { Conversation, ConversationExport, Message } from '$common/types';
import type { ChatService } from '../services/chatService';
import type { ConversationService } from '../services/conversationService';
import { applyChatEvent, applyChatEvents, fromMessage, pendingUserMessage, type ChatMessage } from '../utils/chatMessage';
import { nowIso } from '../utils/dates';
import type { ConversationsStore } from './conversations.svelte';

/**
 * The open conversation and the turns streaming into it. Events are deltas, applied in place;
 * turns of other conversations keep running on the host and are picked up when reopened.
 */
export class ChatStore {
  activeId = $state<string | null>(null);
  /** The branch shown (root first), as the view shows it. */
  messages = $state<ChatMessage[]>([]);
  /** Every stored message of the open conversation, all branches (for the "< 1/2 >" variant switches). */
  tree = $state.raw<Message[]>([]);
  loading = $state(false);
  /** The open conversation's own system prompt ('' = none: the model's, then the global one applies). */
  systemPrompt = $state('');
  /** conversationId -> running turnId */
  running = $state<Record<string, string>>({});
  /** Effort knob for the next turns: 'auto' (the probe decides) or 0..1 of the expected thinking length. */
  effort = $state<Effort>('auto');
  /** Controller strategy for the next turns ('auto' = the difficulty class's strategy; 'long' = no controller). */
  strategy = $state<StrategyName>('auto');
  // Bookkeeping the UI never renders: plain collections on purpose.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly turnConversation = new Map<string, string>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly finished = new Set<string>();
  private loadSeq = 0;
  /** Delta events waiting for the next frame (see onEvent). */
  private queued: TurnEvent[] = [];
  private flushScheduled = false;

  constructor(
    private readonly chat: ChatService,
    private readonly conversations: ConversationService,
    private readonly list: ConversationsStore,
    private readonly onTurnSettled: () => void,
  ) {
    chat.onEvent((e) => this.receive(e));
  }

  /**
   * Streamed deltas (thought, answer, draft) are applied once per frame, in order, not one render per event: a
   * model at 2,000 tokens/s sends an event every half millisecond, far more often than the screen can show them.
   * Any other event first applies what is queued, then itself, at once.
   */
  private receive(e: TurnEvent): void {
    if (e.type === 'thought' || e.type === 'answer' || e.type === 'draft') {
      this.queued.push(e);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // A hidden tab gets no frames: the timer keeps the stream moving there (and bounds the wait anyway).
        const t = setTimeout(() => this.flush(), 100);
        requestAnimationFrame(() => { clearTimeout(t); this.flush(); });
      }
      return;
    }
    this.flush();
    this.onEvent(e);
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queued;
    if (batch.length === 0) return;
    this.queued = [];
    // The batch holds only deltas: none of them starts or ends a turn, so one pass applies them to the open
    // conversation's messages (runs of one turn's deltas joined, see applyChatEvents).
    const open = batch.filter((e) => this.turnConversation.get(e.turnId) === this.activeId && this.activeId !== null);
    if (open.length) applyChatEvents(this.messages, open);
  }

  get activeTurnId(): string | null {
    return this.activeId ? (this.running[this.activeId] ?? null) : null;
  }

  get generating(): boolean {
    return this.activeTurnId !== null;
  }

  get totals(): Ledger | null {
    const ls = this.messages.flatMap((m) => (m.ledger ? [m.ledger] : []));
    return ls.length ? sumLedgers(ls) : null;
  }

  newChat(): void {
    this.loadSeq++;
    this.activeId = null;
    this.messages = [];
    this.tree = [];
    this.systemPrompt = '';
  }

  /** Where a message stands among its variants (one entry = no switch shown). */
  variants(id: string): Variants {
    return variantsOf(this.tree, id);
  }

  /** Shows a conversation as the host returned it (after a branch switch or a delete). */
  private show(c: Conversation): void {
    this.tree = c.messages;
    this.systemPrompt = c.systemPrompt ?? '';
    const msgs = activePath(c).map(fromMessage);
    const turnId = this.running[c.id];
    const live = [...msgs].reverse().find((m) => m.role === 'assistant' && m.status === 'streaming');
    if (turnId && live) live.turnId = turnId;
    this.messages = msgs;
  }

  async open(id: string): Promise<void> {
    const seq = ++this.loadSeq;
    if (this.activeId !== id) {
      this.messages = [];
      this.systemPrompt = '';
    }
    this.activeId = id;
    this.loading = true;
    try {
      const c = await this.conversations.get(id);
      if (seq !== this.loadSeq) return;
      this.tree = c.messages;
      this.systemPrompt = c.systemPrompt ?? '';
      const msgs = activePath(c).map(fromMessage);
      const turnId = this.running[id];
      const live = [...msgs].reverse().find((m) => m.role === 'assistant' && m.status === 'streaming');
      if (turnId && live) live.turnId = turnId;
      else if (turnId) {
        // The turn ended while we were not listening (e.g. disconnected): the stored copy is final.
        this.finished.add(turnId);
        const next = { ...this.running };
        delete next[id];
        this.running = next;
      }
      this.messages = msgs;
    } catch (err) {
      if (seq !== this.loadSeq) return;
      const e = ReckonError.from(err);
      if (e.code === 'CONVERSATION_NOT_FOUND') this.newChat();
      throw e;
    } finally {
      if (seq === this.loadSeq) this.loading = false;
    }
  }

  /**
   * Another window (or this one) changed the open conversation's messages or system prompt: show what is stored.
   * Never while a turn streams into it (the host refuses those changes then); nothing re-renders when the stored
   * branch and system prompt are what this window already shows.
   */
  async refreshOpen(id: string): Promise<void> {
    if (this.activeId !== id || this.running[id] !== undefined) return;
    const seq = this.loadSeq;
    const c = await this.conversations.get(id);
    if (seq !== this.loadSeq || this.activeId !== id || this.running[id] !== undefined) return;
    const shown = (ms: readonly { id: string; status?: string }[], sp: string): string => JSON.stringify([sp, ms.map((m) => [m.id, m.status])]);
    if (shown(activePath(c), c.systemPrompt ?? '') === shown(this.messages, this.systemPrompt) && c.messages.length === this.tree.length) return;
    this.show(c);
  }

  /**
   * Sends a question. `parentId` (edit-and-resend) is the message it follows: the view is cut back to it first
   * and the question starts a new branch there; absent = after the last message shown.
   */
  async send(text: string, parentId?: string | null): Promise<void> {
    const body = text.trim();
    if (!body || this.generating) return;
    if (parentId !== undefined) {
      const at = parentId === null ? 0 : this.messages.findIndex((m) => m.id === parentId) + 1;
      if (at === 0 && parentId !== null) return;
      this.messages.splice(at);
    }
    let id = this.activeId;
    if (!id) {
      const c = await this.list.create();
      id = c.id;
      this.loadSeq++;
      this.activeId = id;
      this.messages = [];
    }
    this.messages.push(pendingUserMessage(body));
    try {
      const r = await this.chat.send({ conversationId: id, text: body, effort: this.effort, strategy: this.strategy, ...(parentId !== undefined ? { parentId } : {}) });
      this.started(r);
    } catch (err) {
      this.failedLocally(id, err);
    }
  }

  private started(r: { turnId: string; conversationId: string }): void {
    this.turnConversation.set(r.turnId, r.conversationId);
    if (!this.finished.has(r.turnId)) this.running = { ...this.running, [r.conversationId]: r.turnId };
  }

  /** A turn the host refused (or could not be reached for): an error card the user can retry from. */
  private failedLocally(conversationId: string, err: unknown): void {
    if (this.activeId !== conversationId) return;
    this.messages.push({
      id: 'local-error-' + Date.now(),
      role: 'assistant',
      text: '',
      thinking: '',
      phase: 'final',
      status: 'error',
      error: ReckonError.from(err).toPayload(),
      createdAt: nowIso(),
    });
  }

  /**
   * Answers the question above an assistant message again, as a new variant (a failed one is replaced).
   * Strategy and effort default to the composer's.
   */
  async regenerate(messageId: string, opts: { strategy?: StrategyName; effort?: Effort } = {}): Promise<void> {
    const id = this.activeId;
    if (!id || this.generating) return;
    const at = this.messages.findIndex((m) => m.id === messageId);
    if (at < 1 || this.messages[at]!.role !== 'assistant') return;
    const old = this.messages[at]!;
    this.messages.splice(at);
    if ((old.status === 'error' || old.status === 'interrupted') && childrenOf(this.tree, old.id).length === 0) {
      this.tree = this.tree.filter((m) => m.id !== old.id);
    }
    try {
      const r = await this.chat.regenerate({ conversationId: id, messageId, effort: opts.effort ?? this.effort, strategy: opts.strategy ?? this.strategy });
      this.started(r);
    } catch (err) {
      this.failedLocally(id, err);
    }
  }

  /**
   * Retry after an error: a failed answer the host stored is answered again; a send the host never took (a
   * local error card) is sent again.
   */
  async retry(messageId: string): Promise<void> {
    const at = this.messages.findIndex((m) => m.id === messageId);
    if (at < 0) return;
    if (!messageId.startsWith('local-error-')) return this.regenerate(messageId);
    const question = this.messages[at - 1];
    this.messages.splice(Math.max(0, at - 1));
    if (question?.role === 'user') await this.send(question.text, question.record?.parentId);
  }

  /** Edit-and-resend: the edited question becomes a new branch beside the old one. */
  async edit(messageId: string, text: string): Promise<void> {
    const at = this.messages.findIndex((m) => m.id === messageId);
    const m = this.messages[at];
    if (!m || m.role !== 'user') return;
    const parentId = m.record?.parentId !== undefined ? m.record.parentId : at === 0 ? null : this.messages[at - 1]!.id;
    await this.send(text, parentId);
  }

  /** Shows the previous (-1) or next (+1) variant of a message. */
  async switchVariant(messageId: string, step: -1 | 1): Promise<void> {
    const id = this.activeId;
    if (!id || this.generating) return;
    const v = this.variants(messageId);
    const target = v.ids[v.index + step];
    if (target === undefined) return;
    const c = await this.conversations.switchBranch(id, target);
    if (this.activeId === id) this.show(c);
  }

  /** Deletes a message and what follows it (local error cards only leave the view). */
  async deleteMessage(messageId: string): Promise<void> {
    const id = this.activeId;
    if (!id || this.generating) return;
    if (messageId.startsWith('local-error-') || messageId.startsWith('pending-')) {
      this.messages = this.messages.filter((m) => m.id !== messageId);
      return;
    }
    const c = await this.conversations.deleteMessage(id, messageId);
    if (this.activeId === id) this.show(c);
    void this.list.refresh();
  }

  /** Sets (or, with '' / white space, clears) the open conversation's system prompt; used from its next turn. */
  async setSystemPrompt(text: string): Promise<void> {
    const id = this.activeId;
    if (!id) return;
    const c = await this.conversations.setSystemPrompt(id, text);
    if (this.activeId === id) this.systemPrompt = c.systemPrompt ?? '';
  }

  /** The open conversation as a file (Markdown: the branch shown; JSON: every branch). */
  async exportAs(format: 'markdown' | 'json'): Promise<ConversationExport | null> {
    return this.activeId ? this.conversations.export(this.activeId, format) : null;
  }

  async stop(): Promise<void> {
    const t = this.activeTurnId;
    if (!t) return;
    try {
      await this.chat.stop(t);
    } catch {
      // the turn may have just finished; its done event settles the UI
    }
  }

  /**
   * "Answer now": the running turn closes its thinking where it is and answers. False when the engine could not
   * (the turn ended meanwhile, or strategy Long, which runs without the controller).
   */
  async answerNow(): Promise<boolean> {
    const t = this.activeTurnId;
    if (!t) return false;
    try {
      return (await this.chat.answerNow(t)).applied;
    } catch {
      return false; // the turn may have just finished
    }
  }

  /** After a reconnect: the stream may have gaps, so take the stored state again. */
  async resync(): Promise<void> {
    if (this.activeId) await this.open(this.activeId).catch(() => {});
  }

  /** Keeps the tree in step with the turn streaming into the open conversation (variant counts stay true). */
  private track(e: TurnEvent): void {
    if (e.type === 'start') {
      const add: Message[] = [];
      if (!this.tree.some((m) => m.id === e.userMessage.id)) add.push(e.userMessage);
      if (!this.tree.some((m) => m.id === e.assistantMessageId)) {
        add.push({ id: e.assistantMessageId, role: 'assistant', parentId: e.userMessage.id, text: '', createdAt: nowIso(), status: 'streaming' });
      }
      if (add.length) this.tree = [...this.tree, ...add];
    } else if ((e.type === 'done' || e.type === 'error') && e.message) {
      const final = e.message;
      this.tree = this.tree.map((m) => (m.id === final.id ? final : m));
    }
  }

  private onEvent(e: TurnEvent): void {
    if (e.type === 'start') {
      this.turnConversation.set(e.turnId, e.conversationId);
      if (!this.finished.has(e.turnId)) this.running = { ...this.running, [e.conversationId]: e.turnId };
      // The host may title the conversation from its first question.
      void this.list.refresh();
    }
    const conv = this.turnConversation.get(e.turnId);
    if (conv !== undefined && conv === this.activeId) {
      applyChatEvent(this.messages, e);
      this.track(e);
    }
    if (e.type === 'done' || e.type === 'error') {
      this.finished.add(e.turnId);
      if (conv !== undefined && this.running[conv] === e.turnId) {
        const next = { ...this.running };
        delete next[conv];
        this.running = next;
      }
      void this.list.refresh();
      this.onTurnSettled();
    }
  }
}
