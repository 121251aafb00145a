/**
 * The per-install receipt signing key: an Ed25519 key pair kept as a JWK file (mode 0600) in the user-data
 * folder, created on first use. The public key (hex) is what settings shows and what auditors pin.
 * It lives in the host and never leaves it: the engine only sees hidden tokens, never the key.
 */
import type { z } from 'zod';
import { exportPublicKeyHex, generateReceiptKeyPair } from '../../common/receipts';
import { trustedKeysFileSchema } from '../../common/schemas';
import type { JsonDoc, Store } from './Store';
import { stored, type StoredReceiptKey } from './shapes';

/** The file name every install has used; kept so existing installs keep their key. */
export const RECEIPT_KEY_FILE = 'receipt-key.json';

export interface ReceiptKey {
  keyPair: CryptoKeyPair;
  publicKeyHex: string;
  /** True when this call made a new key (first use, or the old file was set aside). */
  created: boolean;
}

function keyDoc(store: Store): JsonDoc<StoredReceiptKey> {
  return store.json(RECEIPT_KEY_FILE, {
    parse: stored('receiptKey'),
    mode: 0o600,
    describe: (file, aside) =>
      `The receipt signing key ${file} was unreadable and was set aside (as ${aside}); a new key was made. ` +
      'Receipts issued before keep their old signature but can no longer be re-signed with this install\'s key, ' +
      'and auditors who pinned the old public key must pin the new one.',
  });
}

/** Loads `<userDataDir>/receipt-key.json`, or creates it; a corrupt file is set aside with a notice first. */
export async function loadOrCreateReceiptKey(store: Store): Promise<ReceiptKey> {
  const doc = keyDoc(store);
  const subtle = globalThis.crypto.subtle;
  const existing = await doc.read();
  if (existing !== null) {
    try {
      const privateKey = await subtle.importKey('jwk', existing.privateJwk as JsonWebKey, { name: 'Ed25519' }, false, ['sign']);
      const publicKey = await subtle.importKey('jwk', existing.publicJwk as JsonWebKey, { name: 'Ed25519' }, true, ['verify']);
      return { keyPair: { privateKey, publicKey }, publicKeyHex: await exportPublicKeyHex(publicKey), created: false };
    } catch {
      // Well-formed JSON the crypto library still refuses: as unusable as a torn file.
      await doc.setAside();
    }
  }
  const keyPair = await generateReceiptKeyPair();
  // Written through the same schema it is read with: a key the file could not hold is never stored.
  await doc.write(stored('receiptKey')({
    version: 1,
    privateJwk: await subtle.exportKey('jwk', keyPair.privateKey),
    publicJwk: await subtle.exportKey('jwk', keyPair.publicKey),
  }));
  return { keyPair, publicKeyHex: await exportPublicKeyHex(keyPair.publicKey), created: true };
}

/** The file of keys the user pinned and remote issuers trusted on first use. */
export const TRUSTED_KEYS_FILE = 'trusted-keys.json';

export type TrustedKeysFile = z.output<typeof trustedKeysFileSchema>;
export type TrustedKeyEntry = TrustedKeysFile['keys'][number];

/** Normalises a pasted key (hex, any case, spaces and colons allowed) to 64 lower-case hex; null when it is not one. */
export function normalisePublicKey(text: string): string | null {
  const hex = text.replace(/[\s:]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

/** <userDataDir>/trusted-keys.json through the store (atomic; a corrupt file is set aside with a notice). */
export function trustedKeysDoc(store: Store): JsonDoc<TrustedKeysFile> {
  return store.json(TRUSTED_KEYS_FILE, {
    parse: (raw) => trustedKeysFileSchema.parse(raw),
    pretty: true,
    describe: (file, aside) =>
      `The trusted receipt keys ${file} were unreadable and were set aside (as ${aside}); pinned keys and remembered ` +
      'remote issuers are forgotten until you trust them again (Settings, or `reckon keys trust`).',
  });
}
