/**
 * Conversations, one file each. Kept in memory after the start-up read; every change is written through
 * the store (atomic per file).
 */
import { randomUUID } from 'node:crypto';
import { ReckonError } from '../../common/errors';
import { activePath, leafUnder, parentOf, subtreeOf, withExplicitParents } from '../../common/branches';
import type { Conversation, ConversationExport, ConversationSummary, Message } from '../../common/types';
import { exportJson, exportMarkdown } from './conversationExport';
import type { Store } from '../store/Store';
import { parseStreamJournal, replayStreamJournal, type StreamJournal, type StreamJournalOptions } from '../store/StreamJournal';

export const defaultTitle = 'New conversation';

/** A title from the first question: one line, at most 60 characters. */
export function titleFrom(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line === '') return defaultTitle;
  return line.length <= 60 ? line : `${line.slice(0, 59).trimEnd()}…`;
}

export function summaryOf(c: Conversation): ConversationSummary {
  const s: ConversationSummary = { id: c.id, title: c.title, createdAt: c.createdAt, updatedAt: c.updatedAt, messageCount: c.messages.length };
  if (c.origin !== undefined) s.origin = c.origin;
  if (c.pinned === true) s.pinned = true;
  return s;
}

export class ConversationsService {
  #byId = new Map<string, Conversation>();

  constructor(private readonly store: Store) {}

