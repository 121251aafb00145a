export type DateGroup = 'Today' | 'Yesterday' | 'Previous 7 days' | 'Older';

/** Sidebar groups by last update, relative to now (local days). */
export function dateGroup(iso: string, now: Date = new Date()): DateGroup {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return 'Older';
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 86_400_000;
  if (t.getTime() >= startOfToday) return 'Today';
  if (t.getTime() >= startOfToday - day) return 'Yesterday';
  if (t.getTime() >= startOfToday - 7 * day) return 'Previous 7 days';
  return 'Older';
}

/** One labelled group of the sidebar. */
export interface ConversationGroup<T> {
  label: 'Pinned' | DateGroup;
  items: T[];
}

/**
 * The sidebar's groups: Pinned first, then Today / Yesterday / Previous 7 days / Older by last activity
 * (updatedAt), each newest first; empty groups are left out.
 */
export function groupConversations<T extends { updatedAt: string; pinned?: boolean }>(items: readonly T[], now: Date = new Date()): ConversationGroup<T>[] {
  const order: ConversationGroup<T>['label'][] = ['Pinned', 'Today', 'Yesterday', 'Previous 7 days', 'Older'];
  const byLabel = new Map<ConversationGroup<T>['label'], T[]>();
  const sorted = [...items].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  for (const c of sorted) {
    const label = c.pinned === true ? 'Pinned' : dateGroup(c.updatedAt, now);
    const list = byLabel.get(label);
    if (list) list.push(c);
    else byLabel.set(label, [c]);
  }
  return order.flatMap((label) => {
    const list = byLabel.get(label);
    return list ? [{ label, items: list }] : [];
  });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatParams(n: number | null): string | null {
  if (n === null || !Number.isFinite(n)) return null;
  if (n >= 1e9) return (n / 1e9).toFixed(1).replace(/\.0$/, '') + 'B';
  if (n >= 1e6) return (n / 1e6).toFixed(1).replace(/\.0$/, '') + 'M';
  if (n >= 1e3) return Math.round(n / 1e3) + 'K';
  return String(n);
}

/** The current time as an ISO string (a timestamp, never reactive state). */
export function nowIso(): string {
  return new Date().toISOString();
}
