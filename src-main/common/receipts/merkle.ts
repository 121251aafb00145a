/**
 * Merkle tree in the style of RFC 6962 / RFC 9162 (Certificate Transparency):
 * leaf hash = SHA-256(0x00 || leaf), node hash = SHA-256(0x01 || left || right), and for n > 1 leaves the tree
 * splits at the largest power of two below n. Inclusion proofs are the audit paths of RFC 6962 section 2.1.1 and
 * are verified with the algorithm of RFC 9162 section 2.1.3.2, which binds the tree size: a proof only verifies
 * for the (index, size) it was made for, so no leaf can be added, dropped or moved unnoticed.
 */
import { fromHex } from './bytes';
import { Sha256, sha256Node } from './sha256';

export function leafHash(leaf: Uint8Array): Uint8Array {
  return new Sha256().updateByte(0x00).update(leaf).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  // The common case (two 32-byte hashes) skips the streaming hasher's per-call state: see sha256Node.
  return left.length === 32 && right.length === 32 ? sha256Node(left, right) : new Sha256().updateByte(0x01).update(left).update(right).digest();
}

/** Root of the empty tree: SHA-256 of the empty string. */
export function emptyRoot(): Uint8Array {
  return new Sha256().digest();
}

/**
 * A tree built once over all leaf hashes. Keeps every level (about 2n hashes, 64 bytes per leaf for 32-byte
 * hashes) so proofs are produced on demand in O(log n) without rehashing.
 *
 * Levels are built by pairing left to right and carrying a lone last node up unchanged, which yields exactly the
 * RFC 6962 tree (the split at the largest power of two below n).
 */
export class MerkleTree {
  private readonly levels: Uint8Array[][];

  private constructor(levels: Uint8Array[][]) {
    this.levels = levels;
  }

  /** Builds from raw leaves (each is hashed with the 0x00 prefix). */
  static fromLeaves(leaves: readonly Uint8Array[]): MerkleTree {
    return MerkleTree.fromLeafHashes(leaves.map(leafHash));
  }

  /** Builds from already computed leaf hashes (32 bytes each). */
  static fromLeafHashes(hashes: Uint8Array[]): MerkleTree {
    const levels: Uint8Array[][] = [hashes];
    let cur = hashes;
    while (cur.length > 1) {
      const next: Uint8Array[] = new Array(Math.ceil(cur.length / 2));
      for (let i = 0; i + 1 < cur.length; i += 2) next[i >> 1] = nodeHash(cur[i]!, cur[i + 1]!);
      if (cur.length % 2 === 1) next[next.length - 1] = cur[cur.length - 1]!;
      levels.push(next);
      cur = next;
    }
    return new MerkleTree(levels);
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  root(): Uint8Array {
    if (this.size === 0) return emptyRoot();
    return this.levels[this.levels.length - 1]![0]!;
  }

  leafHash(index: number): Uint8Array {
    this.checkIndex(index);
    return this.levels[0]![index]!;
  }

  /** The audit path for leaf `index`, bottom first (RFC 6962 PATH(m, D[n])). */
  proof(index: number): Uint8Array[] {
    this.checkIndex(index);
    const path: Uint8Array[] = [];
    let i = index;
    for (let l = 0; l < this.levels.length - 1; l++) {
      const level = this.levels[l]!;
      const sib = i ^ 1;
      if (sib < level.length) path.push(level[sib]!);
      i >>= 1;
    }
    return path;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`leaf index ${index} outside a tree of ${this.size}`);
    }
  }
}

/**
 * Root implied by an inclusion proof (RFC 9162 section 2.1.3.2), or null when the proof has the wrong shape for
 * (index, treeSize). Compare the result with the committed root.
 */
