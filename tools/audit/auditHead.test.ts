import { describe, expect, it } from 'vitest';
import { bagDistance, blockEmbeddingOf, recoverBag } from '../../src-main/common/receipts';
import { syntheticTable, tokenize } from './synthetic';

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
});
