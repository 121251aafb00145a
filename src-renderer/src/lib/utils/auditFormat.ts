/**
 * Pure formatting for the audit panel (docs/receipts.md, docs/audit-protocol.md): check labels and groups,
 * the verdict's headline and confidence sentence, hidden counts against the ledger, and the export file.
 */
import { OverheadKinds, overheadTotal, type Ledger } from '$common/ledger';
import type { AuditReport, ReceiptExport } from '$common/receiptApi';
import type { AuditCheck, Receipt } from '$common/receipts/types';

export type CheckGroup = 'commitment' | 'sample' | 'semantic';

export interface CheckInfo {
  label: string;
  group: CheckGroup;
  /** What the check means, for a tooltip. */
  help: string;
}

const CHECKS: Record<string, CheckInfo> = {
  receipt: { label: 'Signature and counts', group: 'commitment', help: 'Receipt shape, counts add up, tree size = hidden tokens, Ed25519 signature (pinned to this install\'s key).' },
  model: { label: 'Model', group: 'commitment', help: 'The receipt names the model file and embedding shape the auditor holds.' },
  'block-count': { label: 'Block count', group: 'commitment', help: 'The number of blocks is possible for the tree size and block size.' },
  empty: { label: 'Empty trace', group: 'commitment', help: 'No hidden tokens were committed, so there is nothing to sample.' },
  response: { label: 'Provider response', group: 'sample', help: 'The provider answered the challenge.' },
  'response-binding': { label: 'Response binding', group: 'sample', help: 'The response answers this challenge (turn, root, tree size, nonce).' },
  proofs: { label: 'Inclusion proofs', group: 'sample', help: 'Every opened leaf verifies against the signed root for the signed tree size (RFC 9162).' },
  'block-records': { label: 'Block records', group: 'sample', help: 'All block sketches hash to the signed sketch digest.' },
  'leaf-structure': { label: 'Leaf structure', group: 'sample', help: 'Block indices, offsets, kinds and order of the opened leaves are consistent.' },
  'token-embedding': { label: 'Token embeddings', group: 'sample', help: 'Each opened token embedding equals the model\'s row for that token, bit for bit.' },
  'block-sketch': { label: 'Block sketches', group: 'sample', help: 'Opened block embeddings match their committed SimHash sketches.' },
  filler: { label: 'Filler', group: 'semantic', help: 'Flags blocks that are one token repeated.' },
  'token-block-consistency': { label: 'Token in block', group: 'semantic', help: 'Flags tokens that do not belong to the block they claim.' },
  'block-relevance': { label: 'Block relevance', group: 'semantic', help: 'Flags blocks unrelated to the question and answer.' },
  'duplicate-block': { label: 'Duplicates', group: 'semantic', help: 'Flags blocks copied (exactly or nearly) from other blocks.' },
  'semantic-summary': { label: 'Semantic summary', group: 'semantic', help: 'Flagged blocks stay within the tolerance.' },
};

export const GROUP_LABELS: Record<CheckGroup, string> = {
  commitment: 'Receipt',
  sample: 'Sampled leaves',
  semantic: 'Semantic checks',
};

export function checkInfo(name: string): CheckInfo {
  return CHECKS[name] ?? { label: name.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase()), group: 'sample', help: '' };
}

/** Checks in display order, grouped (commitment, sample, semantic); groups without checks are left out. */
export function groupChecks(checks: readonly AuditCheck[]): { group: CheckGroup; label: string; checks: (AuditCheck & CheckInfo)[] }[] {
  const order: CheckGroup[] = ['commitment', 'sample', 'semantic'];
  return order
    .map((group) => ({
      group,
      label: GROUP_LABELS[group],
      checks: checks.map((c) => ({ ...c, ...checkInfo(c.name) })).filter((c) => c.group === group),
    }))
    .filter((g) => g.checks.length > 0);
}

/** 0.9912 -> "99.1 %"; never rounds a probability below 1 up to "100 %". */
export function formatProbability(p: number): string {
  if (!Number.isFinite(p)) return '–';
  if (p >= 1) return '100 %';
  if (p <= 0) return '0 %';
  if (p > 0.999) return '> 99.9 %';
  if (p < 0.001) return '< 0.1 %';
  const pct = Math.floor(p * 1000) / 10;
  return `${pct.toFixed(1).replace(/\.0$/, '')} %`;
}

export interface VerdictView {
  ok: boolean;
  headline: string;
  /** How sure: "A sample of 45 leaves catches a 10 % inflation with 99.1 % probability." */
  confidence: string;
  failed: string[];
}

export function verdictView(r: Pick<AuditReport, 'ok' | 'checks' | 'sampleSize' | 'confidence' | 'treeSize'>): VerdictView {
  const failed = r.checks.filter((c) => !c.passed).map((c) => checkInfo(c.name).label);
  const headline = r.ok
    ? 'Pass: the receipt verifies'
    : `Fail: ${failed.length} ${failed.length === 1 ? 'check' : 'checks'} failed`;
  let confidence: string;
  if (r.treeSize === 0) confidence = 'No hidden tokens were committed: there is nothing to inflate.';
  else if (r.sampleSize === 0) confidence = 'No leaves were opened: the audit stopped before sampling.';
  else {
    const inflation = `${Math.round(r.confidence.inflation * 1000) / 10} %`;
    confidence = `${r.sampleSize} opened ${r.sampleSize === 1 ? 'leaf catches' : 'leaves catch'} an inflation of ${inflation} of the hidden count with ${formatProbability(r.confidence.probability)} probability.`;
  }
  return { ok: r.ok, headline, confidence, failed };
}

export interface CountRow {
  kind: string;
  receipt: number;
  ledger: number | null;
  match: boolean | null;
}

/** Hidden tokens by ledger kind: the signed receipt's counts against the message's ledger (kinds both sides 0 are left out). */
export function countRows(counts: Receipt['counts'], ledger: Ledger | undefined): { rows: CountRow[]; total: CountRow } {
  const row = (kind: string, receipt: number, l: number | null): CountRow => ({ kind, receipt, ledger: l, match: l === null ? null : l === receipt });
  const rows: CountRow[] = [row('thinking', counts.thinking, ledger ? ledger.thinking : null)];
  for (const k of OverheadKinds) {
    const r = counts.overhead[k] ?? 0;
    const l = ledger ? (ledger.overhead[k] ?? 0) : null;
    if (r !== 0 || (l ?? 0) !== 0) rows.push(row(k, r, l));
  }
  const total = row('hidden', counts.hidden, ledger ? ledger.thinking + overheadTotal(ledger) : null);
  return { rows, total };
}

/** "abcdef0123456789…" for long hex. */
export function shortHex(hex: string, keep = 16): string {
  return hex.length <= keep ? hex : `${hex.slice(0, keep)}…`;
}

export function exportFilename(e: Pick<ReceiptExport, 'messageId'>, withStore: boolean): string {
  const id = e.messageId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 40) || 'message';
  return `reckon-receipt-${id}${withStore ? '-with-store' : ''}.json`;
}

export function exportJson(e: ReceiptExport): string {
  return JSON.stringify(e, null, 2) + '\n';
}
