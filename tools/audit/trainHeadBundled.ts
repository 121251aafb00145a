/**
 * `npm run audit:head`: trains the bundled model's audit head on greedy traces of training questions
 * (models/golden/heldout.jsonl lines with index % 3 != 0; evaluation uses the others) and writes
 * models/audit/<model>.audit-head.json. Env: RECKON_HEAD_N (questions per tier, default 60), RECKON_HEAD_THREADS (1),
 * RECKON_HEAD_MODEL (a GGUF; default models/reckon-arith.gguf). Rerun whenever the model file changes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { auditHeadPath } from '../../src-main/host/services/ReceiptService';
import { fitLength, fitTrace, openModel, questionSplit, readQuestions, trainHead } from './realModel';

const root = resolve(import.meta.dirname, '../..');
const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const modelPath = resolve(process.env['RECKON_HEAD_MODEL'] ?? join(root, 'models/reckon-arith.gguf'));
const m = await openModel(modelPath, env('RECKON_HEAD_THREADS', 1));
try {
  const qs = questionSplit(readQuestions(root), 'train', env('RECKON_HEAD_N', 60), 101);
  const traces = [];
  for (const q of qs) traces.push(await m.trace(q.question));
  const head = trainHead({ traces, table: m.table, sha256: m.sha256, modelName: modelPath.replace(/^.*[\\/]/, '').replace(/\.gguf$/i, ''), tokenize: m.tokenize });
  // The trace grammar and the length model, from the same honest training traces (fitTraceBundled.ts refits only them).
  head.trace = fitTrace({ traces, piece: (id) => m.piece(id) });
  head.length = fitLength({ traces });
  const out = auditHeadPath(modelPath);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(head, null, 1)}\n`);
  process.stdout.write(`${out}: ${JSON.stringify(head.thresholds)} from ${traces.length} traces\n`);
} finally {
  await m.dispose();
}
