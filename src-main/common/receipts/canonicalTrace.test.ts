import { describe, expect, it } from 'vitest';
import { isAuditHead, type AuditHead } from './auditHead';
import { auditReceipt } from './auditor';
import { canonicalResult, canonicalTraceIds, canonicalTraceText } from './canonicalTrace';
import { flatEmbeddingTable, makeEmbeddingSpec } from './fingerprint';
import { ReceiptIssuer, generateReceiptKeyPair } from './receipt';
import type { HiddenSegment } from './fingerprint';

// Written by models/recipe/datagen.py (full_trace with the re-check) for these problems: the renderer must agree.
const RECIPE: [string, string][] = [
  ["What is 37 + 48?", "<think>\n37+48\n7+8+0=15 c1 -> 5\n3+4+1=8 c0 -> 85\nSo 37+48=85.\nWait, let me verify.\n7+8+0=15 c1 -> 5\n3+4+1=8 c0 -> 85\nYes, 85.\n</think>"],
  ["What is 496 + 504?", "<think>\n496+504\n6+4+0=10 c1 -> 0\n9+0+1=10 c1 -> 00\n4+5+1=10 c1 -> 000\nc1 -> 1000\nSo 496+504=1000.\nWait, let me verify.\n6+4+0=10 c1 -> 0\n9+0+1=10 c1 -> 00\n4+5+1=10 c1 -> 000\nc1 -> 1000\nYes, 1000.\n</think>"],
  ["What is 828729 - 725394?", "<think>\n828729-725394\n9-4-0=5 b0 -> 5\n12-9-0=3 b1 -> 35\n7-3-1=3 b0 -> 335\n8-5-0=3 b0 -> 3335\n2-2-0=0 b0 -> 03335\n8-7-0=1 b0 -> 103335\nSo 828729-725394=103335.\nWait, let me verify.\n9-4-0=5 b0 -> 5\n12-9-0=3 b1 -> 35\n7-3-1=3 b0 -> 335\n8-5-0=3 b0 -> 3335\n2-2-0=0 b0 -> 03335\n8-7-0=1 b0 -> 103335\nYes, 103335.\n</think>"],
  ["What is 1000 - 1?", "<think>\n1000-1\n10-1-0=9 b1 -> 9\n10-0-1=9 b1 -> 99\n10-0-1=9 b1 -> 999\n1-0-1=0 b0 -> 0999\n-> 999\nSo 1000-1=999.\nWait, let me verify.\n10-1-0=9 b1 -> 9\n10-0-1=9 b1 -> 99\n10-0-1=9 b1 -> 999\n1-0-1=0 b0 -> 0999\n-> 999\nYes, 999.\n</think>"],
  ["What is 77 * 88?", "<think>\n77*88\n77*8:\n7*8+0=56 c5 -> 6\n7*8+5=61 c6 -> 16\nc6 -> 616\n77*8:\n7*8+0=56 c5 -> 6\n7*8+5=61 c6 -> 16\nc6 -> 616\n616*10=6160\n616+6160:\n6+0+0=6 c0 -> 6\n1+6+0=7 c0 -> 76\n6+1+0=7 c0 -> 776\n0+6+0=6 c0 -> 6776\nSo 77*88=6776.\nWait, let me verify.\n77*8:\n7*8+0=56 c5 -> 6\n7*8+5=61 c6 -> 16\nc6 -> 616\n77*8:\n7*8+0=56 c5 -> 6\n7*8+5=61 c6 -> 16\nc6 -> 616\n616*10=6160\n616+6160:\n6+0+0=6 c0 -> 6\n1+6+0=7 c0 -> 76\n6+1+0=7 c0 -> 776\n0+6+0=6 c0 -> 6776\nYes, 6776.\n</think>"],
  ["What is 6 * 37?", "<think>\n6*37\n6*7:\n6*7=42\n6*3:\n6*3=18\n18*10=180\n42+180:\n2+0+0=2 c0 -> 2\n4+8+0=12 c1 -> 22\n0+1+1=2 c0 -> 222\nSo 6*37=222.\nWait, let me verify.\n6*7:\n6*7=42\n6*3:\n6*3=18\n18*10=180\n42+180:\n2+0+0=2 c0 -> 2\n4+8+0=12 c1 -> 22\n0+1+1=2 c0 -> 222\nYes, 222.\n</think>"],
  ["What is 29 * 8?", "<think>\n29*8\n9*8+0=72 c7 -> 2\n2*8+7=23 c2 -> 32\nc2 -> 232\nSo 29*8=232.\nWait, let me verify.\n9*8+0=72 c7 -> 2\n2*8+7=23 c2 -> 32\nc2 -> 232\nYes, 232.\n</think>"],
  ["What is 36 + 4 + 5 + 70 + 4 + 30?", "<think>\n36+4+5+70+4+30\n36+4: 6+4+0=10 c1 -> 0; 3+0+1=4 c0 -> 40. Now 40+5+70+4+30\n40+5: 0+5+0=5 c0 -> 5; 4+0+0=4 c0 -> 45. Now 45+70+4+30\n45+70: 5+0+0=5 c0 -> 5; 4+7+0=11 c1 -> 15; c1 -> 115. Now 115+4+30\n115+4: 5+4+0=9 c0 -> 9; 1+0+0=1 c0 -> 19; 1+0+0=1 c0 -> 119. Now 119+30\n119+30: 9+0+0=9 c0 -> 9; 1+3+0=4 c0 -> 49; 1+0+0=1 c0 -> 149. Now 149\nSo 36+4+5+70+4+30=149.\nWait, let me verify.\n119+30: 9+0+0=9 c0 -> 9; 1+3+0=4 c0 -> 49; 1+0+0=1 c0 -> 149. Now 149\nYes, 149.\n</think>"],
  ["What is 5 * 9 - 8 + 35 - 26 - 43?", "<think>\n5*9-8+35-26-43\n5*9=45. Now 45-8+35-26-43\n45-8: 15-8-0=7 b1 -> 7; 4-0-1=3 b0 -> 37. Now 37+35-26-43\n37+35: 7+5+0=12 c1 -> 2; 3+3+1=7 c0 -> 72. Now 72-26-43\n72-26: 12-6-0=6 b1 -> 6; 7-2-1=4 b0 -> 46. Now 46-43\n46-43: 6-3-0=3 b0 -> 3; 4-4-0=0 b0 -> 03; -> 3. Now 3\nSo 5*9-8+35-26-43=3.\nWait, let me verify.\n46-43: 6-3-0=3 b0 -> 3; 4-4-0=0 b0 -> 03; -> 3. Now 3\nYes, 3.\n</think>"],
  ["What is 38 - 29 + 5 + 21 + 16 - 2?", "<think>\n38-29+5+21+16-2\n38-29: 18-9-0=9 b1 -> 9; 3-2-1=0 b0 -> 09; -> 9. Now 9+5+21+16-2\n9+5: 9+5+0=14 c1 -> 4; c1 -> 14. Now 14+21+16-2\n14+21: 4+1+0=5 c0 -> 5; 1+2+0=3 c0 -> 35. Now 35+16-2\n35+16: 5+6+0=11 c1 -> 1; 3+1+1=5 c0 -> 51. Now 51-2\n51-2: 11-2-0=9 b1 -> 9; 5-0-1=4 b0 -> 49. Now 49\nSo 38-29+5+21+16-2=49.\nWait, let me verify.\n51-2: 11-2-0=9 b1 -> 9; 5-0-1=4 b0 -> 49. Now 49\nYes, 49.\n</think>"],
  ["What is 3 * 4 * 5?", "<think>\n3*4*5\n3*4=12. Now 12*5\n12*5: 2*5+0=10 c1 -> 0; 1*5+1=6 c0 -> 60. Now 60\nSo 3*4*5=60.\nWait, let me verify.\n12*5: 2*5+0=10 c1 -> 0; 1*5+1=6 c0 -> 60. Now 60\nYes, 60.\n</think>"],
];

