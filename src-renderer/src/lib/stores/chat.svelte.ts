import { ReckonError } from '$common/errors';
import type { Effort, StrategyName } from '$common/controller/types';
import type { TurnEvent } from '$common/events';
import { sumLedgers, type Ledger } from '$common/ledger';
import type { ChatService } from '../services/chatService';
import type { ConversationService } from '../services/conversationService';
import { applyChatEvent, fromMessage, pendingUserMessage, type ChatMessage } from '../utils/chatMessage';
import type { ConversationsStore } from './conversations.svelte';

/**
 * The open conversation and the turns streaming into it. Events are deltas, applied in place;
 * turns of other conversations keep running on the host and are picked up when reopened.
 */
export class ChatStore {
  activeId = $state<string | null>(null);
  messages = $state<ChatMessage[]>([]);
  loading = $state(false);
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

  constructor(
    private readonly chat: ChatService,
    private readonly conversations: ConversationService,
    private readonly list: ConversationsStore,
    private readonly onTurnSettled: () => void,
  ) {
    chat.onEvent((e) => this.onEvent(e));
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
  }

  async open(id: string): Promise<void> {
    const seq = ++this.loadSeq;
    if (this.activeId !== id) this.messages = [];
    this.activeId = id;
    this.loading = true;
    try {
      const c = await this.conversations.get(id);
      if (seq !== this.loadSeq) return;
      const msgs = c.messages.map(fromMessage);
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

  async send(text: string): Promise<void> {
    const body = text.trim();
    if (!body || this.generating) return;
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
      const r = await this.chat.send({ conversationId: id, text: body, effort: this.effort, strategy: this.strategy });
      this.turnConversation.set(r.turnId, r.conversationId);
      if (!this.finished.has(r.turnId)) this.running = { ...this.running, [r.conversationId]: r.turnId };
    } catch (err) {
      const e = ReckonError.from(err);
      if (this.activeId === id) {
        this.messages.push({
          id: 'local-error-' + Date.now(),
          role: 'assistant',
          text: '',
          thinking: '',
          phase: 'final',
          status: 'error',
          error: e.toPayload(),
          // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a timestamp string, not reactive state
          createdAt: new Date().toISOString(),
        });
      }
    }
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

  /** After a reconnect: the stream may have gaps, so take the stored state again. */
  async resync(): Promise<void> {
    if (this.activeId) await this.open(this.activeId).catch(() => {});
  }

  private onEvent(e: TurnEvent): void {
    if (e.type === 'start') {
      this.turnConversation.set(e.turnId, e.conversationId);
      if (!this.finished.has(e.turnId)) this.running = { ...this.running, [e.conversationId]: e.turnId };
      // The host may title the conversation from its first question.
      void this.list.refresh();
    }
    const conv = this.turnConversation.get(e.turnId);
    if (conv !== undefined && conv === this.activeId) applyChatEvent(this.messages, e);
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
