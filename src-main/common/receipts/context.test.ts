import { describe, expect, it } from 'vitest';
import { auditReceipt, bindingProblems, contextProblems } from './auditor';
import { flatEmbeddingTable, makeEmbeddingSpec } from './fingerprint';
import type { HiddenSegment } from './fingerprint';
import { ReceiptIssuer, ReceiptProvider, contextHashes, generateReceiptKeyPair, receiptShapeProblems, signReceipt, verifyReceipt } from './receipt';
import type { ReceiptContext } from './types';

const DIMS = 8;
const data = Float32Array.from({ length: 40 * DIMS }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
const table = flatEmbeddingTable(data, DIMS);
const spec = makeEmbeddingSpec({ modelSha256: 'cd'.repeat(32), dims: DIMS, vocabSize: 40, blockSize: 4 });
const segments: HiddenSegment[] = [{ kind: 'thinking', tokens: [5, 6, 7, 8, 9, 10, 11, 12] }];
const context: ReceiptContext = {
  systemPrompt: 'You are Reckon.',
  history: [{ role: 'user', text: 'What is 37+48?' }, { role: 'assistant', text: '37 + 48 = 85' }],
};
const claim = { messageId: 'm1', conversationId: 'c1', question: 'And 85+1?', answer: '86' };

async function issued() {
  const keys = await generateReceiptKeyPair();
  const issuer = new ReceiptIssuer(keys);
  const r = await issuer.issue({
    turnId: 'm1', spec, segments, table,
    binding: { conversationId: 'c1', question: claim.question, answer: claim.answer, tokenizerSha256: null, plan: null, context },
  });
  return { ...r, keys };
}

describe('context binding', () => {
  it('signs the system prompt and the canonical history, and the hashes follow every character', async () => {
    const { receipt } = await issued();
    expect(receipt.systemPromptSha256).toBe(contextHashes(context).systemPromptSha256);
    expect(receipt.historySha256).toBe(contextHashes(context).historySha256);
    expect((await verifyReceipt(receipt)).ok).toBe(true);
    // Key order and extra fields of the history items do not change the hash; text, role and order do.
    const same = { ...context, history: context.history.map((h) => ({ text: h.text, role: h.role, extra: 1 } as never)) };
    expect(contextHashes(same)).toEqual(contextHashes(context));
    expect(contextHashes({ ...context, history: [...context.history].reverse() }).historySha256).not.toBe(receipt.historySha256);
    expect(contextHashes({ ...context, systemPrompt: 'You are Reckon. ' }).systemPromptSha256).not.toBe(receipt.systemPromptSha256);
    // Editing a signed hash breaks the signature.
    expect((await verifyReceipt({ ...receipt, historySha256: contextHashes({ ...context, history: [] }).historySha256 })).ok).toBe(false);
  });

  it('names each part of an export that disagrees with the signed context', async () => {
    const { receipt } = await issued();
    expect(bindingProblems(receipt, { ...claim, context })).toEqual([]);
    expect(contextProblems(receipt, undefined)).toEqual([]);
    expect(contextProblems(receipt, { ...context, systemPrompt: 'Be brief.' })).toEqual(['the system prompt is not the one the receipt signs']);
    const edited = { ...context, history: [context.history[0]!, { role: 'assistant' as const, text: '37 + 48 = 95' }] };
    expect(contextProblems(receipt, edited)).toEqual(['the 2 earlier turns are not the ones the receipt signs']);
    expect(contextProblems(receipt, { systemPrompt: 1, history: 'x' })[0]).toMatch(/not \{systemPrompt, history/);
  });

  it('an export with an edited context is FAILED by the sampling audit with the reason, never an exception', async () => {
    const { receipt, store, keys } = await issued();
    const provider = new ReceiptProvider(store);
    const run = (ctx: unknown) => auditReceipt({
      receipt, respond: (c) => provider.respond(c), table, questionTokens: [1], answerTokens: [2], trustedPublicKey: receipt.publicKey,
      binding: { ...claim, context: ctx as ReceiptContext }, thresholds: { minBlockLength: 100 },
    });
    const ok = await run(context);
    expect(ok.checks.find((c) => c.name === 'binding')).toMatchObject({ passed: true, detail: expect.stringMatching(/system prompt and earlier turns/) });
    for (const [bad, why] of [[{ ...context, history: [] }, /0 earlier turns/], [{ ...context, systemPrompt: '' }, /system prompt/], [{ history: null }, /not \{systemPrompt/]] as const) {
      const v = await run(bad);
      expect(v.ok).toBe(false);
      expect(v.meaning).toMatch(/^FAILED \(binding\)/);
      expect(v.checks.find((c) => c.name === 'binding')?.detail).toMatch(why);
    }
    // A receipt that carries only one of the two hashes is malformed, even when validly signed.
    const { historySha256: _h, signature: _s, ...half } = receipt;
    const resigned = await signReceipt(half, keys.privateKey);
    expect(receiptShapeProblems(resigned)).toContain('systemPromptSha256 and historySha256 come together');
  });

  it('receipts issued without a context still verify and bind no context', async () => {
    const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
    const { receipt } = await issuer.issue({ turnId: 'm1', spec, segments, table, binding: { conversationId: 'c1', question: claim.question, answer: claim.answer, tokenizerSha256: null, plan: null } });
    expect('systemPromptSha256' in receipt).toBe(false);
    expect((await verifyReceipt(receipt)).ok).toBe(true);
    expect(bindingProblems(receipt, { ...claim, context })).toEqual([]);
  });
});