describe('canonical trace of the bundled format', () => {
  it('renders what the recipe writes, for sums, differences, products and compound expressions', () => {
    for (const [q, t] of RECIPE) expect(canonicalTraceText(q), q).toBe(t);
  });

  it('spells the trace in the head\'s token pieces, and names the true result', () => {
    const pieces: Record<string, string> = { '1': '<think>', '2': '</think>', ...Object.fromEntries([...'\n0123456789+-*=:;.>, SWYacefilmorstvwy'].map((c, i) => [String(10 + i), c])) };
    const ids = canonicalTraceIds('What is 37 + 48?', pieces)!;
    expect(ids.map((id) => pieces[String(id)]).join('')).toBe(RECIPE[0]![1]);
    expect(canonicalTraceIds('What is 37 + 48?', { ...pieces, '19': 'X' })).toBeNull(); // no token for the digit 8
    expect(canonicalResult('What is 5 * 9 - 8 + 35 - 26 - 43?')).toBe('3');
  });

  it('is null outside the format', () => {
    for (const q of ['What is the capital of France?', 'What is 12?', 'What is 3 - 5?', 'What is 12 * 345?', 'What is 2 - 5 + 9?']) expect(canonicalTraceText(q), q).toBeNull();
  });
});

// A character vocabulary: id = char code, 200 = <think>, 201 = </think>; random rows.
const DIMS = 8;
const table = flatEmbeddingTable(Float32Array.from({ length: 256 * DIMS }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1), DIMS);
const spec = makeEmbeddingSpec({ modelSha256: 'cd'.repeat(32), dims: DIMS, vocabSize: 256, blockSize: 16 });
const pieces: Record<string, string> = Object.fromEntries([...Array(128).keys()].map((k) => [String(k), String.fromCharCode(k)]));
pieces['200'] = '<think>';
pieces['201'] = '</think>';
const ids = (text: string): number[] => [200, ...[...text.slice(7, -8)].map((c) => c.charCodeAt(0)), 201];
// Bag checks and the grammar switched off: the canonical length and the duplicate check judge here.
const head: AuditHead = {
  version: 1, modelSha256: spec.modelSha256, support: [...Array(256).keys()], numberTokens: [], commonNumberTokens: [], operatorTokens: [], compoundTokens: [],
  thresholds: { residual: Infinity, repetition: 1, foreignPlain: 1e9, foreignCompound: 1e9, duplicateL1: 0, minBagLength: 1e9 }, training: {},
  trace: { format: 'reckon-arith-columns-1', pieces, rules: [], training: {} },
  // A regression that would allow anything: the canonical bound must decide.
  length: { features: 'reckon-arith-1', coef: [1e6, 0, 0, 0, 0, 0], maxRatio: 1, minRatio: 0, training: {}, canonical: { format: 'reckon-arith-columns-1', maxOver: 4, minRatio: 0.7, training: {} } },
};

