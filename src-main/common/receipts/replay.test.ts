import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './bytes';
import { countHidden, flatEmbeddingTable, makeEmbeddingSpec, type HiddenSegment } from './fingerprint';
import { ReceiptIssuer, generateReceiptKeyPair } from './receipt';
import { committedSegments, countDifferences, decideReplay, divergenceOf, storeMatchesRoot } from './replay';

const DIMS = 8;
const data = Float32Array.from({ length: 40 * DIMS }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
const table = flatEmbeddingTable(data, DIMS);
const spec = makeEmbeddingSpec({ modelSha256: 'cd'.repeat(32), dims: DIMS, vocabSize: 40, blockSize: 4 });
const segments: HiddenSegment[] = [
  { kind: 'probe', tokens: [1, 2, 3] },
  { kind: 'thinking', tokens: [5, 6, 7, 8, 9] },
  { kind: 'trial', tokens: [20, 21] },
  { kind: 'thinking', tokens: [10, 11, 12] },
];

describe('replay audit (pure half)', () => {
  it('reads the committed segments back from a store, and notices leaves that do not build the signed root', async () => {
    const { store } = await new ReceiptIssuer(await generateReceiptKeyPair()).issue({ turnId: 't1', spec, segments, table });
    expect(committedSegments(store)).toEqual(segments.map((s) => ({ kind: s.kind, tokens: [...s.tokens] })));
    expect(storeMatchesRoot(store)).toBe(true);
    const leaves = fromBase64(store.leaves);
    leaves[leaves.length - 1] = leaves[leaves.length - 1]! ^ 1;
    expect(storeMatchesRoot({ ...store, leaves: toBase64(leaves) })).toBe(false);
  });

  it('names the first token the model would not produce; only a final forced </think> is exempt', () => {
    expect(divergenceOf([0, 0, 0])).toEqual({ positions: 3, first: null, divergent: 0 });
    expect(divergenceOf([0, 0, -1, 0, -1])).toEqual({ positions: 5, first: 2, divergent: 2 });
    expect(divergenceOf([0, 0, -1], { forcedClose: true })).toEqual({ positions: 3, first: null, divergent: 0 });
    expect(divergenceOf([0, -1, -1], { forcedClose: true })).toEqual({ positions: 3, first: 1, divergent: 1 });
  });

  it('compares counts by kind', () => {
    const a = countHidden(segments);
    expect(countDifferences(a, a)).toEqual([]);
    const b = countHidden([...segments, { kind: 'trial', tokens: [1, 2, 3, 4] }]);
    expect(countDifferences(b, a)).toEqual(['trial: committed 6, replay 2']);
  });

  it('decides: identical root passes; divergence or extra overhead fails; nothing to compare is not verified', () => {
    const base = { committedValid: true, countDiffs: [], greedy: true };
    expect(decideReplay({ ...base, rootMatches: true, forced: null })).toMatchObject({ outcome: 'identical', ok: true });
    // counts raised over honest leaves: the tree reproduces, the bill does not
    expect(decideReplay({ ...base, rootMatches: true, countDiffs: ['thinking: committed 130, replay 120'], forced: null }))
      .toMatchObject({ outcome: 'diverged', ok: false, meaning: expect.stringMatching(/^FAILED: .*thinking: committed 130, replay 120/) });
    const d = decideReplay({ ...base, rootMatches: false, forced: { positions: 120, first: 99, divergent: 21 } });
    expect(d).toMatchObject({ outcome: 'diverged', ok: false });
    expect(d.meaning).toContain('from hidden token 100 of 120');
    expect(d.meaning).toContain('21 of 120');
    expect(decideReplay({ ...base, rootMatches: false, countDiffs: ['trial: committed 40, replay 12'], forced: { positions: 9, first: null, divergent: 0 } }))
      .toMatchObject({ outcome: 'diverged', ok: false });
    expect(decideReplay({ ...base, rootMatches: false, forced: { positions: 9, first: null, divergent: 0 } })).toMatchObject({ outcome: 'model-consistent', ok: true });
    expect(decideReplay({ ...base, rootMatches: false, forced: null, forcedSkipped: 'no committed token ids' })).toMatchObject({ outcome: 'unverifiable', ok: false });
    expect(decideReplay({ ...base, committedValid: false, committedProblem: 'signature does not verify', rootMatches: null, forced: null }))
      .toMatchObject({ outcome: 'diverged', ok: false });
  });
});
