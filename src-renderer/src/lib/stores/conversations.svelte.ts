import type { ConversationSummary } from '$common/types';
import type { ConversationService } from '../services/conversationService';

export class ConversationsStore {
  items = $state<ConversationSummary[]>([]);
  query = $state('');
  loaded = $state(false);
  private searchTimer: ReturnType<typeof setTimeout> | null = null;
  // Bookkeeping the UI never renders.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #removingHere = new Set<string>();

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
    this.#removingHere.add(id);
    try {
      await this.service.remove(id);
    } finally {
      this.#removingHere.delete(id);
    }
    this.items = this.items.filter((c) => c.id !== id);
  }

  /** Whether this window is the one deleting `id` right now (its `changed` event is then no news here). */
  removingHere(id: string): boolean {
    return this.#removingHere.has(id);
  }

  title(id: string | null): string | null {
    return id ? (this.items.find((c) => c.id === id)?.title ?? null) : null;
  }
}