  /**
   * Reads every conversation; messages a crash left 'streaming' become 'interrupted', with what their stream
   * journal holds beyond the last whole-message save replayed onto them (StreamJournal.ts). The journal is removed
   * once the message is saved; a damaged one is set aside with a notice after the text before the damage is kept,
   * and so is one whose conversation file was set aside; one whose conversation or message is gone, or whose
   * message ended (its final save landed), is dropped.
   */
  async open(): Promise<void> {
    const journals = await this.store.readStreamJournals();
    const damaged = new Map<string, string>();
    for (const c of await this.store.readAllConversations()) {
      let fixed = false;
      for (let i = 0; i < c.messages.length; i++) {
        const m = c.messages[i]!;
        if (m.status !== 'streaming') continue;
        const j = journals.find((x) => x.conversationId === c.id && x.messageId === m.id);
        let next: Message = { ...m, status: 'interrupted' };
        if (j) {
          const parsed = parseStreamJournal(j.text);
          const r = replayStreamJournal(next, parsed.conversationId === c.id && parsed.messageId === m.id ? parsed.records : []);
          next = r.message;
          const problem = parsed.problem ?? (parsed.messageId !== m.id && parsed.messageId !== '' ? `its header names message ${parsed.messageId}` : null) ?? r.problem;
          if (problem !== null) damaged.set(j.path, problem);
        }
        c.messages[i] = next;
        fixed = true;
      }
      this.#byId.set(c.id, c);
      if (fixed) await this.store.writeConversation(c);
    }
    // Only now that every conversation is saved: a journal is the one copy of its text until then.
    for (const j of journals) {
      // A conversation file that was unreadable is set aside, not gone: its journal is kept beside it.
      const why = damaged.get(j.path) ?? (!this.#byId.has(j.conversationId) && (await this.store.wasSetAside(j.conversationId)) ? 'its conversation file was unreadable and was set aside' : undefined);
      if (why !== undefined) {
        await this.store.setStreamJournalAside(j.conversationId, j.messageId, why);
        process.stderr.write(`reckon: stream journal ${j.path} set aside: ${why}\n`);
      } else {
        await this.store.removeStreamJournal(j.conversationId, j.messageId);
      }
    }
  }

  /** Pinned conversations first, then the rest; each part by last activity, newest first. */
  list(query?: string): ConversationSummary[] {
    const q = query?.trim().toLowerCase();
    return [...this.#byId.values()]
      .filter((c) => !q || c.title.toLowerCase().includes(q) ||
        c.messages.some((m) => m.text.toLowerCase().includes(q)))
      .sort((a, b) => Number(b.pinned === true) - Number(a.pinned === true) ||
        (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0))
      .map(summaryOf);
  }

  /** The live object (callers that change it must call save). */
  require(id: string): Conversation {
    const c = this.#byId.get(id);
    if (!c) throw new ReckonError('CONVERSATION_NOT_FOUND', `No conversation with id '${id}'.`);
    return c;
  }

  get(id: string): Conversation {
    return structuredClone(this.require(id));
  }

  /** A new conversation; `origin` 'api' marks one an API client started. */
  async create(title?: string, origin?: 'api'): Promise<Conversation> {
    const c = this.startUnsaved(title, origin);
    await this.save(c);
    return c;
  }

  /**
   * A new conversation kept in memory only, for a caller that saves it soon with its first messages (a chat turn):
   * one atomic write instead of two before the first token. `forgetUnsaved` drops it if that save fails.
   */
  startUnsaved(title?: string, origin?: 'api'): Conversation {
    const now = new Date().toISOString();
    const c: Conversation = { id: randomUUID(), title: title?.trim() ? title.trim() : defaultTitle, createdAt: now, updatedAt: now, messageCount: 0, messages: [], ...(origin !== undefined ? { origin } : {}) };
    this.#byId.set(c.id, c);
    return c;
  }

  /** Drops a conversation startUnsaved made whose first save failed. */
  forgetUnsaved(c: Conversation): void {
    if (this.#byId.get(c.id) === c) this.#byId.delete(c.id);
  }

  async rename(id: string, title: string): Promise<ConversationSummary> {
    const c = this.require(id);
    c.title = title.trim() || defaultTitle;
    c.updatedAt = new Date().toISOString();
    await this.save(c);
    return summaryOf(c);
  }

  /** Pins or unpins; not an activity, so updatedAt (the sidebar's date group) stays. Unpinned drops the field. */
  async pin(id: string, pinned: boolean): Promise<ConversationSummary> {
    const c = this.require(id);
    if (pinned) c.pinned = true;
    else delete c.pinned;
    await this.save(c);
    return summaryOf(c);
  }

  /** Sets or (empty / white space only) clears the chat's system prompt; not an activity, so updatedAt stays. */
  async setSystemPrompt(id: string, systemPrompt: string): Promise<Conversation> {
    const c = this.require(id);
    if (systemPrompt.trim() !== '') c.systemPrompt = systemPrompt;
    else delete c.systemPrompt;
    await this.save(c);
    return structuredClone(c);
  }

  async delete(id: string): Promise<void> {
    this.require(id);
    this.#byId.delete(id);
    await this.store.deleteConversation(id);
  }

  /**
   * Deletes a message and everything below it. The branch shown moves to the newest remaining sibling's branch,
   * else to the parent. The caller makes sure no turn is running in the conversation.
   */
  async deleteMessage(id: string, messageId: string): Promise<Conversation> {
    const c = this.require(id);
    const i = c.messages.findIndex((m) => m.id === messageId);
    if (i < 0) throw new ReckonError('MESSAGE_NOT_FOUND', `No message with id '${messageId}' in this conversation.`);
    const parent = parentOf(c.messages, i);
    const shown = new Set(activePath(c).map((m) => m.id));
    const gone = subtreeOf(c.messages, messageId);
    // Parents made explicit first: removing a message must not re-parent the one after it in the array.
    const kept = withExplicitParents(c.messages).filter((m) => !gone.has(m.id));
    c.messages = kept;
    if (shown.has(messageId)) {
      const siblings = kept.filter((m) => m.parentId === parent);
      const next = siblings.at(-1);
      const leaf = next ? leafUnder(kept, next.id) : parent;
      if (leaf === null) delete c.leafId;
      else c.leafId = leaf;
    }
    c.updatedAt = new Date().toISOString();
    await this.save(c);
    return this.get(id);
  }

  /** Shows the newest branch through a message (the "< 1/2 >" switch). */
  async switchBranch(id: string, messageId: string): Promise<Conversation> {
    const c = this.require(id);
    if (!c.messages.some((m) => m.id === messageId)) throw new ReckonError('MESSAGE_NOT_FOUND', `No message with id '${messageId}' in this conversation.`);
    c.leafId = leafUnder(c.messages, messageId);
    await this.save(c);
    return this.get(id);
  }

  export(id: string, format: 'markdown' | 'json'): ConversationExport {
    const c = this.get(id);
    return format === 'json' ? exportJson(c) : exportMarkdown(c);
  }

  /** Starts the stream journal of a message that begins streaming (ChatService; Store.openStreamJournal). */
  openJournal(c: Conversation, m: Message, o?: StreamJournalOptions): StreamJournal {
    return this.store.openStreamJournal(c.id, m.id, { thinking: (m.thinking ?? '').length, answer: m.text.length }, o);
  }

  /** Removes a message's stream journal once its final save is on disk. */
  removeJournal(c: Conversation, m: Message): Promise<void> {
    return this.store.removeStreamJournal(c.id, m.id);
  }

  /** Writes a conversation; one deleted meanwhile (a turn still streaming into it) is not written back. */
  save(c: Conversation): Promise<void> {
    if (this.#byId.get(c.id) !== c) return Promise.resolve();
    c.messageCount = c.messages.length;
    return this.store.writeConversation(c);
  }
}
