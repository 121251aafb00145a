/** Hidden-token receipts: public surface (docs/receipts.md, docs/audit-protocol.md). */
export * from './types';
export * from './fingerprint';
export * from './merkle';
export * from './receipt';
export * from './challenge';
export * from './auditor';
export * from './replay';
export { canonicalJson } from './canonicalJson';
export { blockSketch, hamming } from './sketch';
export { sha256, Sha256 } from './sha256';
export { toHex, fromHex, toBase64, fromBase64, bytesEqual } from './bytes';
export * from './auditHead';
export { ed25519PublicKeyProblem, ed25519SignatureProblem, ED25519_L } from './ed25519';
export * from './traceGrammar';
export * from './traceLength';
export * from './canonicalTrace';
