/**
 * `npm run eval:audit`: the attack suite on the bundled model, full size; writes audit.md (see --out below).
 * Env: RECKON_AUDIT_N (questions per tier, default 23 -> 207 turns), RECKON_AUDIT_SEED (1), RECKON_AUDIT_THREADS (1),
 * RECKON_AUDIT_MODEL (a GGUF; default models/reckon-arith.gguf), RECKON_AUDIT_JSON=1 prints the result as JSON,
 * RECKON_AUDIT_HEAD=0 audits without the model's head. `--out DIR` (or RECKON_AUDIT_OUT=DIR) says where audit.md goes;
 * default: <data folder>/reports/audit-<time>/ (`npm run eval:audit -- --out docs/eval` refreshes the committed report).
 */
import { resolve } from 'node:path';
import { reportDir } from '../reportDir';
import { writeAuditEval } from './evalAuditRun';

const root = resolve(import.meta.dirname, '../..');
const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const outFlag = process.argv.indexOf('--out');
const out = outFlag === -1 ? process.env['RECKON_AUDIT_OUT'] : process.argv[outFlag + 1] ?? '';
const code = await writeAuditEval({
  root, modelPath: process.env['RECKON_AUDIT_MODEL'], perTier: env('RECKON_AUDIT_N', 23), seed: env('RECKON_AUDIT_SEED', 1),
  threads: env('RECKON_AUDIT_THREADS', 1), json: process.env['RECKON_AUDIT_JSON'] === '1', command: 'npm run eval:audit', noHead: process.env['RECKON_AUDIT_HEAD'] === '0',
  outDir: reportDir('audit', out),
});
process.exitCode = code;
