/**
 * @types/node keeps WebCrypto's types inside `webcrypto`; common/ and host/ name them as the Web platform does
 * (the renderer gets them from the DOM lib). Global aliases for the node program (tsconfig.node.json).
 */
type CryptoKey = import('node:crypto').webcrypto.CryptoKey;
type CryptoKeyPair = import('node:crypto').webcrypto.CryptoKeyPair;
type SubtleCrypto = import('node:crypto').webcrypto.SubtleCrypto;
type JsonWebKey = import('node:crypto').webcrypto.JsonWebKey;
