import { describe, expect, it } from 'vitest';
import { LOGIT_SKETCH, sampleFromLogits, sketchLogits, sketchTable } from './logitSketch';
import { createRng } from './rng';

const V = 5000;
const rng = createRng(7);
const randomLogits = (): Float64Array => Float64Array.from({ length: V }, () => rng.next() * 10 - 5);
const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('logit sketch', () => {
  const table = sketchTable(V);

  it('is fixed by its seed: same logits, same features; another seed, others', () => {
    const x = randomLogits();
    expect(sketchLogits(x, table)).toEqual(sketchLogits(x, sketchTable(V)));
    expect(sketchLogits(x, table)).toHaveLength(LOGIT_SKETCH.dim);
    expect(sketchLogits(x, sketchTable(V, { ...LOGIT_SKETCH, seed: 2 }))).not.toEqual(sketchLogits(x, table));
  });

  it('ignores a constant shift of every logit (no probability changes)', () => {
    const x = randomLogits();
    const shifted = x.map((v) => v + 123.5);
    const a = sketchLogits(x, table);
    const b = sketchLogits(shifted, table);
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 6));
  });

  it('reads a Map (node-llama-cpp logits) as the array it stands for', () => {
    const x = randomLogits();
    const m = new Map<number, number>(Array.from(x, (v, i) => [i, v]));
    const a = sketchLogits(x, table);
    sketchLogits(m, table).forEach((v, i) => expect(v).toBeCloseTo(a[i]!, 9));
  });

  it('keeps geometry: norms and angles of centred logits survive the projection (count sketch, 128 buckets)', () => {
    const centred = (x: Float64Array): number[] => { const m = x.reduce((s, v) => s + v, 0) / x.length; return Array.from(x, (v) => v - m); };
    const a = randomLogits();
    const b = a.map((v, i) => 0.8 * v + 0.6 * ((i * 7919) % 13 - 6)); // correlated with a
    const c = randomLogits(); // independent
    const [ca, cb, cc] = [centred(a), centred(b), centred(c)];
    const [sa, sb, sc] = [sketchLogits(a, table), sketchLogits(b, table), sketchLogits(c, table)];
    expect(Math.sqrt(dot(sa, sa) / dot(ca, ca))).toBeGreaterThan(0.7);
    expect(Math.sqrt(dot(sa, sa) / dot(ca, ca))).toBeLessThan(1.3);
    const cos = (x: number[], y: number[]): number => dot(x, y) / Math.sqrt(dot(x, x) * dot(y, y));
    expect(Math.abs(cos(sa, sb) - cos(ca, cb))).toBeLessThan(0.2);
    expect(Math.abs(cos(sa, sc) - cos(ca, cc))).toBeLessThan(0.2);
    expect(cos(sa, sb)).toBeGreaterThan(cos(sa, sc) + 0.3);
  });
});

describe('sampleFromLogits', () => {
  const logits = new Map<number, number>([[0, 1], [1, 4], [2, 3.9], [3, -2]]);

  it('is greedy at temperature 0, with the softmax probability as confidence', () => {
    const r = sampleFromLogits(logits, { temperature: 0 });
    expect(r.token).toBe(1);
    const z = [1, 4, 3.9, -2].reduce((s, v) => s + Math.exp(v - 4), 0);
    expect(r.confidence).toBeCloseTo(1 / z, 9);
  });

  it('draws reproducibly from a seed and only among the top k', () => {
    const draws = Array.from({ length: 200 }, (_, seed) => sampleFromLogits(logits, { temperature: 1, topK: 2, topP: 1, seed }).token);
    expect(new Set(draws)).toEqual(new Set([1, 2]));
    expect(Array.from({ length: 200 }, (_, seed) => sampleFromLogits(logits, { temperature: 1, topK: 2, topP: 1, seed }).token)).toEqual(draws);
  });

  it('keeps the top k of a 151k vocabulary in one pass exactly as a full stable sort would, ties included', () => {
    const rnd = mulberry(7);
    // coarse values: many ties, some at the k-th place; a few non-finite entries to skip
    const big = new Map<number, number>();
    for (let id = 0; id < 151_936; id++) big.set(id, id % 9973 === 0 ? Number.NaN : Math.round(rnd() * 200) / 10);
    const sorted = [...big].filter(([, v]) => Number.isFinite(v)).sort((a, b) => b[1] - a[1]);
    const reference = (topK: number, topP: number, seed: number, temperature: number) => {
      const top = sorted.slice(0, topK);
      const w = top.map(([, v]) => Math.exp((v - top[0]![1]) / temperature));
      const total = w.reduce((s, v) => s + v, 0);
      const p = w.map((v) => v / total);
      let keep = 0, mass = 0;
      while (keep < p.length && (keep === 0 || mass < topP)) mass += p[keep++]!;
      return { keep: top.slice(0, keep).map(([id]) => id), mass, p };
    };
    for (const [topK, topP, temperature] of [[40, 0.95, 0.7], [5, 1, 1], [1, 1, 1], [200, 0.5, 2]] as const) {
      const ref = reference(topK, topP, 1, temperature);
      for (let seed = 0; seed < 30; seed++) {
        const r = sampleFromLogits(big, { temperature, topK, topP, seed });
        expect(ref.keep).toContain(r.token);
        expect(r.confidence).toBeCloseTo(ref.p[ref.keep.indexOf(r.token)]! / ref.mass, 12);
      }
    }
    // greedy: the first of the maximal ids, and the softmax over every finite logit
    const g = sampleFromLogits(big, { temperature: 0 });
    expect(g.token).toBe(sorted[0]![0]);
    const z = sorted.reduce((s, [, v]) => s + Math.exp(v - sorted[0]![1]), 0);
    expect(g.confidence).toBeCloseTo(1 / z, 12);
  });

  it('refuses an empty vocabulary', () => {
    expect(() => sampleFromLogits(new Map(), { temperature: 0 })).toThrow(RangeError);
  });
});

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
