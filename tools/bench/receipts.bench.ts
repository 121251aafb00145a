/**
 * Receipt bench (issue 5 targets): build the commitment for 32k hidden tokens, and verify a receipt over them
 * (signature + 45 and 102 openings with proofs + semantic checks; the provider's answer is part of the time, as it is
 * in a local audit). Run: npx tsx tools/bench/receipts.bench.ts. Prints ms: each commit, and the median of
 * BENCH_RUNS (default 7) verifications per sample size after one warm-up, then the same 45-leaf audit with an audit
 * head that has a trace grammar (the bag checks of every opened block, and a window of 65 consecutive leaves opened
 * and read around each sampled one: ~3,000 more openings). Uses a synthetic table as wide as reckon-arith's
 * embeddings (128), with a 95-token reasoning vocabulary (the bag fits' worst case); then the same audit with the
 * bundled model's own table and head (its 45-token reasoning vocabulary, canonical length, grammar) over 32k tokens
 * of its own format (one question's canonical trace, repeated), when models/reckon-arith.gguf is there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { ReceiptIssuer, auditReceipt, canonicalTraceIds, generateReceiptKeyPair, makeEmbeddingSpec, type AuditHead } from '../../src-main/common/receipts';
import { TokenEmbeddings } from '../../src-main/engine/receipts/TokenEmbeddings';
import { seededRandom, syntheticTable, tokenize } from '../audit/synthetic';

const N = Number(process.env.BENCH_TOKENS ?? 32768);
const dims = Number(process.env.BENCH_DIMS ?? 128); // reckon-arith's embedding length
const runs = Number(process.env.BENCH_RUNS ?? 7);
const table = syntheticTable(dims);
const rnd = seededRandom(5);
const tokens = Array.from({ length: N }, () => 7 + Math.floor(rnd() * 95));
const spec = makeEmbeddingSpec({ modelSha256: 'ab'.repeat(32), dims, vocabSize: table.vocabSize });
const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
const publicKey = await issuer.publicKey();

const ms = (t0: number): string => (performance.now() - t0).toFixed(1);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let issued = await issuer.issue({ turnId: 'bench', spec, segments: [{ kind: 'thinking', tokens }], table });
for (let run = 0; run < 2; run++) {
  const t0 = performance.now();
  issued = await issuer.issue({ turnId: 'bench', spec, segments: [{ kind: 'thinking', tokens }], table });
  console.log(`commit ${N} tokens (fingerprints + tree + signature), dims ${dims}: ${ms(t0)} ms`);
}
// The bundled head's thresholds and fitted rules, over the synthetic vocabulary (printable characters from id 7).
const bundled = JSON.parse(readFileSync(join(import.meta.dirname, '../../models/audit/reckon-arith.audit-head.json'), 'utf8')) as AuditHead;
const ids = Array.from({ length: 95 }, (_, k) => 7 + k);
const grammarHead: AuditHead = {
  ...bundled, modelSha256: spec.modelSha256, support: ids, questionSupport: ids, length: undefined,
  trace: { ...bundled.trace!, pieces: Object.fromEntries(ids.map((id) => [String(id), String.fromCharCode(id - 7 + 32)])) },
};
for (const [inflation, head] of [[0.1, undefined], [0.045, undefined], [0.1, { ...grammarHead, trace: undefined }], [0.1, grammarHead]] as const) {
  const times: number[] = [];
  let sample = 0;
  for (let run = 0; run <= runs; run++) {
    const t0 = performance.now();
    const v = await auditReceipt({
      receipt: issued.receipt, respond: (c) => issued.provider.respond(c), table,
      questionTokens: tokenize('What is 12345+67890?'), answerTokens: tokenize('80235'),
      security: { inflation, detection: 0.99 }, trustedPublicKey: publicKey,
      ...(head !== undefined ? { head, question: 'What is 12345+67890?', answer: '80235' } : {}),
    });
    if (run > 0) times.push(performance.now() - t0);
    sample = v.sampleSize;
  }
  console.log(`verify receipt over ${N} tokens, ${sample} openings (signature + proofs + semantic checks${head === undefined ? '' : head.trace === undefined ? ' + head bag checks' : ' + head bag checks + trace-grammar windows'}): median ${median(times).toFixed(1)} ms of ${runs} (${times.map((t) => t.toFixed(0)).join(' ')})`);
}

const gguf = join(import.meta.dirname, '../../models/reckon-arith.gguf');
if (existsSync(gguf)) {
  const real = await TokenEmbeddings.open(gguf);
  const q = 'What is 36 + 4 + 5 + 70 + 4 + 30?';
  const trace = canonicalTraceIds(q, bundled.trace!.pieces)!;
  const realTokens = Array.from({ length: N }, (_, i) => trace[i % trace.length]!);
  const realSpec = makeEmbeddingSpec({ modelSha256: bundled.modelSha256, dims: real.dims, vocabSize: real.vocabSize });
  const r = await issuer.issue({ turnId: 'bench-real', spec: realSpec, segments: [{ kind: 'thinking', tokens: realTokens }], table: real });
  const tok = (t: string): number[] => [...t].map((c) => Number(Object.entries(bundled.trace!.pieces).find(([, p]) => p === c)?.[0] ?? 0));
  const times: number[] = [];
  let sample = 0;
  for (let run = 0; run <= runs; run++) {
    const t0 = performance.now();
    const v = await auditReceipt({
      receipt: r.receipt, respond: (c) => r.provider.respond(c), table: real, questionTokens: tok(q), answerTokens: tok('149'),
      security: { inflation: 0.1, detection: 0.99 }, trustedPublicKey: publicKey, head: bundled, question: q, answer: `${q.slice(8, -1)} = 149`,
    });
    if (run > 0) times.push(performance.now() - t0);
    sample = v.sampleSize;
  }
  console.log(`verify receipt over ${N} tokens of reckon-arith's format with its own table and head, ${sample} openings (everything above + canonical length): median ${median(times).toFixed(1)} ms of ${runs} (${times.map((t) => t.toFixed(0)).join(' ')})`);
}
