import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './bytes';
import { InclusionVerifier, MerkleTree, emptyRoot, leafHash, nodeHash, rootFromInclusionProof, verifyInclusion } from './merkle';
import { sha256, sha256Node } from './sha256';

// RFC 6962 / Certificate Transparency reference inputs and tree heads for sizes 1..8.
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** The RFC 6962 definition, written out recursively with WebCrypto as an independent reference. */
async function refRoot(leaves: Uint8Array[]): Promise<Uint8Array> {
  const h = async (...parts: Uint8Array[]): Promise<Uint8Array> => {
    const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  };
  if (leaves.length === 0) return h();
  if (leaves.length === 1) return h(Uint8Array.of(0), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return h(Uint8Array.of(1), await refRoot(leaves.slice(0, k)), await refRoot(leaves.slice(k)));
}

describe('sha256', () => {
  it('matches WebCrypto on lengths around every block boundary', async () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 255);
      expect(toHex(sha256(data))).toBe(toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data))));
    }
    expect(toHex(sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('the interior-node fast path equals WebCrypto over 0x01 || left || right, call after call', async () => {
    for (let k = 0; k < 20; k++) {
      const l = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + k * 7) & 255), r = Uint8Array.from({ length: 32 }, (_, i) => (255 - i * k) & 255);
      const want = new Uint8Array(await crypto.subtle.digest('SHA-256', Uint8Array.from([1, ...l, ...r])));
      expect(toHex(sha256Node(l, r))).toBe(toHex(want));
      expect(toHex(nodeHash(l, r))).toBe(toHex(want));
    }
  });
});

