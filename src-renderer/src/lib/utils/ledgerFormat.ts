import type { Ledger } from '$common/ledger';
import { overheadTotal } from '$common/ledger';

/** Compact count: 950, 1.2k, 12k, 1.3M. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 10_000) return (n / 1000).toFixed(1).replace(/\.0$/, '') + 'k';
  if (a < 1_000_000) return Math.round(n / 1000) + 'k';
  return (n / 1_000_000).toFixed(1).replace(/\.0$/, '') + 'M';
}

/** Milliseconds under a second, seconds with one decimal under a minute, then min s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return (ms / 1000).toFixed(1) + ' s';
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m} min ${s} s`;
}

/** "Thought for 3.2 s, 84 tokens" (either part may be unknown). */
export function thoughtLabel(ms: number | undefined, tokens: number | undefined): string {
  const parts: string[] = [];
  if (ms !== undefined) parts.push(`Thought for ${formatDuration(ms)}`);
  else parts.push('Thought');
  if (tokens !== undefined) parts.push(`${formatCount(tokens)} ${tokens === 1 ? 'token' : 'tokens'}`);
  return parts.join(', ');
}

export type LedgerPart = 'visible' | 'thinking' | 'overhead' | 'prompt';

export interface BarSegment {
  part: LedgerPart;
  tokens: number;
  /** Share of billed, 0..1. */
  fraction: number;
}

/** Stacked bar of billed tokens by kind, visible first (so "what you saw" vs "what you paid" reads left to right). */
export function ledgerBar(l: Ledger): BarSegment[] {
  const parts: [LedgerPart, number][] = [
    ['visible', l.visible],
    ['thinking', l.thinking],
    ['overhead', overheadTotal(l)],
    ['prompt', l.prompt],
  ];
  const total = l.billed > 0 ? l.billed : 0;
  return parts
    .filter(([, n]) => n > 0)
    .map(([part, tokens]) => ({ part, tokens, fraction: total > 0 ? tokens / total : 0 }));
}

/** Billed per visible token ("x12.3"), or null when nothing was visible. */
export function billedRatio(l: Ledger): string | null {
  if (l.visible <= 0) return null;
  const r = l.billed / l.visible;
  return '×' + (r >= 100 ? Math.round(r).toString() : r.toFixed(1));
}

export interface LedgerRow {
  key: string;
  label: string;
  value: number;
  hint: string;
}

/** Rows for the detail popover, in the words of ARCHITECTURE.md. */
export function ledgerRows(l: Ledger): LedgerRow[] {
  const rows: LedgerRow[] = [
    { key: 'visible', label: 'Visible', value: l.visible, hint: 'answer tokens you see' },
    { key: 'thinking', label: 'Thinking', value: l.thinking, hint: 'hidden reasoning on the accepted path' },
    { key: 'prompt', label: 'Prompt', value: l.prompt, hint: 'input tokens decoded (prefill)' },
    { key: 'cached', label: 'Cached', value: l.cached, hint: 'input reused from the KV cache, not billed' },
  ];
  for (const [k, v] of Object.entries(l.overhead)) {
    if (v > 0) rows.push({ key: 'overhead-' + k, label: `Overhead: ${k}`, value: v, hint: 'generated or decoded, never shown' });
  }
  rows.push(
    { key: 'billed', label: 'Billed', value: l.billed, hint: 'prompt + thinking + overhead + visible' },
    { key: 'sequential', label: 'Sequential', value: l.sequential, hint: 'tokens on the accepted path (latency proxy)' },
  );
  return rows;
}
