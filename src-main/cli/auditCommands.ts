/** `reckon audit` and `reckon receipt` (docs/receipts.md, docs/audit-protocol.md). */
import { readFile, writeFile } from 'node:fs/promises';
import type { AuditReport, ReceiptExport, ReplayReport } from '../common/receiptApi';
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

/** Human lines of a replay report. */
export function formatReplay(r: ReplayReport): string {
  const lines = [`replay ${r.outcome.toUpperCase()}  (message ${r.messageId}, ${r.via}, ${r.ms} ms)`, `  ${r.meaning}`];
  lines.push(`  committed  root ${r.committed.root.slice(0, 16)}…  ${r.committed.treeSize} hidden tokens${r.committed.valid ? '' : `  INVALID: ${r.committed.problem ?? ''}`}`);
  if (r.reexecuted !== null) {
    lines.push(`  replayed   root ${r.reexecuted.root.slice(0, 16)}…  ${r.reexecuted.treeSize} hidden tokens  ${r.reexecuted.rootMatches ? 'identical' : 'differs'}${r.reexecuted.answerMatches ? '' : ', answer differs'}`);
    for (const d of r.reexecuted.countDiffs) lines.push(`    ${d}`);
  }
  if (r.teacherForced !== null) {
    const t = r.teacherForced;
    lines.push(`  teacher-forced ${t.positions} thinking tokens (${t.criterion}): ${t.firstDivergence === null ? 'no divergence' : `first divergence at token ${t.firstDivergence + 1}, ${t.divergent} the model would not produce`}`);
  }
  lines.push(`  inputs     ${r.inputs.context}, ${r.inputs.historyItems} history items, strategy ${r.inputs.strategy}, effort ${r.inputs.effort}, seed ${r.inputs.seed ?? 'none'}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

/** `reckon audit --replay`: a receipt file (an export, with or without its store) or a local message id. */
export async function cmdReplay(host: Host, o: { target: string; remote?: string; json: boolean }): Promise<number> {
  let exp: ReceiptExport | undefined;
  try {
    exp = JSON.parse(await readFile(o.target, 'utf8')) as ReceiptExport;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Not a file: a message id of this install (or of the remote issuer).
    if (code !== 'ENOENT' || !/^[A-Za-z0-9-]{1,100}$/.test(o.target)) throw new ReckonError('BAD_REQUEST', `Cannot read ${o.target}: ${(err as Error).message}`);
  }
  const report = await host.call('receipts.replay', {
    ...(exp !== undefined ? { export: exp } : { messageId: o.target }), ...(o.remote !== undefined ? { remote: o.remote } : {}),
  });
  process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : `${formatReplay(report)}\n`);
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
