import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signReceipt, verifyReceipt } from '../../common/receipts';
import type { ReceiptBody } from '../../common/receipts';
import { RECEIPT_KEY_FILE, loadOrCreateReceiptKey } from './receiptKey';
import { Store } from './Store';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'reckon-key-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

function body(publicKey: string): ReceiptBody {
  return { version: 1, turnId: 't', modelSha256: 'ab'.repeat(32), embeddingSpec: { scheme: 'reckon-fp-1', modelSha256: 'ab'.repeat(32), tensor: 'token_embd.weight', dims: 4, vocabSize: 10, blockSize: 32, quantisation: { kind: 'int8-l2', scale: 127 }, sketch: { kind: 'simhash-pm1', bits: 128, seed: 's' } }, counts: { thinking: 0, overhead: { probe: 0, trial: 0, draft: 0, distill: 0 }, hidden: 0 }, treeSize: 0, root: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', blockSize: 32, blockCount: 0, sketchDigest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', createdAt: new Date(0).toISOString(), publicKey } satisfies ReceiptBody;
}

describe('receipt key store', () => {
  it('creates a 0600 key once and loads the same key after', async () => {
    const a = await loadOrCreateReceiptKey(await Store.open(dir));
    const b = await loadOrCreateReceiptKey(await Store.open(dir));
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.publicKeyHex).toBe(a.publicKeyHex);
    expect((await stat(join(dir, RECEIPT_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect((await verifyReceipt(await signReceipt(body(a.publicKeyHex), b.keyPair.privateKey))).ok).toBe(true);
  });

  it('reads a key file in the format earlier installs wrote (same file, same key)', async () => {
    const subtle = globalThis.crypto.subtle;
    const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const legacy = { version: 1, privateJwk: await subtle.exportKey('jwk', pair.privateKey), publicJwk: await subtle.exportKey('jwk', pair.publicKey) };
    await writeFile(join(dir, RECEIPT_KEY_FILE), JSON.stringify(legacy), { mode: 0o600 });
    const k = await loadOrCreateReceiptKey(await Store.open(dir));
    expect(k.created).toBe(false);
    const raw = Buffer.from(await subtle.exportKey('raw', pair.publicKey)).toString('hex');
    expect(k.publicKeyHex).toBe(raw);
  });

  it.each([
    ['torn JSON', '{"version":1,"privateJwk":{"kty":"OKP"'],
    ['the wrong shape', JSON.stringify({ version: 1, privateJwk: { kty: 'RSA' }, publicJwk: {} })],
  ])('sets a key file with %s aside, says so in a notice and makes a new key', async (_what, text) => {
    await writeFile(join(dir, RECEIPT_KEY_FILE), text);
    const store = await Store.open(dir);
    const k = await loadOrCreateReceiptKey(store);
    expect(k.created).toBe(true);
    const names = await readdir(dir);
    const aside = names.find((n) => n.startsWith(`${RECEIPT_KEY_FILE}.corrupt-`));
    expect(aside).toBeDefined();
    expect(await readFile(join(dir, aside!), 'utf8')).toBe(text);
    expect(store.notices().map((n) => n.message)).toEqual([expect.stringMatching(/receipt signing key receipt-key\.json was unreadable .*a new key was made.*can no longer be re-signed/)]);
    // The new key is on disk and is the one the next start loads.
    expect((await loadOrCreateReceiptKey(await Store.open(dir))).publicKeyHex).toBe(k.publicKeyHex);
  });
});