async function audit(question: string, segments: HiddenSegment[], drafts = 0) {
  const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
  const plan = { strategy: 'short-m@k', requested: 'auto', effort: 'auto', seed: null, thinkingBudget: null, trialTokens: 0, sampling: null, rounds: null, drafts } as const;
  const { receipt, provider } = await issuer.issue({ turnId: 't', spec, segments, table, binding: { conversationId: 'c', question, answer: 'a', tokenizerSha256: null, plan } });
  return auditReceipt({ receipt, table, questionTokens: [], answerTokens: [], trustedPublicKey: receipt.publicKey, question, answer: 'a', head, respond: (c) => provider.respond(c) });
}
const check = (v: Awaited<ReturnType<typeof audit>>, name: string) => v.checks.find((c) => c.name === name);
const text = (q: string): string => canonicalTraceText(q)!;

describe('sampling audit with the canonical trace length', () => {
  it('reads a head with a canonical length model, and refuses one whose bound is not a number', () => {
    expect(isAuditHead(head)).toBe(true);
    expect(isAuditHead({ ...head, length: { ...head.length!, canonical: { ...head.length!.canonical!, maxOver: 'four' } } })).toBe(false);
  });


  it('passes the canonical trace and a slip of a few tokens; bounds it by the exact count', async () => {
    const q = 'What is 496 + 504?';
    const v = await audit(q, [{ kind: 'thinking', tokens: ids(text(q)) }]);
    expect(check(v, 'trace-length')).toMatchObject({ passed: true, detail: expect.stringMatching(/^190 thinking tokens; an honest trace of this question runs at most 194 \(the canonical trace of this question is 190 tokens/) });
    // the model's own slip (a misread digit in the re-check, one digit more in its answer): 1 token over
    const slip = text(q).replace('4+5+1=10 c1 -> 000\nc1 -> 1000\nYes, 1000.', '6+5+1=12 c1 -> 200\nc1 -> 1200\nYes, 12000.');
    expect(check(await audit(q, [{ kind: 'thinking', tokens: ids(slip) }]), 'trace-length')).toMatchObject({ passed: true, detail: expect.stringMatching(/^191 thinking/) });
    // a trace that skipped the re-check is shorter: still within the bound
    expect(check(await audit(q, [{ kind: 'thinking', tokens: ids(text(q).replace(/\nWait[^]*(?=\n<\/think>)/, '')) }]), 'trace-length')?.passed).toBe(true);
  });

  it('fails 10 % of padding in the thinking, however well it reads: a second re-check, or other column work', async () => {
    const q = 'What is 828729 - 725394?';
    const t = text(q);
    const again = t.slice(t.indexOf('\nWait'), t.indexOf('\nYes'));
    const reverify = t.replace('\nYes', `${again.slice(0, Math.ceil(0.1 * t.length))}\nYes`);
    const splice = t.replace('\nYes', '\n4+1+0=5 c0 -> 5\n9+2+0=11 c1 -> 15\n1+0+1=2 c0 -> 215\nYes');
    for (const padded of [reverify, splice]) {
      const v = await audit(q, [{ kind: 'thinking', tokens: ids(padded) }]);
      expect(v.ok).toBe(false);
      expect(check(v, 'trace-length')).toMatchObject({ passed: false, detail: expect.stringMatching(/the canonical trace of this question is 300 tokens/) });
    }
  });

  it('fails a claimed draft shorter than a whole trace, and passes a whole one', async () => {
    const q = 'What is 77 * 88?';
    const t = ids(text(q));
    const short = await audit(q, [{ kind: 'thinking', tokens: t }, { kind: 'draft', tokens: t.slice(0, Math.floor(t.length / 2)) }], 2);
    expect(check(short, 'trace-length')?.passed).toBe(false);
    const whole = await audit(q, [{ kind: 'thinking', tokens: t }, { kind: 'draft', tokens: t }], 2);
    expect(check(whole, 'trace-length')?.passed).toBe(true);
    // sampled drafts slip more than greedy traces: they keep the regression's margin (here: anything), thinking does not
    const longer = [...t.slice(0, -1), ...ids(text(q)).slice(1, 21), t.at(-1)!];
    expect(check(await audit(q, [{ kind: 'thinking', tokens: t }, { kind: 'draft', tokens: longer }], 2), 'trace-length')?.passed).toBe(true);
    expect(check(await audit(q, [{ kind: 'thinking', tokens: longer }]), 'trace-length')?.passed).toBe(false);
  });

  it('does not call the canonical trace\'s own repeated blocks duplicates, and still fails a copied block', async () => {
    // 37 + 63: the re-check's first block lands on a block boundary, so it repeats a block of the work exactly.
    const q = 'What is 37 + 63?';
    const t = ids(text(q));
    const v = await audit(q, [{ kind: 'thinking', tokens: t }]);
    expect(check(v, 'duplicate-block')?.passed, check(v, 'duplicate-block')?.detail).toBe(true);
    const noCanon = await auditReceiptWithout(q, t);
    expect(check(noCanon, 'duplicate-block')?.passed).toBe(false);
    const copied = [...t.slice(0, 128), ...t.slice(0, 16), ...t.slice(128)];
    expect(check(await audit(q, [{ kind: 'thinking', tokens: copied }]), 'duplicate-block')?.passed).toBe(false);
  });
});

/** The same audit of the question's canonical trace under another question: no canonical repeats to excuse. */
async function auditReceiptWithout(question: string, tokens: number[]) {
  const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
  const { receipt, provider } = await issuer.issue({ turnId: 't', spec, segments: [{ kind: 'thinking', tokens }], table });
  return auditReceipt({ receipt, table, questionTokens: [], answerTokens: [], trustedPublicKey: receipt.publicKey, question: question.replace('37', '38'), answer: 'a', head, respond: (c) => provider.respond(c) });
}
