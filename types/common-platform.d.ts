/**
 * The Web APIs src-main/common may use: globals that Node (>= 20) and browsers both provide. common/ is checked
 * against ES2023 plus this file only (tsconfig.common.json), so a Node or DOM API slipping into the shared layer
 * fails the typecheck; the node and renderer programs check the same code against the platforms' real types.
 * Add a declaration here only for an API every runtime has.
 */

declare class TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}

declare function btoa(data: string): string;
declare function atob(data: string): string;

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** WebCrypto, as far as common/receipts uses it (Ed25519 keys, sign / verify, random values). */
interface CryptoKey {
  readonly type: string;
  readonly extractable: boolean;
  readonly algorithm: { name: string };
}
interface CryptoKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}
interface SubtleCrypto {
  generateKey(algorithm: { name: string }, extractable: boolean, usages: string[]): Promise<CryptoKeyPair | CryptoKey>;
  exportKey(format: 'raw', key: CryptoKey): Promise<ArrayBuffer>;
  importKey(format: 'raw', keyData: Uint8Array<ArrayBuffer>, algorithm: { name: string }, extractable: boolean, usages: string[]): Promise<CryptoKey>;
  sign(algorithm: { name: string }, key: CryptoKey, data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
  verify(algorithm: { name: string }, key: CryptoKey, signature: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<boolean>;
}
interface Crypto {
  readonly subtle: SubtleCrypto;
  getRandomValues<T extends ArrayBufferView>(array: T): T;
}
// eslint-disable-next-line no-var -- a global that globalThis.crypto reads must be declared with var
declare var crypto: Crypto;
