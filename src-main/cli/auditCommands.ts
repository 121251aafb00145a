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
  const lines = [`audit ${r.ok ? 'PASSED' : 'FAILED'}  (message ${r.messageId}, ${r.summary.via}, ${r.ms} ms)`, `  ${r.meaning}`];
  if (r.signer !== null) lines.push(`  signer ${r.signer.fingerprint}  ${r.signer.trust}${r.signer.label !== undefined ? ` (${r.signer.label})` : ''}  key ${r.signer.publicKey}`);
  if (r.receiptVersion === 1) lines.push('  receipt v1: question/answer not bound (weaker)');
  for (const c of r.checks) lines.push(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.name.padEnd(24)} ${c.detail}`);
  if (r.counts !== null) {
    const oh = Object.entries(r.counts.overhead).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`  hidden tokens ${r.counts.hidden} (thinking ${r.counts.thinking}${oh !== '' ? `, ${oh}` : ''}); tree size ${r.treeSize}`);
  }
  lines.push(`  sample ${r.sampleSize} leaves: catches ${Math.round(r.confidence.inflation * 100)} % inflation with probability ${(100 * r.confidence.probability).toFixed(1)} %`);
  return lines.join('\n');
}

export async function cmdAudit(host: Host, o: { file: string; remote?: string; trust?: string[]; json: boolean }): Promise<number> {
  let exp: ReceiptExport;
  try {
    exp = JSON.parse(await readFile(o.file, 'utf8')) as ReceiptExport;
  } catch (err) {
    throw new ReckonError('BAD_REQUEST', `Cannot read ${o.file}: ${(err as Error).message}`);
  }
  const report = await host.call('receipts.audit', {
    export: exp, ...(o.remote !== undefined ? { remote: o.remote } : {}), ...(o.trust !== undefined ? { trust: o.trust } : {}),
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

/** `reckon keys`: list, export this install's public key, import/trust an issuer's, untrust. */
export async function cmdKeys(host: Host, o: { action: string; arg?: string; label?: string; json: boolean }): Promise<number> {
  const out = (v: unknown, text: string): void => { process.stdout.write(o.json ? `${JSON.stringify(v)}\n` : `${text}\n`); };
  switch (o.action) {
    case 'list': {
      const keys = await host.call('receipts.trustedKeys', {});
      out(keys, keys.map((k) => `${k.fingerprint}  ${k.source.padEnd(6)}  ${k.publicKey}${k.label !== undefined ? `  ${k.label}` : ''}`).join('\n') || '(no keys)');
      return 0;
    }
    case 'export': {
      const own = (await host.call('receipts.trustedKeys', {})).find((k) => k.source === 'own');
      if (own === undefined) throw new ReckonError('INTERNAL', 'This install has no receipt key yet.');
      out({ publicKey: own.publicKey, fingerprint: own.fingerprint }, own.publicKey);
      return 0;
    }
    case 'import':
    case 'trust': {
      if (o.arg === undefined) throw new ReckonError('BAD_REQUEST', `reckon keys ${o.action} needs ${o.action === 'import' ? 'a file holding a public key' : 'a public key (hex)'}.`);
      let key = o.arg;
      if (o.action === 'import') {
        try {
          const text = (await readFile(o.arg, 'utf8')).trim();
          // A file from `reckon keys export --json`, or the bare hex.
          key = text.startsWith('{') ? String((JSON.parse(text) as { publicKey?: unknown }).publicKey ?? '') : text;
        } catch (err) {
          throw new ReckonError('BAD_REQUEST', `Cannot read ${o.arg}: ${(err as Error).message}`);
        }
      }
      const k = await host.call('receipts.trustKey', { publicKey: key, ...(o.label !== undefined ? { label: o.label } : {}) });
      out(k, `trusted ${k.fingerprint}  ${k.publicKey}`);
      return 0;
    }
    case 'untrust': {
      if (o.arg === undefined) throw new ReckonError('BAD_REQUEST', 'reckon keys untrust needs a public key (hex).');
      const r = await host.call('receipts.untrustKey', { publicKey: o.arg });
      out(r, r.removed ? 'removed' : 'that key was not trusted');
      return 0;
    }
    default:
      throw new ReckonError('BAD_REQUEST', `reckon keys: unknown action '${o.action}' (list, export, import, trust, untrust).`);
  }
}
