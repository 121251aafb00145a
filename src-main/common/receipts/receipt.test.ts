import { describe, expect, it } from 'vitest';
import { auditReceipt } from './auditor';
import { fromBase64, toBase64 } from './bytes';
import { canonicalJson } from './canonicalJson';
import { detectionProbability, makeChallenge, sampleSize, verifyResponse } from './challenge';
import type { HiddenSegment } from './fingerprint';
import { blockEmbedding, decodeLeaf, encodeLeaf, flatEmbeddingTable, makeEmbeddingSpec, quantiseUnit } from './fingerprint';
import { ReceiptIssuer, ReceiptProvider, generateReceiptKeyPair, verifyReceipt } from './receipt';

// A tiny table: 40 tokens × 8 dims, deterministic.
const DIMS = 8;
const data = Float32Array.from({ length: 40 * DIMS }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
const table = flatEmbeddingTable(data, DIMS);
const spec = makeEmbeddingSpec({ modelSha256: 'cd'.repeat(32), dims: DIMS, vocabSize: 40, blockSize: 4 });
const segments: HiddenSegment[] = [
  { kind: 'probe', tokens: [1, 2, 3] },
  { kind: 'thinking', tokens: [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] },
  { kind: 'trial', tokens: [20, 21] },
];

describe('canonical JSON', () => {
  it('sorts keys, drops undefined, rejects non-finite numbers', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 0, y: -1 } })).toBe('{"a":[true,null,"x"],"b":1,"d":{"y":-1,"z":0}}');
    expect(() => canonicalJson({ a: NaN })).toThrow(RangeError);
  });
});

describe('fingerprints', () => {
  it('quantises L2-normalised vectors to int8 with scale 127, rounding half away from zero', () => {
    expect([...quantiseUnit([3, 4])]).toEqual([76, 102]); // 0.6*127 = 76.2, 0.8*127 = 101.6
    expect([...quantiseUnit([-1, 0])]).toEqual([-127, 0]);
    expect([...quantiseUnit([0, 0])]).toEqual([0, 0]);
    expect([...blockEmbedding([[1, 0], [0, 1]], 2)]).toEqual([90, 90]);
  });

  it('leaves round-trip', () => {
    const f = { index: 70000, kind: 'draft' as const, tokenId: 123456, blockIndex: 2188, offsetInBlock: 3, segment: 4, blockEmbedding: Int8Array.of(1, -2, 3, -4, 5, -6, 7, -127), tokenEmbedding: Int8Array.of(127, 0, 0, 0, 0, 0, 0, -1) };
    expect(decodeLeaf(encodeLeaf(f, DIMS), DIMS)).toEqual(f);
    expect(decodeLeaf(new Uint8Array(5), DIMS)).toBeNull();
  });
});

