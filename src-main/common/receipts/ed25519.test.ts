import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './bytes';
import { ED25519_L, ed25519PublicKeyProblem, ed25519SignatureProblem } from './ed25519';
import { verifyReceipt, ReceiptIssuer, generateReceiptKeyPair, receiptSigningBytes, receiptBody } from './receipt';
import { flatEmbeddingTable, makeEmbeddingSpec } from './fingerprint';

// RFC 8032 section 7.1, TEST 1-3: secret seed, public key, message, signature.
const RFC8032 = [
  ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
  ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
  ['c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', 'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'],
] as const;

// The eight points of order dividing 8, as their canonical encodings (orders 1, 2, 4, 4, 8, 8, 8, 8).
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
];

// Non-canonical encodings: y = p, y = p + 1 (the identity again), y = 2^255 - 1, and x = 0 with the sign bit set.
const NON_CANONICAL = [
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0100000000000000000000000000000000000000000000000000000000000080',
];

const subtle = globalThis.crypto.subtle;
const buf = (b: Uint8Array): Uint8Array<ArrayBuffer> => { const c = new Uint8Array(b.length); c.set(b); return c; };
const le = (n: bigint): Uint8Array => { const o = new Uint8Array(32); for (let i = 0; i < 32; i++) { o[i] = Number(n & 255n); n >>= 8n; } return o; };
const leNum = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);

describe('strict Ed25519 keys and signatures', () => {
  it('accepts the RFC 8032 vectors, and WebCrypto reproduces their signatures from the seeds', async () => {
    for (const [seed, pub, msg, sig] of RFC8032) {
      expect(ed25519PublicKeyProblem(fromHex(pub))).toBeNull();
      expect(ed25519SignatureProblem(fromHex(sig))).toBeNull();
      const pkcs8 = fromHex(`302e020100300506032b657004220420${seed}`);
      const key = await subtle.importKey('pkcs8', buf(pkcs8), { name: 'Ed25519' }, false, ['sign']);
      expect(toHex(new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, buf(fromHex(msg)))))).toBe(sig);
    }
  });

  it('refuses the 8 small-order points as keys and as R', () => {
    for (const p of SMALL_ORDER) {
      expect(ed25519PublicKeyProblem(fromHex(p)), p).toMatch(/small-order/);
      expect(ed25519SignatureProblem(fromHex(p + '00'.repeat(32))), p).toMatch(/small-order/);
    }
  });

  it('refuses non-canonical point encodings (y >= p, x = 0 with the sign bit) and S >= L', () => {
    for (const p of NON_CANONICAL) expect(ed25519PublicKeyProblem(fromHex(p)), p).toMatch(/non-canonical/);
    const [, , , sig] = RFC8032[0];
    const s = leNum(fromHex(sig).subarray(32));
    const malleable = new Uint8Array(64);
    malleable.set(fromHex(sig).subarray(0, 32));
    malleable.set(le(s + ED25519_L), 32);
    expect(ed25519SignatureProblem(malleable)).toMatch(/S >= L/);
    malleable.set(le(ED25519_L), 32);
    expect(ed25519SignatureProblem(malleable)).toMatch(/S >= L/);
  });

  it('refuses an encoding that is no curve point (y = 2 has no x)', () => {
    expect(ed25519PublicKeyProblem(fromHex('02' + '00'.repeat(31)))).toMatch(/not a point on the curve/);
  });

  it('the identity-key forgery verifies under WebCrypto alone, and verifyReceipt refuses it', async () => {
    const table = flatEmbeddingTable(Float32Array.from({ length: 40 * 8 }, (_, i) => Math.sin(i + 1)), 8);
    const spec = makeEmbeddingSpec({ modelSha256: 'cd'.repeat(32), dims: 8, vocabSize: 40, blockSize: 4 });
    const { receipt } = await new ReceiptIssuer(await generateReceiptKeyPair()).issue({ turnId: 't', spec, segments: [{ kind: 'thinking', tokens: [1, 2, 3, 4, 5] }], table });
    const forged = { ...receiptBody(receipt), publicKey: '01' + '00'.repeat(31), treeSize: 5, signature: '01' + '00'.repeat(63) };
    const key = await subtle.importKey('raw', buf(fromHex(forged.publicKey)), { name: 'Ed25519' }, false, ['verify']);
    const webCrypto = await subtle.verify({ name: 'Ed25519' }, key, buf(fromHex(forged.signature)), buf(receiptSigningBytes(forged)));
    const v = await verifyReceipt(forged);
    expect(v.ok).toBe(false);
    expect(v.problems.join()).toMatch(/small-order/);
    // Documented in FINDINGS.md for Node 20; a runtime that already refuses it is fine too.
    expect(typeof webCrypto).toBe('boolean');
  });
});
