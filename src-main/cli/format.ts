/** Text formatting for the terminal: tables, sizes, the one-line ledger. */
import type { Ledger } from '../common/ledger';
import { overheadTotal } from '../common/ledger';
import type { ModelInfo } from '../common/types';
import type { DifficultyInfo, Plan } from '../common/controller/types';
import { formatEffort } from '../common/controller/effort';
import type { Reliability } from '../common/controller/reliability';

export const dim = (s: string, on: boolean): string => (on ? `\x1b[2m${s}\x1b[22m` : s);

export function humanCount(n: number | null): string {
  if (n === null) return '-';
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}K`;
  return String(n);
}

export function humanBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function modelsTable(models: ModelInfo[]): string {
  const rows = [['ID', 'NAME', 'ARCH', 'PARAMS', 'QUANT', 'CTX', 'TEMPLATE', 'THINKING', 'SIZE']];
  for (const m of models) {
    rows.push([m.id, `${m.name}${m.bundled ? ' (bundled)' : ''}${m.broken ? ' (broken)' : ''}`, m.architecture, humanCount(m.parameters), m.quantization,
      m.contextLength === null ? '-' : String(m.contextLength), m.chatTemplate, m.thinking ? 'yes' : 'no', humanBytes(m.sizeBytes)]);
  }
  return table(rows);
}

/** "visible 12 · thinking 40 · prompt 30 (+10 cached) · overhead 0 · billed 82 · sequential 82" */
/** The turn's plan in one line: class, strategy, the effort asked and the level used, the budget. */
export function planLine(plan: Plan, difficulty?: DifficultyInfo): string {
  const parts = [
    ...(difficulty !== undefined ? [`${difficulty.difficulty}${difficulty.source === 'fallback' ? ' (fallback)' : ''}`] : []),
    plan.strategy,
    `effort ${formatEffort(plan.effort)}${plan.effortLevel !== null ? ` -> level ${plan.effortLevel}` : ''}`,
    plan.thinkingBudget !== null ? `budget ${plan.thinkingBudget}` : 'no budget',
  ];
  return parts.join(' · ');
}

/** "unsure: the drafts disagree: ...; the probe rates ..." or "reliable". */
export function reliabilityLine(r: Reliability): string {
  return r.level === 'reliable' ? 'reliable' : `unsure: ${r.reasons.join('; ')}`;
}

export function ledgerLine(l: Ledger, seconds?: number): string {
  const parts = [`visible ${l.visible}`, `thinking ${l.thinking}`,
    `prompt ${l.prompt}${l.cached ? ` (+${l.cached} cached)` : ''}`, `overhead ${overheadTotal(l)}`,
    `billed ${l.billed}`, `sequential ${l.sequential}`];
  if (seconds !== undefined) parts.push(`${seconds.toFixed(1)} s`);
  return parts.join(' · ');
}
