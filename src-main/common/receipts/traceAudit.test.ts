import { describe, expect, it } from 'vitest';
import type { AuditHead } from './auditHead';
import { auditReceipt } from './auditor';
import { flatEmbeddingTable, makeEmbeddingSpec } from './fingerprint';
import { ReceiptIssuer, generateReceiptKeyPair } from './receipt';

// A character vocabulary: id = char code, 200 = <think>, 201 = </think>; random rows.
const DIMS = 8;
const table = flatEmbeddingTable(Float32Array.from({ length: 256 * DIMS }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1), DIMS);
const spec = makeEmbeddingSpec({ modelSha256: 'cd'.repeat(32), dims: DIMS, vocabSize: 256, blockSize: 16 });
const ids = (text: string): number[] => [200, ...[...text].map((c) => c.charCodeAt(0)), 201];
const pieces: Record<string, string> = Object.fromEntries([...Array(128).keys()].map((k) => [String(k), String.fromCharCode(k)]));
pieces['200'] = '<think>';
pieces['201'] = '</think>';
// Bag checks switched off: only the grammar and the length model judge here.
const head: AuditHead = {
  version: 1, modelSha256: spec.modelSha256, support: [...Array(256).keys()], numberTokens: [], commonNumberTokens: [], operatorTokens: [], compoundTokens: [],
  thresholds: { residual: Infinity, repetition: 1, foreignPlain: 1e9, foreignCompound: 1e9, duplicateL1: 0, minBagLength: 1e9 }, training: {},
  trace: { format: 'reckon-arith-columns-1', pieces, rules: ['answer-line', 'column-chain', 'question-line', 'segment-start'], training: {} },
  length: { features: 'reckon-arith-1', coef: [0, 0, 0, 0, 0, 0], maxRatio: 1, minRatio: 0.5, training: {} },
};
const honest = '\n37+48\n7+8+0=15 c1 -> 5\n3+4+1=8 c0 -> 85\nSo 37+48=85.\nWait, let me verify.\n7+8+0=15 c1 -> 5\n3+4+1=8 c0 -> 85\nYes, 85.\n';
const question = 'What is 37 + 48?', answer = '37 + 48 = 85';

async function audit(text: string, o: { respond?: 'refuse-windows'; lengthModel?: AuditHead['length'] } = {}) {
  const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
  const { receipt, provider } = await issuer.issue({ turnId: 't', spec, segments: [{ kind: 'thinking', tokens: ids(text) }], table });
  let calls = 0;
  return auditReceipt({
    receipt, table, questionTokens: [], answerTokens: [], trustedPublicKey: receipt.publicKey, question, answer,
    head: { ...head, length: o.lengthModel ?? { ...head.length!, coef: [200, 0, 0, 0, 0, 0] } },
    thresholds: { minBlockLength: 1000 },
    respond: (c) => {
      calls++;
      if (o.respond === 'refuse-windows' && calls > 1) throw new Error('not today');
      return provider.respond(c);
    },
  });
}
const check = (v: Awaited<ReturnType<typeof audit>>, name: string) => v.checks.find((c) => c.name === name);

describe('sampling audit with a trace grammar and a length model', () => {
  it('passes an honest trace: every window reads as this question\'s trace', async () => {
    const v = await audit(honest);
    expect(v.ok, v.meaning).toBe(true);
    expect(check(v, 'trace-grammar')?.detail).toMatch(/windows of up to 65 consecutive tokens read as this question's reckon-arith-columns-1 trace/);
    expect(check(v, 'trace-length')?.passed).toBe(true);
  });

  it('fails another question\'s columns spliced in before the closing line, and names the rule', async () => {
    const spliced = honest.replace('Yes, 85.', '1+2+0=3 c0 -> 3\n5+1+0=6 c0 -> 63\nYes, 85.');
    const v = await audit(spliced);
    expect(v.ok).toBe(false);
    expect(check(v, 'trace-grammar')).toMatchObject({ passed: false, detail: expect.stringMatching(/column-chain/) });
    // a trace that ends on another answer
    const other = await audit(honest.replace('Yes, 85.', 'Yes, 86.'));
    expect(check(other, 'trace-grammar')?.detail).toMatch(/answer-line/);
  });

  it('fails a signed thinking count beyond the fitted length, whatever the padding reads like', async () => {
    const v = await audit(honest, { lengthModel: { ...head.length!, coef: [60, 0, 0, 0, 0, 0] } });
    expect(check(v, 'trace-length')).toMatchObject({ passed: false, detail: expect.stringMatching(/^\d+ thinking tokens; an honest trace of this question runs at most 60/) });
    expect(v.ok).toBe(false);
  });

  it('a provider that will not open the windows fails the check instead of throwing', async () => {
    const v = await audit(honest, { respond: 'refuse-windows' });
    expect(v.ok).toBe(false);
    expect(check(v, 'trace-grammar')?.detail).toMatch(/did not open the trace windows: not today/);
  });
});
