import { describe, expect, it } from 'vitest';
import { bagDistance, blockEmbeddingOf, nnlsGram, recoverBag } from '../../src-main/common/receipts';
import { seededRandom, syntheticTable, tokenize } from './synthetic';

describe('audit head: bag of tokens from a block embedding', () => {
  it('recovers the exact counts over a support narrower than the embedding', () => {
    const table = syntheticTable(64, 2);
    const support = [...new Set(tokenize('0123456789+-=> cwrite'))].sort((a, b) => a - b);
    const ids = tokenize('7+8+0=15 c1 -> 5 write 3+4=7 c0 ');
    const bag = recoverBag(blockEmbeddingOf(ids, table), ids.length, support, table);
    const want = new Map<number, number>();
    for (const t of ids) want.set(t, (want.get(t) ?? 0) + 1);
    for (const t of support) expect(Math.round(bag.counts.get(t) ?? 0), String(t)).toBe(want.get(t) ?? 0);
    expect(bag.residual).toBeLessThan(0.1);
    const other = tokenize('9+9+1=19 c1 -> 9 write 2+2=4 c0 ');
    expect(bagDistance(bag, recoverBag(blockEmbeddingOf(other, table), other.length, support, table), ids.length)).toBeGreaterThan(0.3);
  });
  it('leaves a large residual for tokens outside the support', () => {
    const table = syntheticTable(64, 2);
    const support = [...new Set(tokenize('0123456789+-='))];
    const ids = tokenize('QXZ#@!qxz&%$QXZ#@!qxz&%$');
    expect(recoverBag(blockEmbeddingOf(ids, table), ids.length, support, table).residual).toBeGreaterThan(0.3);
  });
  it('NNLS meets the optimality conditions (x >= 0, zero gradient on the support, none to gain off it), cached Gram or not', () => {
    const rnd = seededRandom(3);
    for (const [dims, k] of [[128, 95], [16, 12], [8, 20]] as const) {
      // A = random d x k (k > d: a singular Gram matrix), y random: G = AᵀA, h = Aᵀy.
      const A = Array.from({ length: dims * k }, () => rnd() * 2 - 1), y = Array.from({ length: dims }, () => rnd() * 2 - 1);
      const G = new Float64Array(k * k), h = new Float64Array(k);
      for (let p = 0; p < k; p++) {
        for (let q = 0; q < k; q++) { let s = 0; for (let i = 0; i < dims; i++) s += A[i * k + p]! * A[i * k + q]!; G[p * k + q] = s; }
        let s = 0; for (let i = 0; i < dims; i++) s += A[i * k + p]! * y[i]!; h[p] = s;
      }
      const x = nnlsGram(G, h, k);
      for (let j = 0; j < k; j++) {
        let w = h[j]!; for (let q = 0; q < k; q++) w -= G[j * k + q]! * x[q]!;
        expect(x[j]!).toBeGreaterThanOrEqual(0);
        if (x[j]! > 0) expect(Math.abs(w), `${dims}/${k}/${j}`).toBeLessThan(1e-8); else expect(w, `${dims}/${k}/${j}`).toBeLessThan(1e-8);
      }
    }
    // The same block twice (the second from the cached Gram matrix) gives the same bag.
    const table = syntheticTable(128, 2);
    const ids = Array.from({ length: 95 }, (_, i) => 7 + i), block = Array.from({ length: 32 }, () => 7 + Math.floor(rnd() * 95));
    const a = recoverBag(blockEmbeddingOf(block, table), 32, ids, table), b = recoverBag(blockEmbeddingOf(block, table), 32, ids, table);
    expect([...b.counts]).toEqual([...a.counts]);
    expect(b.residual).toBe(a.residual);
  });
});
