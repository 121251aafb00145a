import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signReceipt, verifyReceipt } from '../common/receipts';
import type { ReceiptBody } from '../common/receipts';
import { RECEIPT_KEY_FILE, loadOrCreateReceiptKey } from './keyStore';

describe('receipt key store', () => {
  it('creates a 0600 key once and loads the same key after', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reckon-key-'));
    try {
      const a = await loadOrCreateReceiptKey(dir);
      const b = await loadOrCreateReceiptKey(dir);
      expect(a.created).toBe(true);
      expect(b.created).toBe(false);
      expect(b.publicKeyHex).toBe(a.publicKeyHex);
      expect((await stat(join(dir, RECEIPT_KEY_FILE))).mode & 0o777).toBe(0o600);
      const body = { version: 1, turnId: 't', modelSha256: 'ab'.repeat(32), embeddingSpec: { scheme: 'reckon-fp-1', modelSha256: 'ab'.repeat(32), tensor: 'token_embd.weight', dims: 4, vocabSize: 10, blockSize: 32, quantisation: { kind: 'int8-l2', scale: 127 }, sketch: { kind: 'simhash-pm1', bits: 128, seed: 's' } }, counts: { thinking: 0, overhead: { probe: 0, trial: 0, draft: 0, distill: 0 }, hidden: 0 }, treeSize: 0, root: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', blockSize: 32, blockCount: 0, sketchDigest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', createdAt: new Date(0).toISOString(), publicKey: a.publicKeyHex } satisfies ReceiptBody;
      expect((await verifyReceipt(await signReceipt(body, b.keyPair.privateKey))).ok).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
