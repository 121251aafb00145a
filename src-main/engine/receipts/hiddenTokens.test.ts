import { describe, expect, it } from 'vitest';
import { HiddenLog, thinkingTokensOf, withProbe } from './hiddenTokens';
import { halfToFloat } from './TokenEmbeddings';

describe('hidden tokens for receipts', () => {
  it('takes the ledger\'s thinking tokens from the sequence, the uncached tail from the stream', () => {
    expect(thinkingTokensOf([5, 6, 7, 8], 3, [5, 6, 7])).toEqual([5, 6, 7]);
    expect(thinkingTokensOf([5, 6], 3, [5, 6, 9])).toEqual([5, 6, 9]);
    expect(thinkingTokensOf([], 0, [])).toEqual([]);
  });
  it('logs production order with one segment per run of a kind; probe first or nothing', () => {
    const l = new HiddenLog();
    l.add('thinking', 1, 2); l.add('trial', 3); l.add('thinking', 4);
    expect(l.segments).toEqual([{ kind: 'thinking', tokens: [1, 2] }, { kind: 'trial', tokens: [3] }, { kind: 'thinking', tokens: [4] }]);
    expect(withProbe([9, 9], 2, l.segments)![0]).toEqual({ kind: 'probe', tokens: [9, 9] });
    expect(withProbe([9], 2, l.segments)).toBeUndefined();
    expect(withProbe([], 0, undefined)).toBeUndefined();
  });
  it('decodes half floats', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
  });
});