describe('receipts', () => {
  it('issues a receipt that verifies, with treeSize = hidden count and counts by kind', async () => {
    const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
    const { receipt } = await issuer.issue({ turnId: 't1', spec, segments, table, createdAt: new Date(0) });
    expect(receipt.treeSize).toBe(16);
    expect(receipt.counts).toEqual({ thinking: 11, overhead: { probe: 3, trial: 2, draft: 0, distill: 0 }, hidden: 16 });
    expect(receipt.blockCount).toBe(1 + 3 + 1);
    expect((await verifyReceipt(receipt)).ok).toBe(true);
    expect((await verifyReceipt(receipt, { trustedPublicKey: receipt.publicKey })).ok).toBe(true);
    expect((await verifyReceipt(JSON.parse(JSON.stringify(receipt)))).ok).toBe(true);
  });

  it('rejects edited fields, a wrong key, count mismatches and bad shapes', async () => {
    const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
    const { receipt } = await issuer.issue({ turnId: 't1', spec, segments, table });
    const edits: object[] = [
      { root: '0'.repeat(64) }, { turnId: 't2' }, { createdAt: new Date(1).toISOString() },
      { counts: { ...receipt.counts, thinking: 12 } },
      { counts: { ...receipt.counts, thinking: 12, hidden: 17 }, treeSize: 17 },
      { embeddingSpec: { ...spec, blockSize: 8 } },
    ];
    for (const e of edits) expect((await verifyReceipt({ ...receipt, ...e })).ok).toBe(false);
    expect((await verifyReceipt(receipt, { trustedPublicKey: 'ee'.repeat(32) })).ok).toBe(false);
    expect((await verifyReceipt({ ...receipt, signature: 'zz' })).problems.join()).toMatch(/signature/);
    expect((await verifyReceipt(null)).ok).toBe(false);
  });

  it('a stored receipt answers challenges bit-exactly after a JSON round trip', async () => {
    const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
    const issued = await issuer.issue({ turnId: 't1', spec, segments, table });
    const provider = new ReceiptProvider(JSON.parse(JSON.stringify(issued.store)));
    const ch = makeChallenge(issued.receipt, 44);
    expect(ch.indices).toHaveLength(16);
    expect(ch.indices).toContain(15);
    const res = provider.respond(ch);
    expect(JSON.stringify(res)).not.toMatch(/thinking text/);
    const v = verifyResponse(issued.receipt, ch, res);
    expect(v.ok).toBe(true);
    expect(v.opened.map((o) => o.fingerprint.tokenId)).toEqual(segments.flatMap((s) => s.tokens));
    // a flipped leaf byte, a swapped opening or a missing one fails
    const leaf = fromBase64(res.openings[3]!.leaf); leaf[30]! ^= 1;
    expect(verifyResponse(issued.receipt, ch, { ...res, openings: res.openings.map((o, i) => (i === 3 ? { ...o, leaf: toBase64(leaf) } : o)) }).ok).toBe(false);
    expect(verifyResponse(issued.receipt, ch, { ...res, openings: res.openings.map((o, i) => (i === 3 ? { ...o, index: 4 } : i === 4 ? { ...o, index: 3 } : o)) }).ok).toBe(false);
    expect(verifyResponse(issued.receipt, ch, { ...res, openings: res.openings.slice(1) }).ok).toBe(false);
    expect(verifyResponse(issued.receipt, ch, { ...res, nonce: '00' }).ok).toBe(false);
    expect(verifyResponse(issued.receipt, ch, { ...res, sketches: toBase64(new Uint8Array(100)) }).ok).toBe(false);
  });
});

describe('challenge sizing', () => {
  it('follows n = ceil(ln(1-p)/ln(1-f))', () => {
    expect(sampleSize({ inflation: 0.1, detection: 0.99 })).toBe(44);
    expect(sampleSize({ inflation: 0.05, detection: 0.99 })).toBe(90);
    expect(sampleSize({ inflation: 0.1, detection: 0.99, tolerance: 1 })).toBe(64);
    expect(detectionProbability(44, 0.1)).toBeGreaterThanOrEqual(0.99);
    expect(() => sampleSize({ inflation: 0, detection: 0.99 })).toThrow(RangeError);
  });

  it('picks distinct indices below treeSize and always the last one', () => {
    const c = makeChallenge({ turnId: 't', root: '00'.repeat(32), treeSize: 32768 }, 44);
    expect(new Set(c.indices).size).toBe(45);
    expect(c.indices.every((i) => i >= 0 && i < 32768)).toBe(true);
    expect(c.indices.at(-1)).toBe(32767);
  });
});

