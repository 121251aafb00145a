import { describe, expect, it } from 'vitest';
import { auditReceipt } from './auditor';
import { fromBase64, toBase64 } from './bytes';
import type { EmbeddingTable, HiddenSegment } from './fingerprint';
import { decodeLeaf, encodeLeaf, fingerprintSegments, flatEmbeddingTable, leafBytes, makeEmbeddingSpec } from './fingerprint';
import { ReceiptIssuer, ReceiptProvider, generateReceiptKeyPair, receiptShapeProblems, signReceipt, verifyReceipt } from './receipt';
import type { ReceiptRemote } from './types';

/** A remote turn's receipt: header-only leaves (dims 0) and the server's identity, as the remote engine makes them. */
const remote: ReceiptRemote = { kind: 'llama-server', model: 'reckon-arith.gguf', build: 'b1-de3ff81', vocabSize: 358, params: 895616, size: 1793536 };
const spec = makeEmbeddingSpec({ modelSha256: 'ab'.repeat(32), dims: 0, vocabSize: 358, blockSize: 4 });
const none: EmbeddingTable = { dims: 0, vocabSize: 358, row: () => new Float32Array(0) };
const segments: HiddenSegment[] = [
  { kind: 'thinking', tokens: [351, 10, 11, 12, 13, 14, 352] },
  { kind: 'trial', tokens: [13, 352, 5, 20] },
];
const binding = { conversationId: 'c1', chatTurnId: null, question: 'What is 37+48?', answer: '85', tokenizerSha256: null, plan: null };

async function issue() {
  const keys = await generateReceiptKeyPair();
  const issued = await new ReceiptIssuer(keys).issueFromFingerprints({
    turnId: 'm1', binding, spec, fingerprints: fingerprintSegments(spec, segments, none), remote,
  });
  return { keys, issued };
}

const audit = (receipt: unknown, respond: ReceiptProvider['respond']) => auditReceipt({
  receipt, respond: (c) => respond(c), table: flatEmbeddingTable(new Float32Array(0), 1), questionTokens: [], answerTokens: [],
  trustedKeys: [{ publicKey: (receipt as { publicKey: string }).publicKey, trust: 'pinned' }],
  binding: { messageId: 'm1', conversationId: 'c1', question: binding.question, answer: binding.answer },
});

describe('remote receipts (header-only leaves)', () => {
  it('sign the server identity; an audit passes the commitment checks and says what it cannot vouch for', async () => {
    const { issued } = await issue();
    expect(issued.receipt.remote).toEqual(remote);
    expect(issued.receipt.treeSize).toBe(11);
    expect(fromBase64(issued.store.leaves).length).toBe(11 * leafBytes(0));
    expect((await verifyReceipt(issued.receipt)).ok).toBe(true);
    const v = await audit(issued.receipt, (c) => issued.provider.respond(c));
    expect(v.ok).toBe(true);
    expect(v.checks.map((c) => c.name)).toContain('remote');
    expect(v.checks.map((c) => c.name)).not.toContain('token-embedding');
    expect(v.meaning).toMatch(/cannot vouch for more: a remote llama-server running reckon-arith\.gguf .*no embeddings/);
  });

  it('a provider that opens another token id than it committed fails the audit', async () => {
    const { issued } = await issue();
    // Each opened leaf names the next token id: the Merkle proofs no longer lead to the signed root.
    const lying = (c: Parameters<ReceiptProvider['respond']>[0]) => {
      const r = issued.provider.respond(c);
      return {
        ...r, openings: r.openings.map((o) => {
          const f = decodeLeaf(fromBase64(o.leaf), 0)!;
          return { ...o, leaf: toBase64(encodeLeaf({ ...f, tokenId: f.tokenId + 1 }, 0)) };
        }),
      };
    };
    const v = await audit(issued.receipt, lying);
    expect(v.ok).toBe(false);
    expect(v.checks.find((c) => !c.passed)).toBeDefined();
  });

  it('header-only leaves only with a remote field, and a remote field only on header-only leaves', async () => {
    const { keys, issued } = await issue();
    const { signature: _s, remote: _r, ...body } = issued.receipt;
    const withoutRemote = await signReceipt(body, keys.privateKey);
    expect(receiptShapeProblems(withoutRemote)).toContain('embeddingSpec is not a reckon-fp-1 spec');
    const wide = await signReceipt({ ...issued.receipt, embeddingSpec: { ...spec, dims: 8 } }, keys.privateKey);
    expect(receiptShapeProblems(wide)).toContain('embeddingSpec is not a reckon-fp-1 spec');
    const bad = await signReceipt({ ...issued.receipt, remote: { ...remote, model: 7 as unknown as string } }, keys.privateKey);
    expect(receiptShapeProblems(bad)).toContain('remote must be {kind, model, build, vocabSize, params, size}');
  });
});