export function rootFromInclusionProof(leafHashValue: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[]): Uint8Array | null {
  if (!Number.isInteger(index) || !Number.isInteger(treeSize) || index < 0 || index >= treeSize || treeSize > 0xffffffff) return null;
  let fn = index, sn = treeSize - 1;
  let r = leafHashValue;
  for (const p of proof) {
    if (p.length !== 32 || sn === 0) return null;
    if ((fn & 1) === 1 || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1) === 0 && fn !== 0) { fn >>>= 1; sn >>>= 1; }
    } else {
      r = nodeHash(r, p);
    }
    fn >>>= 1; sn >>>= 1;
  }
  return sn === 0 ? r : null;
}

/** True when `proof` shows `leafHashValue` at `index` in the tree of `treeSize` leaves with root `root`. */
export function verifyInclusion(root: Uint8Array, treeSize: number, index: number, leafHashValue: Uint8Array, proof: readonly Uint8Array[]): boolean {
  const r = rootFromInclusionProof(leafHashValue, index, treeSize, proof);
  if (r === null || r.length !== root.length) return false;
  let d = 0;
  for (let i = 0; i < r.length; i++) d |= r[i]! ^ root[i]!;
  return d === 0;
}

/**
 * Verifies many inclusion proofs against one root, remembering every node a verified proof went through: a later
 * proof that reaches one of them with the same hash, and whose remaining entries are the ones that verified proof
 * had from there, is verified without hashing the rest. Windows of consecutive leaves share most of their paths,
 * so a window costs about two hashes a leaf instead of log2(n). Same verdicts as verifyInclusion.
 */
export class InclusionVerifier {
  /** Node position (height, index) -> its hash, and the verified proof (lowercase hex) and entry it sits at. */
  private readonly known = new Map<number, { hash: Uint8Array; proof: readonly string[]; at: number }>();

  constructor(private readonly root: Uint8Array, private readonly treeSize: number) {}

  /** `proof`: lowercase hex entries (the caller checked their form); decoded only as far as they are hashed. */
  verify(index: number, leafHashValue: Uint8Array, proof: readonly string[]): boolean {
    const treeSize = this.treeSize;
    if (!Number.isInteger(index) || !Number.isInteger(treeSize) || index < 0 || index >= treeSize || treeSize > 0xffffffff) return false;
    // The proof's shape for (index, treeSize) first (no hashing): exactly as many entries as steps to the root.
    let steps = 0;
    for (let fn = index, sn = treeSize - 1; sn !== 0; steps++) {
      if ((fn & 1) === 1 || fn === sn) { while ((fn & 1) === 0 && fn !== 0) { fn >>>= 1; sn >>>= 1; } }
      fn >>>= 1; sn >>>= 1;
    }
    if (steps !== proof.length) return false;
    let fn = index, sn = treeSize - 1, height = 0;
    let r = leafHashValue;
    const path: [number, Uint8Array, number][] = [];
    for (let k = 0; k < proof.length; k++) {
      const key = height * 0x100000000 + fn;
      const seen = this.known.get(key);
      if (seen !== undefined) {
        let same = bytesSame(seen.hash, r);
        for (let t = 0; same && k + t < proof.length; t++) same = proof[k + t] === seen.proof[seen.at + t];
        return this.settle(path, proof, same);
      }
      path.push([key, r, k]);
      const p = fromHex(proof[k]!);
      if (p.length !== 32) return false;
      if ((fn & 1) === 1 || fn === sn) {
        r = nodeHash(p, r);
        while ((fn & 1) === 0 && fn !== 0) { fn >>>= 1; sn >>>= 1; height++; }
      } else {
        r = nodeHash(r, p);
      }
      fn >>>= 1; sn >>>= 1; height++;
    }
    return this.settle(path, proof, bytesSame(r, this.root));
  }

  private settle(path: readonly [number, Uint8Array, number][], proof: readonly string[], ok: boolean): boolean {
    if (ok) for (const [key, hash, at] of path) this.known.set(key, { hash, proof, at });
    return ok;
  }
}

function bytesSame(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
