export interface Toast {
  id: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  /** Set when the toast mirrors a host notice (dismissing it dismisses the notice). */
  noticeId?: string;
}

let seq = 0;

export class ToastStore {
  items = $state<Toast[]>([]);
  private onDismissNotice: (id: string) => void;
  /** Notices dismissed here: a poll racing the host's dismissal must not bring them back. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- never rendered
  private readonly dismissed = new Set<string>();

  constructor(onDismissNotice: (id: string) => void) {
    this.onDismissNotice = onDismissNotice;
  }

  push(level: Toast['level'], message: string, ttlMs = level === 'error' ? 8000 : 5000): void {
    const id = `t${++seq}`;
    this.items.push({ id, level, message });
    if (ttlMs > 0) setTimeout(() => this.remove(id), ttlMs);
  }

  /** Host notices stay until the user dismisses them. */
  showNotice(n: { id: string; level: Toast['level']; message: string }): void {
    if (this.dismissed.has(n.id) || this.items.some((t) => t.noticeId === n.id)) return;
    this.items.push({ id: `n-${n.id}`, level: n.level, message: n.message, noticeId: n.id });
  }

  dismiss(id: string): void {
    const t = this.items.find((x) => x.id === id);
    this.remove(id);
    if (t?.noticeId) {
      this.dismissed.add(t.noticeId);
      this.onDismissNotice(t.noticeId);
    }
  }

  private remove(id: string): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}
