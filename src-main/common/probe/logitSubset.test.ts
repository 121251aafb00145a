import { describe, expect, it } from 'vitest';
import { GREEDY_FEATURES, LOGIT_SUBSET, MIN_SUBSET_IDS, subsetFeatureDim, subsetFeatures, subsetIds } from './logitSubset';

describe('logit subset', () => {
  it('chooses the same distinct in-range ids for a vocabulary every time, others for another seed', () => {
    const a = subsetIds(151_936);
    expect(a).toHaveLength(13); // maxScan 2M / 151,936 entries
    expect(new Set(a).size).toBe(a.length);
    expect(a.every((id) => id >= 0 && id < 151_936)).toBe(true);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(subsetIds(151_936)).toEqual(a);
    expect(subsetIds(151_936, { ...LOGIT_SUBSET, seed: 7 })).not.toEqual(a);
    // a vocabulary no larger than the subset is read whole
    expect(subsetIds(40)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(subsetFeatureDim(40)).toBe(40 + GREEDY_FEATURES);
    expect(subsetFeatureDim(151_936)).toBe(13 + GREEDY_FEATURES);
    expect(() => subsetIds(0)).toThrow(RangeError);
  });

  it('maxScan caps the ids on big vocabularies only, keeps the ids a larger subset draws first, and older specs read all', () => {
    expect(subsetIds(358)).toHaveLength(LOGIT_SUBSET.ids); // the bundled model: 358 x 64 is far under the cap
    expect(subsetIds(32_000)).toHaveLength(62);
    expect(subsetIds(262_144)).toHaveLength(MIN_SUBSET_IDS);
    const uncapped = { kind: 'logit-subset' as const, ids: LOGIT_SUBSET.ids, seed: LOGIT_SUBSET.seed };
    const all = subsetIds(151_936, uncapped);
    expect(all).toHaveLength(64);
    expect(subsetIds(151_936).every((id) => all.includes(id))).toBe(true);
    expect(subsetFeatureDim(151_936, uncapped)).toBe(64 + GREEDY_FEATURES);
  });

  it('features: centred subset logits, the greedy logit and its log-probability; a shift of every logit changes nothing', () => {
    const ids = [2, 5, 9];
    const logits = new Map([[2, 1], [5, 2], [9, 6], [11, 8]]);
    const f = subsetFeatures(logits, ids, { logit: 8, totalLogitWeight: 1.25 });
    expect(f.slice(0, 3)).toEqual([-2, -1, 3]);
    expect(f[3]).toBe(5);
    expect(f[4]).toBeCloseTo(Math.log(0.8), 12);
    const shifted = new Map([...logits].map(([k, v]) => [k, v + 100]));
    expect(subsetFeatures(shifted, ids, { logit: 108, totalLogitWeight: 1.25 })).toEqual(f);
  });

  it('a missing subset logit or an impossible total weight is refused', () => {
    expect(() => subsetFeatures(new Map([[2, 1]]), [2, 5], { logit: 1, totalLogitWeight: 1 })).toThrow(/lack subset token 5/);
    expect(() => subsetFeatures(new Map([[2, 1]]), [2], { logit: 1, totalLogitWeight: 0.5 })).toThrow(/impossible/);
  });
});
