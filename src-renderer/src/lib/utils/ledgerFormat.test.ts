import { describe, expect, it } from 'vitest';
import { makeLedger } from '$common/ledger';
import { billedRatio, formatCount, formatDuration, ledgerBar, ledgerRows, thoughtLabel } from './ledgerFormat';

describe('ledger formatting', () => {
  const l = makeLedger({ visible: 4, thinking: 84, prompt: 30, cached: 10, overhead: { probe: 2 } });

  it('formats counts compactly', () => {
    expect(formatCount(950)).toBe('950');
    expect(formatCount(1200)).toBe('1.2k');
    expect(formatCount(2000)).toBe('2k');
    expect(formatCount(45_600)).toBe('46k');
    expect(formatCount(1_300_000)).toBe('1.3M');
  });

  it('labels thinking like the UI shows it', () => {
    expect(thoughtLabel(3240, 84)).toBe('Thought for 3.2 s, 84 tokens');
    expect(thoughtLabel(undefined, 1)).toBe('Thought, 1 token');
    expect(formatDuration(61_000)).toBe('1 min 1 s');
    expect(formatDuration(43.4)).toBe('43 ms');
  });

  it('splits billed into bar segments that add up to 1', () => {
    const bar = ledgerBar(l);
    expect(bar.map((s) => s.part)).toEqual(['visible', 'thinking', 'overhead', 'prompt']);
    expect(bar.reduce((s, x) => s + x.fraction, 0)).toBeCloseTo(1, 9);
    expect(bar.reduce((s, x) => s + x.tokens, 0)).toBe(l.billed);
  });

  it('gives the billed/visible ratio and detail rows', () => {
    expect(billedRatio(l)).toBe('×30.0');
    expect(billedRatio(makeLedger({ visible: 0, thinking: 3, prompt: 1, cached: 0 }))).toBeNull();
    const rows = ledgerRows(l);
    expect(rows.find((r) => r.key === 'billed')?.value).toBe(120);
    expect(rows.find((r) => r.key === 'overhead-probe')?.value).toBe(2);
    expect(rows.some((r) => r.key === 'overhead-draft')).toBe(false);
  });
});
