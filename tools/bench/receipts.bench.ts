/**
 * Receipt bench (issue 5 targets): build the commitment for 32k hidden tokens, and verify a receipt over them
 * (signature + 45 and 101 openings with proofs + semantic checks). Run: npx tsx tools/bench/receipts.bench.ts
 * Prints ms. Uses a synthetic table as wide as reckon-arith's embeddings (128).
 */
import { ReceiptIssuer, auditReceipt, generateReceiptKeyPair, makeEmbeddingSpec } from '../../src-main/common/receipts';
import { seededRandom, syntheticTable, tokenize } from '../audit/synthetic';

const N = Number(process.env.BENCH_TOKENS ?? 32768);
const dims = Number(process.env.BENCH_DIMS ?? 128); // reckon-arith's embedding length
const table = syntheticTable(dims);
const rnd = seededRandom(5);
const tokens = Array.from({ length: N }, () => 7 + Math.floor(rnd() * 95));
const spec = makeEmbeddingSpec({ modelSha256: 'ab'.repeat(32), dims, vocabSize: table.vocabSize });
const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
await issuer.publicKey();

const ms = (t0: number): string => (performance.now() - t0).toFixed(1);
for (let run = 0; run < 2; run++) {
  let t0 = performance.now();
  const issued = await issuer.issue({ turnId: 'bench', spec, segments: [{ kind: 'thinking', tokens }], table });
  console.log(`commit ${N} tokens (fingerprints + tree + signature), dims ${dims}: ${ms(t0)} ms`);
  for (const inflation of [0.1, 0.045]) {
    t0 = performance.now();
    const v = await auditReceipt({
      receipt: issued.receipt, respond: (c) => issued.provider.respond(c), table,
      questionTokens: tokenize('What is 12345+67890?'), answerTokens: tokenize('80235'),
      security: { inflation, detection: 0.99 }, trustedPublicKey: await issuer.publicKey(),
    });
    console.log(`verify receipt over ${N} tokens, ${v.sampleSize} openings (signature + proofs + semantic checks): ${ms(t0)} ms`);
  }
}
