/** Challenge sizing and the bit-exact checks of a response against a receipt (docs/audit-protocol.md). */
import { bytesEqual, fromBase64, fromHex, isHex, toHex } from './bytes';
import type { Fingerprint } from './fingerprint';
import { BLOCK_RECORD_BYTES, decodeLeaf } from './fingerprint';
import { InclusionVerifier, leafHash } from './merkle';
import { sha256 } from './sha256';
import type { AuditChallenge, AuditCheck, AuditResponse, Receipt } from './types';

/** The security parameter: catch a fraction `inflation` of bad leaves with probability >= `detection`. */
export interface SecurityParameter {
  /** Fraction of committed leaves that are fabricated (0 < f < 1). Defaults to 0.1. */
  inflation: number;
  /** Wanted detection probability (0 < p < 1). Defaults to 0.99. */
  detection: number;
  /** Bad leaves in the sample the auditor tolerates before failing (semantic checks only). Defaults to 0. */
  tolerance?: number;
}

export const DEFAULT_SECURITY: Required<SecurityParameter> = { inflation: 0.1, detection: 0.99, tolerance: 0 };

/** P(Binomial(n, f) <= t). */
export function binomialCdf(n: number, f: number, t: number): number {
  let term = Math.pow(1 - f, n), sum = 0;
  for (let k = 0; k <= t && k <= n; k++) {
    sum += term;
    term *= ((n - k) / (k + 1)) * (f / (1 - f));
  }
  return Math.min(1, sum);
}

/**
 * Leaves to open. With tolerance 0 this is n = ceil(ln(1 - p) / ln(1 - f)) (10 % at 99 % -> 44); with a
 * tolerance t it is the least n with P(Binomial(n, f) <= t) <= 1 - p.
 */
export function sampleSize(s: SecurityParameter): number {
  const { inflation: f, detection: p } = s;
  const t = s.tolerance ?? 0;
  if (!(f > 0 && f < 1 && p > 0 && p < 1) || !Number.isInteger(t) || t < 0) throw new RangeError('bad security parameter');
  if (t === 0) return Math.ceil(Math.log(1 - p) / Math.log(1 - f));
  let n = t + 1;
  while (binomialCdf(n, f, t) > 1 - p) n++;
  return n;
}

/** Probability that n opened leaves catch more than t bad ones when a fraction f is bad. */
export function detectionProbability(n: number, f: number, t = 0): number {
  return 1 - binomialCdf(n, f, t);
}

/** Uniform integer in [0, bound) from WebCrypto, by rejection sampling. */
export function cryptoRandomInt(bound: number): number {
  if (bound <= 0 || bound > 0x100000000) throw new RangeError('bound');
  const limit = Math.floor(0x100000000 / bound) * bound;
  const u = new Uint32Array(1);
  for (;;) {
    globalThis.crypto.getRandomValues(u);
    if (u[0]! < limit) return u[0]! % bound;
  }
}

/**
 * A challenge for `receipt`: the last index (treeSize - 1) plus min(n, treeSize - 1) distinct random others,
 * sorted. Opening the last leaf makes any count-only inflation fail for certain: a tree of M leaves cannot prove
 * a leaf at index N - 1 > M - 1 under the signed (root, N).
 */
export function makeChallenge(receipt: Pick<Receipt, 'turnId' | 'root' | 'treeSize'>, n: number, randomInt: (bound: number) => number = cryptoRandomInt): AuditChallenge {
  const picked = new Set<number>();
  if (receipt.treeSize > 0) {
    const m = receipt.treeSize - 1; // draw from 0 .. m-1, then add m itself
    const k = Math.min(n, m);
    // Floyd's algorithm: k distinct values without materialising 0..m-1.
    for (let j = m - k; j < m; j++) {
      const t = randomInt(j + 1);
      picked.add(picked.has(t) ? j : t);
    }
    picked.add(m);
  }
  const nonce = new Uint8Array(16);
  for (let i = 0; i < 16; i++) nonce[i] = randomInt(256);
  return { version: 1, turnId: receipt.turnId, root: receipt.root, treeSize: receipt.treeSize, indices: [...picked].sort((a, b) => a - b), nonce: toHex(nonce) };
}

export interface OpenedLeaf {
  index: number;
  fingerprint: Fingerprint;
}