describe('MerkleTree (RFC 6962)', () => {
  it('reproduces the Certificate Transparency tree heads', () => {
    expect(toHex(emptyRoot())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(MerkleTree.fromLeaves([]).root())).toBe(toHex(emptyRoot()));
    for (let n = 1; n <= 8; n++) expect(toHex(MerkleTree.fromLeaves(CT_LEAVES.slice(0, n)).root())).toBe(CT_ROOTS[n - 1]);
  });

  it('produces the reference audit paths', () => {
    const t = MerkleTree.fromLeaves(CT_LEAVES);
    expect(t.proof(0).map(toHex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(t.proof(5).map(toHex)).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
  });

  it('builds a 3-leaf tree by hand', () => {
    const [a, b, c] = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)];
    const hand = nodeHash(nodeHash(leafHash(a), leafHash(b)), leafHash(c));
    const t = MerkleTree.fromLeaves([a, b, c]);
    expect(toHex(t.root())).toBe(toHex(hand));
    expect(t.proof(2).map(toHex)).toEqual([toHex(nodeHash(leafHash(a), leafHash(b)))]);
    expect(t.proof(0).map(toHex)).toEqual([toHex(leafHash(b)), toHex(leafHash(c))]);
  });

  it('agrees with the recursive definition and verifies every proof, for sizes 1..40', async () => {
    for (let n = 1; n <= 40; n++) {
      const leaves = Array.from({ length: n }, (_, i) => Uint8Array.of(i, n));
      const t = MerkleTree.fromLeaves(leaves);
      expect(toHex(t.root())).toBe(toHex(await refRoot(leaves)));
      for (let i = 0; i < n; i++) expect(verifyInclusion(t.root(), n, i, leafHash(leaves[i]!), t.proof(i))).toBe(true);
    }
  });

  it('rejects tampered proofs, wrong index, wrong size, wrong leaf', () => {
    const n = 13;
    const leaves = Array.from({ length: n }, (_, i) => Uint8Array.of(i));
    const t = MerkleTree.fromLeaves(leaves);
    const root = t.root();
    for (let i = 0; i < n; i++) {
      const lh = leafHash(leaves[i]!);
      const p = t.proof(i);
      for (let j = 0; j < p.length; j++) {
        const bad = p.map((x) => x.slice());
        bad[j]![0]! ^= 1;
        expect(verifyInclusion(root, n, i, lh, bad)).toBe(false);
      }
      for (let k = 0; k < n + 3; k++) if (k !== i) expect(verifyInclusion(root, n, k, lh, p)).toBe(false);
      if (i === n - 1) for (let size = 1; size <= 2 * n; size++) if (size !== n) expect(verifyInclusion(root, size, i, lh, p)).toBe(false);
      expect(verifyInclusion(root, i, i, lh, p)).toBe(false);
      expect(verifyInclusion(root, n, i, leafHash(Uint8Array.of(99)), p)).toBe(false);
      expect(verifyInclusion(root, n, i, lh, [...p, p[0]!])).toBe(false);
      expect(verifyInclusion(root, n, i, lh, p.slice(1))).toBe(false);
    }
  });

  it('a verifier that remembers verified nodes gives verifyInclusion\'s verdict on every proof, good or tampered, in any order', () => {
    for (const n of [1, 2, 3, 5, 13, 32, 40]) {
      const leaves = Array.from({ length: n }, (_, i) => Uint8Array.of(i, n));
      const t = MerkleTree.fromLeaves(leaves);
      const v = new InclusionVerifier(t.root(), n);
      const check = (i: number, lh: Uint8Array, p: Uint8Array[]): void => {
        expect(v.verify(i, lh, p.map(toHex)), `${n}/${i}`).toBe(verifyInclusion(t.root(), n, i, lh, p));
      };
      for (const i of [...Array(n).keys()].sort((a, b) => ((a * 7) % n) - ((b * 7) % n))) {
        const lh = leafHash(leaves[i]!), p = t.proof(i);
        for (let j = 0; j < p.length; j++) { const bad = p.map((x) => x.slice()); bad[j]![0]! ^= 1; check(i, lh, bad); }
        check(i, leafHash(Uint8Array.of(99)), p);
        if (p.length > 0) check(i, lh, [...p, p[0]!]);
        check(i, lh, p.slice(1));
        for (let k = 0; k < n + 2; k++) check(k, lh, p);
        check(i, lh, p);
        check(i, lh, p); // again, now from memory
      }
      // a leaf of another tree, with its own valid proof, does not pass on this tree's remembered nodes
      const other = MerkleTree.fromLeaves(leaves.map((l) => Uint8Array.of(l[0]!, 255)));
      for (let i = 0; i < n; i++) expect(v.verify(i, leafHash(Uint8Array.of(i, 255)), other.proof(i).map(toHex))).toBe(false);
    }
  });

  it('binds the size through the right edge: a tree of M leaves cannot open index N-1 for a claimed N > M', () => {
    // Left-subtree paths do not depend on the exact size (sizes 9..16 share leaf 0's path shape), which is why the
    // receipt signs (root, treeSize) together and every challenge opens the last index.
    const leaves = Array.from({ length: 13 }, (_, i) => Uint8Array.of(i));
    const t = MerkleTree.fromLeaves(leaves);
    expect(verifyInclusion(t.root(), 16, 0, leafHash(leaves[0]!), t.proof(0))).toBe(true);
    // Leaves here name their own index (as fingerprint leaves do). A real leaf's path can sometimes be replayed at
    // another (index, size) - leaf 12 opens as index 17 of a claimed 18 - but never as a leaf that says N-1.
    let replays = 0;
    for (let claimed = 14; claimed <= 40; claimed++) {
      for (let i = 0; i < 13; i++) {
        const ok = verifyInclusion(t.root(), claimed, claimed - 1, leafHash(leaves[i]!), t.proof(i));
        if (ok) replays++;
        expect(ok && leaves[i]![0] === claimed - 1).toBe(false);
      }
    }
    expect(replays).toBeGreaterThan(0);
    const small = MerkleTree.fromLeaves(leaves.slice(0, 8));
    expect(rootFromInclusionProof(leafHash(leaves[7]!), 7, 13, small.proof(7))).toBeNull();
  });

  it('a leaf hash is not a node hash (second pre-image resistance)', () => {
    const l = MerkleTree.fromLeaves([Uint8Array.of(1), Uint8Array.of(2)]);
    const concat = new Uint8Array([...leafHash(Uint8Array.of(1)), ...leafHash(Uint8Array.of(2))]);
    expect(toHex(MerkleTree.fromLeaves([concat]).root())).not.toBe(toHex(l.root()));
  });
});
