import type { ReckonClient, RegenerateParams, SendParams } from '$common/api';
import type { TurnEvent } from '$common/events';

export class ChatService {
  constructor(private readonly client: ReckonClient) {}
  send(p: SendParams): Promise<{ turnId: string; conversationId: string }> {
    return this.client.call('chat.send', p);
  }
  regenerate(p: RegenerateParams): Promise<{ turnId: string; conversationId: string }> {
    return this.client.call('chat.regenerate', p);
  }
  answerNow(turnId: string): Promise<{ applied: boolean }> {
    return this.client.call('chat.answerNow', { turnId });
  }
  stop(turnId: string): Promise<void> {
    return this.client.call('chat.stop', { turnId });
  }
  onEvent(listener: (e: TurnEvent) => void): () => void {
    return this.client.onTurnEvent(listener);
  }
}
