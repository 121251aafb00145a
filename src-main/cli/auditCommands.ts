/** `reckon audit` and `reckon receipt` (docs/receipts.md, docs/audit-protocol.md). */
import { readFile, writeFile } from 'node:fs/promises';
import type { AuditReport, ReceiptExport } from '../common/receiptApi';
import type { Receipt } from '../common/receipts/types';
import { ReckonError } from '../common/errors';
import type { Host } from '../host/index';

/** What `reckon ask --json` shows of a turn's receipt. */
export function receiptSummary(r: Receipt | undefined): { root: string; treeSize: number; counts: Receipt['counts']; publicKey: string } | null {
  return r === undefined ? null : { root: r.root, treeSize: r.treeSize, counts: r.counts, publicKey: r.publicKey };
}

/** Human lines of an audit report. */
export function formatAudit(r: AuditReport): string {
  const lines = [`audit ${r.ok ? 'PASSED' : 'FAILED'}  (message ${r.messageId}, ${r.summary.via}, ${r.ms} ms)`];
  for (const c of r.checks) lines.push(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.name.padEnd(24)} ${c.detail}`);
  if (r.counts !== null) {
    const oh = Object.entries(r.counts.overhead).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`  hidden tokens ${r.counts.hidden} (thinking ${r.counts.thinking}${oh !== '' ? `, ${oh}` : ''}); tree size ${r.treeSize}`);
  }
  lines.push(`  sample ${r.sampleSize} leaves: catches ${Math.round(r.confidence.inflation * 100)} % inflation with probability ${(100 * r.confidence.probability).toFixed(1)} %`);
  return lines.join('\n');
}

export async function cmdAudit(host: Host, o: { file: string; remote?: string; json: boolean }): Promise<number> {
  let exp: ReceiptExport;
  try {
    exp = JSON.parse(await readFile(o.file, 'utf8')) as ReceiptExport;
  } catch (err) {
    throw new ReckonError('BAD_REQUEST', `Cannot read ${o.file}: ${(err as Error).message}`);
  }
  const report = await host.call('receipts.audit', {
    export: exp, ...(o.remote !== undefined ? { remote: o.remote } : {}),
  });
  process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : `${formatAudit(report)}\n`);
  return report.ok ? 0 : 1;
}

export async function cmdReceipt(host: Host, o: { messageId: string; out?: string }): Promise<number> {
  const exp = await host.call('receipts.get', { messageId: o.messageId, includeStore: true });
  const text = `${JSON.stringify(exp, null, 1)}\n`;
  if (o.out !== undefined) {
    await writeFile(o.out, text);
    process.stderr.write(`reckon: receipt of ${o.messageId} (tree size ${exp.receipt.treeSize}) written to ${o.out}\n`);
  } else process.stdout.write(text);
  return 0;
}