describe('auditor (small)', () => {
  it('passes an honest receipt and fails a repeated-token filler receipt', async () => {
    const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
    const honestSegs: HiddenSegment[] = [{ kind: 'thinking', tokens: Array.from({ length: 64 }, (_, i) => (i * 7) % 40) }];
    const honest = await issuer.issue({ turnId: 'h', spec: { ...spec, blockSize: 16 }, segments: honestSegs, table });
    // this table is noise, so relevance and consistency are switched off: this test is about the mechanics
    const base = { table, questionTokens: [3, 10, 17], answerTokens: [24], modelSha256: spec.modelSha256, thresholds: { tokenBlockMinCos: -1, relevanceMinCos: -1 }, trustedKeys: [{ publicKey: await issuer.publicKey(), trust: 'own' as const }] };
    const v = await auditReceipt({ ...base, receipt: honest.receipt, respond: (c) => honest.provider.respond(c) });
    expect(v.checks.filter((c) => !c.passed)).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.sampleSize).toBe(45); // 44 random + the last index
    expect(v.confidence.probability).toBeGreaterThan(0.99);
    const filler = await issuer.issue({ turnId: 'f', spec: { ...spec, blockSize: 16 }, segments: [{ kind: 'thinking', tokens: Array.from({ length: 64 }, () => 9) }], table });
    const vf = await auditReceipt({ ...base, receipt: filler.receipt, respond: (c) => filler.provider.respond(c) });
    expect(vf.ok).toBe(false);
    expect(vf.checks.find((c) => c.name === 'filler')?.passed).toBe(false);
    expect(v.signer?.trust).toBe('own');
    expect(v.meaning).toMatch(/cannot prove the tokens were really generated/);
  });

  const thinking: HiddenSegment[] = [{ kind: 'thinking', tokens: Array.from({ length: 64 }, (_, i) => (i * 7) % 40) }];
  const mechanics = { tokenBlockMinCos: -1, relevanceMinCos: -1 };
  const binding = { conversationId: 'c1', question: 'What is 2+2?', answer: '4', tokenizerSha256: 'ab'.repeat(32), plan: null };

  it('v2 binds question, answer, message and conversation; a swapped part FAILS and names it', async () => {
    const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
    const issued = await issuer.issue({ turnId: 'm1', binding, spec: { ...spec, blockSize: 16 }, segments: thinking, table });
    expect(issued.receipt.version).toBe(2);
    const audit = (claimed: { messageId: string; conversationId?: string; question: string; answer: string }, keys = [{ publicKey: issued.receipt.publicKey, trust: 'pinned' as const }]) => auditReceipt({
      receipt: issued.receipt, respond: (c) => issued.provider.respond(c), table, questionTokens: [3], answerTokens: [4], thresholds: mechanics, trustedKeys: keys, binding: claimed,
    });
    const honest = await audit({ messageId: 'm1', conversationId: 'c1', question: binding.question, answer: binding.answer });
    expect(honest.ok).toBe(true);
    expect(honest.receiptVersion).toBe(2);
    for (const [claimed, why] of [
      [{ messageId: 'm1', question: 'What is 3+3?', answer: '4' }, /question is not the one/],
      [{ messageId: 'm1', question: binding.question, answer: '5' }, /answer is not the one/],
      [{ messageId: 'm2', question: binding.question, answer: '4' }, /message m2/],
      [{ messageId: 'm1', conversationId: 'c2', question: binding.question, answer: '4' }, /conversation c2/],
    ] as const) {
      const v = await audit(claimed);
      expect(v.ok).toBe(false);
      expect(v.checks.find((c) => c.name === 'binding')?.detail).toMatch(why);
      expect(v.meaning).toMatch(/^FAILED \(binding\)/);
    }
    const stranger = await audit({ messageId: 'm1', question: binding.question, answer: '4' }, []);
    expect(stranger.ok).toBe(false);
    expect(stranger.signer).toMatchObject({ trust: 'untrusted', publicKey: issued.receipt.publicKey });
    expect(stranger.checks.find((c) => c.name === 'trust')?.detail).toContain(stranger.signer!.fingerprint);
  });

  it('keeps verifying v1 receipts, marked weaker; v2 fields cannot be grafted onto one', async () => {
    const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
    const v1 = await issuer.issue({ turnId: 'old', spec: { ...spec, blockSize: 16 }, segments: thinking, table });
    expect(v1.receipt.version).toBe(1);
    const v = await auditReceipt({ receipt: v1.receipt, respond: (c) => v1.provider.respond(c), table, questionTokens: [3], answerTokens: [4], thresholds: mechanics, trustedPublicKey: v1.receipt.publicKey, binding: { messageId: 'old', question: 'anything', answer: 'x' } });
    expect(v.ok).toBe(true);
    expect(v.receiptVersion).toBe(1);
    expect(v.checks.find((c) => c.name === 'binding')?.detail).toMatch(/^v1: question\/answer not bound/);
    expect(v.meaning).toMatch(/v1 receipt/);
    expect((await verifyReceipt({ ...v1.receipt, questionSha256: 'aa'.repeat(32) })).problems.join()).toMatch(/no version 2 fields/);
    expect((await verifyReceipt({ ...v1.receipt, version: 2 })).ok).toBe(false);
  });

  it('draft tokens under a plan that ran no drafts fail the receipt; the signed plan is covered', async () => {
    const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
    const segs: HiddenSegment[] = [...thinking, { kind: 'draft', tokens: thinking[0]!.tokens }];
    const bad = await issuer.issue({ turnId: 'd', binding, spec: { ...spec, blockSize: 16 }, segments: segs, table });
    expect((await verifyReceipt(bad.receipt)).problems.join()).toMatch(/64 draft tokens committed under a plan that ran no parallel drafts/);
    const plan = { strategy: 'short-m@k', requested: 'auto', effort: 'auto', seed: 7, thinkingBudget: null, trialTokens: 0, sampling: { k: 2, m: 1 }, rounds: null, drafts: 2 };
    const ok = await issuer.issue({ turnId: 'd', binding: { ...binding, plan }, spec: { ...spec, blockSize: 16 }, segments: segs, table });
    expect((await verifyReceipt(ok.receipt)).ok).toBe(true);
    expect((await verifyReceipt({ ...ok.receipt, plan: { ...plan, seed: 8 } })).problems).toContain('signature does not verify');
  });

  it('catches re-tokenised inflation with the model tokenizer: whole blocks re-encode to fewer ids', async () => {
    // A toy tokenizer: ids 30..39 are two-character tokens ("aa".."jj") that 0..9 spell one character at a time.
    const canonical = (ids: readonly number[]): number[] => {
      const text = ids.map((id) => (id >= 30 ? String.fromCharCode(97 + id - 30).repeat(2) : String.fromCharCode(97 + id))).join('');
      const out: number[] = [];
      for (let i = 0; i < text.length;) {
        if (text[i] === text[i + 1] && text.charCodeAt(i) - 97 < 10) { out.push(30 + text.charCodeAt(i) - 97); i += 2; } else { out.push(text.charCodeAt(i) - 97); i++; }
      }
      return out;
    };
    const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
    const honestIds = Array.from({ length: 64 }, (_, i) => 30 + (i % 10));
    const inflated = honestIds.flatMap((id) => [id - 30, id - 30]);
    const opts = { table, questionTokens: [3], answerTokens: [4], thresholds: { ...mechanics, repetitionMinCos: 2 }, tokenizer: { canonical } };
    const h = await issuer.issue({ turnId: 'h', spec: { ...spec, blockSize: 16 }, segments: [{ kind: 'thinking', tokens: honestIds }], table });
    const vh = await auditReceipt({ ...opts, receipt: h.receipt, respond: (c) => h.provider.respond(c), trustedPublicKey: h.receipt.publicKey });
    expect(vh.checks.find((c) => c.name === 'canonical-tokens')?.passed).toBe(true);
    const f = await issuer.issue({ turnId: 'f', spec: { ...spec, blockSize: 16 }, segments: [{ kind: 'thinking', tokens: inflated }], table });
    const vf = await auditReceipt({ ...opts, receipt: f.receipt, respond: (c) => f.provider.respond(c), trustedPublicKey: f.receipt.publicKey });
    expect(vf.ok).toBe(false);
    expect(vf.checks.find((c) => c.name === 'canonical-tokens')?.detail).toMatch(/re-tokenised: tokens \d+\.\.\d+: 16 ids for text whose canonical tokenisation is 8/);
  });
});
