import type { ReckonClient } from '$common/api';
import type { Conversation, ConversationSummary } from '$common/types';

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
  remove(id: string): Promise<void> {
    return this.client.call('conversations.delete', { id });
  }
}
