/**
 * The per-install receipt signing key: an Ed25519 key pair kept as a JWK file (mode 0600) in the user-data
 * folder, created on first use. The public key (hex) is what settings shows and what auditors pin.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exportPublicKeyHex, generateReceiptKeyPair } from '../common/receipts';

export const RECEIPT_KEY_FILE = 'receipt-key.json';

interface StoredKey { version: 1; privateJwk: JsonWebKey; publicJwk: JsonWebKey }

/** Loads `<userDataDir>/receipt-key.json`, or creates it. Writes atomically (temp + rename). */
export async function loadOrCreateReceiptKey(userDataDir: string): Promise<{ keyPair: CryptoKeyPair; publicKeyHex: string; created: boolean }> {
  const file = join(userDataDir, RECEIPT_KEY_FILE);
  const subtle = globalThis.crypto.subtle;
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as StoredKey;
    const privateKey = await subtle.importKey('jwk', stored.privateJwk, { name: 'Ed25519' }, false, ['sign']);
    const publicKey = await subtle.importKey('jwk', stored.publicJwk, { name: 'Ed25519' }, true, ['verify']);
    return { keyPair: { privateKey, publicKey }, publicKeyHex: await exportPublicKeyHex(publicKey), created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const keyPair = await generateReceiptKeyPair();
  const stored: StoredKey = {
    version: 1,
    privateJwk: await subtle.exportKey('jwk', keyPair.privateKey),
    publicJwk: await subtle.exportKey('jwk', keyPair.publicKey),
  };
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(stored), { mode: 0o600 });
  await rename(tmp, file);
  return { keyPair, publicKeyHex: await exportPublicKeyHex(keyPair.publicKey), created: true };
}
