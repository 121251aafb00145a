import type { ConversationSummary } from '$common/types';
import type { ConversationService } from '../services/conversationService';

export class ConversationsStore {
  items = $state<ConversationSummary[]>([]);
  query = $state('');
  loaded = $state(false);
  private searchTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly service: ConversationService) {}

  async refresh(): Promise<void> {
    try {
      const q = this.query.trim();
      this.items = await this.service.list(q || undefined);
      this.loaded = true;
    } catch {
      // transient
    }
  }

  /** Debounced search as the user types. */
  setQuery(q: string): void {
    this.query = q;
    if (this.searchTimer) clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => void this.refresh(), 150);
  }

  async create(): Promise<ConversationSummary> {
    const c = await this.service.create();
    this.items = [c, ...this.items.filter((x) => x.id !== c.id)];
    return c;
  }

  async rename(id: string, title: string): Promise<void> {
    const t = title.trim();
    if (!t) return;
    const updated = await this.service.rename(id, t);
    this.items = this.items.map((c) => (c.id === id ? updated : c));
  }

  /** Pins or unpins; the sidebar regroups from the answer (the host keeps updatedAt). */
  async pin(id: string, pinned: boolean): Promise<void> {
    const updated = await this.service.pin(id, pinned);
    this.items = this.items.map((c) => (c.id === id ? updated : c));
  }

  async remove(id: string): Promise<void> {
    await this.service.remove(id);
    this.items = this.items.filter((c) => c.id !== id);
  }

  title(id: string | null): string | null {
    return id ? (this.items.find((c) => c.id === id)?.title ?? null) : null;
  }
}
