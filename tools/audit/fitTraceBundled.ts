/**
 * `npm run audit:trace`: fits the trace grammar and the length model of the bundled model's audit head (realModel.ts
 * fitTrace, fitLength, fitCanonicalLength) on greedy
 * traces of training questions (models/golden/heldout.jsonl lines with index % 3 != 0, as the head) and writes it
 * into models/audit/<model>.audit-head.json, leaving the head's other fields as they are. Env: RECKON_HEAD_N
 * (questions per tier, default 60), RECKON_HEAD_THREADS (1), RECKON_HEAD_MODEL (default models/reckon-arith.gguf).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAuditHead } from '../../src-main/common/receipts';
import { auditHeadPath } from '../../src-main/host/services/ReceiptService';
import { fitCanonicalLength, fitLength, fitTrace, openModel, questionSplit, readQuestions } from './realModel';

const root = resolve(import.meta.dirname, '../..');
const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const modelPath = resolve(process.env['RECKON_HEAD_MODEL'] ?? join(root, 'models/reckon-arith.gguf'));
const out = auditHeadPath(modelPath);
const head = JSON.parse(readFileSync(out, 'utf8')) as unknown;
if (!isAuditHead(head)) throw new Error(`${out} is not an audit head: run \`npm run audit:head\` first`);
const m = await openModel(modelPath, env('RECKON_HEAD_THREADS', 1));
try {
  if (head.modelSha256 !== m.sha256) throw new Error(`${out} is for another model file: run \`npm run audit:head\` first`);
  const qs = questionSplit(readQuestions(root), 'train', env('RECKON_HEAD_N', 60), 101);
  const traces = [];
  for (const q of qs) traces.push(await m.trace(q.question));
  head.trace = fitTrace({ traces, piece: (id) => m.piece(id) });
  head.length = { ...fitLength({ traces }), canonical: fitCanonicalLength({ traces, pieces: head.trace.pieces }) };
  writeFileSync(out, `${JSON.stringify(head, null, 1)}\n`);
  process.stdout.write(`${out}: trace rules ${head.trace.rules.join(', ')}; left out ${JSON.stringify(head.trace.training['brokenBy'])} from ${traces.length} traces; length margin x${head.length.maxRatio.toFixed(3)} (median ${String(head.length.training['medianRatio'])}); canonical trace: ${String(head.length.canonical!.training['exact'])} exact, at most +${head.length.canonical!.maxOver} tokens, at least x${head.length.canonical!.minRatio.toFixed(3)}\n`);
} finally {
  await m.dispose();
}
