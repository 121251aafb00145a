import type { ReckonClient } from '$common/api';
import type { Conversation, ConversationExport, ConversationSummary } from '$common/types';

export class ConversationService {
  constructor(private readonly client: ReckonClient) {}
  list(query?: string): Promise<ConversationSummary[]> {
    return this.client.call('conversations.list', query ? { query } : undefined);
  }
  get(id: string): Promise<Conversation> {
    return this.client.call('conversations.get', { id });
  }
  create(title?: string): Promise<ConversationSummary> {
    return this.client.call('conversations.create', title ? { title } : undefined);
  }
  rename(id: string, title: string): Promise<ConversationSummary> {
    return this.client.call('conversations.rename', { id, title });
  }
  pin(id: string, pinned: boolean): Promise<ConversationSummary> {
    return this.client.call('conversations.pin', { id, pinned });
  }
  deleteMessage(id: string, messageId: string): Promise<Conversation> {
    return this.client.call('conversations.deleteMessage', { id, messageId });
  }
  switchBranch(id: string, messageId: string): Promise<Conversation> {
    return this.client.call('conversations.switchBranch', { id, messageId });
  }
  export(id: string, format: 'markdown' | 'json'): Promise<ConversationExport> {
    return this.client.call('conversations.export', { id, format });
  }
  setSystemPrompt(id: string, systemPrompt: string): Promise<Conversation> {
    return this.client.call('conversations.setSystemPrompt', { id, systemPrompt });
  }
  remove(id: string): Promise<void> {
    return this.client.call('conversations.delete', { id });
  }
}