export interface ResponseVerification {
  checks: AuditCheck[];
  /** Leaves whose proofs verified and that decoded; empty when any hard check failed. */
  opened: OpenedLeaf[];
  /** Block records (sketch, length, kind), when their digest matched. */
  blockRecords: Uint8Array | null;
  ok: boolean;
}

/**
 * Bit-exact checks of a response: it answers this challenge for this receipt, every asked index is opened once,
 * every leaf decodes, says its own index, and its audit path leads to the signed root for the signed tree size;
 * the block records hash to the signed digest and there is one per block.
 */
export function verifyResponse(receipt: Receipt, challenge: AuditChallenge, response: unknown): ResponseVerification {
  const checks: AuditCheck[] = [];
  const fail = (name: string, detail: string): ResponseVerification => {
    checks.push({ name, passed: false, detail });
    return { checks, opened: [], blockRecords: null, ok: false };
  };
  const r = response as AuditResponse;
  if (typeof r !== 'object' || r === null || r.version !== 1 || !Array.isArray(r.openings) || typeof r.sketches !== 'string') {
    return fail('response-shape', 'response is not a version 1 AuditResponse');
  }
  if (r.turnId !== receipt.turnId || r.root !== receipt.root || r.treeSize !== receipt.treeSize || r.nonce !== challenge.nonce) {
    return fail('response-binding', 'response names another receipt, root, tree size or nonce');
  }
  checks.push({ name: 'response-binding', passed: true, detail: 'answers this challenge for this receipt' });

  const root = fromHex(receipt.root);
  const dims = receipt.embeddingSpec.dims;
  const byIndex = new Map<number, (typeof r.openings)[number]>();
  for (const o of r.openings) {
    if (typeof o !== 'object' || o === null || !Number.isInteger(o.index) || byIndex.has(o.index)) return fail('proofs', 'malformed or repeated opening');
    byIndex.set(o.index, o);
  }
  const opened: OpenedLeaf[] = [];
  const bad: string[] = [];
  const inclusion = new InclusionVerifier(root, receipt.treeSize);
  // Windows of consecutive leaves carry the same upper proof entries thousands of times: check each string once.
  const hexOk = new Set<string>();
  const proofHex = (p: unknown): boolean => typeof p === 'string' && (hexOk.has(p) || (isHex(p, 32) && hexOk.add(p) !== undefined));
  for (const index of challenge.indices) {
    const o = byIndex.get(index);
    if (o === undefined) { bad.push(`${index}: not opened`); continue; }
    let leaf: Uint8Array;
    try {
      leaf = fromBase64(o.leaf);
      if (!Array.isArray(o.proof) || !o.proof.every(proofHex)) throw new RangeError('proof');
    } catch {
      bad.push(`${index}: undecodable`); continue;
    }
    if (!inclusion.verify(index, leafHash(leaf), o.proof)) { bad.push(`${index}: proof does not reach the root`); continue; }
    const fp = decodeLeaf(leaf, dims);
    if (fp === null) { bad.push(`${index}: not a reckon-fp-1 leaf`); continue; }
    if (fp.index !== index) { bad.push(`${index}: leaf says index ${fp.index}`); continue; }
    opened.push({ index, fingerprint: fp });
  }
  if (byIndex.size !== challenge.indices.length) bad.push(`${byIndex.size} openings for ${challenge.indices.length} asked`);
  if (bad.length > 0) return fail('proofs', `${bad.length} bad: ${bad.slice(0, 5).join('; ')}`);
  checks.push({ name: 'proofs', passed: true, detail: `${opened.length} inclusion proofs verify against the root for tree size ${receipt.treeSize}` });

  let records: Uint8Array;
  try { records = fromBase64(r.sketches); } catch { return fail('block-records', 'block records are not base64'); }
  if (records.length !== receipt.blockCount * BLOCK_RECORD_BYTES) return fail('block-records', `${records.length / BLOCK_RECORD_BYTES} block records for ${receipt.blockCount} blocks`);
  if (!bytesEqual(sha256(records), fromHex(receipt.sketchDigest))) return fail('block-records', 'block records do not match the signed digest');
  checks.push({ name: 'block-records', passed: true, detail: `${receipt.blockCount} block records match the signed digest` });
  return { checks, opened, blockRecords: records, ok: true };
}
