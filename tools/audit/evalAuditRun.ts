/** Shared by `npm run eval:audit` and `reckon eval --audit`: runs the real-model suite and writes <outDir>/audit.md. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSuiteTable } from './attackSuite';
import { auditMarkdown } from './auditReport';
import { runRealSuite } from './realModel';

export async function writeAuditEval(o: { root: string; modelPath?: string; perTier: number; seed: number; threads: number; json: boolean; outDir: string; command: string; noHead?: boolean }): Promise<number> {
  const modelPath = o.modelPath ?? join(o.root, 'models', 'reckon-arith.gguf');
  const r = await runRealSuite({
    root: o.root, modelPath, threads: o.threads, perTier: o.perTier, seed: o.seed, ...(o.noHead === true ? { head: null } : {}),
    onProgress: (d, t) => { if (!o.json && process.stderr.isTTY) process.stderr.write(`\r[${d}/${t}]`); },
  });
  if (!o.json && process.stderr.isTTY) process.stderr.write('\n');
  mkdirSync(o.outDir, { recursive: true });
  writeFileSync(join(o.outDir, 'audit.md'), auditMarkdown(r, o.command));
  process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : `${formatSuiteTable(r)}\nreport: ${join(o.outDir, 'audit.md')}\n`);
  return 0;
}
