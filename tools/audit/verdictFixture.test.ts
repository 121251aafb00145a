/**
 * The auditor's verdicts on fixed receipts and fixed challenges, against a fixture written before the verify path
 * was optimised (issue 12: verify 32k hidden tokens <= 100 ms): speed work must not move a single check.
 * Regenerate only for an intended verdict change: RECKON_WRITE_FIXTURE=1 npx vitest run --project unit <this file>.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HiddenSegment } from '../../src-main/common/receipts';
import { ReceiptIssuer, auditReceipt, generateReceiptKeyPair, makeEmbeddingSpec } from '../../src-main/common/receipts';
import { mulberry32 } from '../../src-main/common/probe/rng';
import { honestTurn, randomProblem, seededRandom, syntheticTable, tokenize, traceText } from './synthetic';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'verdicts.json');

async function verdicts(): Promise<unknown[]> {
  const table = syntheticTable(64);
  const spec = makeEmbeddingSpec({ modelSha256: 'ab'.repeat(32), dims: table.dims, vocabSize: table.vocabSize });
  const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
  const rnd = seededRandom(11);
  const turn = honestTurn('fixture', randomProblem(rnd));
  const thinking = turn.segments.find((s) => s.kind === 'thinking')!.tokens;
  const cases: Record<string, HiddenSegment[]> = {
    honest: turn.segments,
    // whole blocks copied (exact duplicate sketches), one token repeated (filler), random tokens, another trace
    copies: [...turn.segments, { kind: 'thinking', tokens: [...thinking.slice(0, 64), ...thinking.slice(0, 64), ...thinking.slice(16, 48)] }],
    filler: [...turn.segments, { kind: 'thinking', tokens: Array<number>(400).fill(tokenize('.')[0]!) }],
    random: [...turn.segments, { kind: 'draft', tokens: Array.from({ length: 3000 }, () => 7 + Math.floor(rnd() * 95)) }],
    splice: [...turn.segments, { kind: 'thinking', tokens: tokenize(traceText(randomProblem(rnd)).repeat(3)) }],
  };
  const out: unknown[] = [];
  for (const [name, segments] of Object.entries(cases)) {
    const issued = await issuer.issue({ turnId: `fixture-${name}`, spec, segments, table });
    for (const [k, inflation] of [0.1, 0.045].entries()) {
      const v = await auditReceipt({
        receipt: issued.receipt, respond: (c) => issued.provider.respond(c), table,
        questionTokens: turn.questionTokens, answerTokens: turn.answerTokens, security: { inflation, detection: 0.99 },
        trustedPublicKey: await issuer.publicKey(), randomInt: ((r) => (b: number) => Math.floor(r() * b))(mulberry32(100 + k)),
      });
      // the signer's key is fresh each run; everything else is fixed by the receipt and the challenge
      out.push({
        name, inflation, ok: v.ok, sampleSize: v.sampleSize, counts: v.counts, treeSize: v.treeSize, flagged: v.flagged,
        checks: v.checks.filter((c) => c.name !== 'trust').map((c) => ({ name: c.name, passed: c.passed, detail: c.detail })),
      });
    }
  }
  return out;
}

describe('auditor verdicts against the pre-optimisation fixture', () => {
  it('gives the same checks, details and flagged leaves as before', async () => {
    const got = await verdicts();
    if (process.env['RECKON_WRITE_FIXTURE'] === '1') writeFileSync(FIXTURE, `${JSON.stringify(got, null, 1)}\n`);
    const want = JSON.parse(readFileSync(FIXTURE, 'utf8')) as unknown[];
    expect(got).toEqual(want);
    // the fixture exercises both verdicts and the duplicate and filler checks
    const flat = JSON.stringify(want);
    expect(flat).toContain('"ok":true');
    expect(flat).toContain('"ok":false');
    expect(flat).toContain('"duplicate-block"');
  }, 60_000);
});
