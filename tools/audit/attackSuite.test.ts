import { describe, expect, it } from 'vitest';
import { ATTACKS, FORGERIES, runAttackSuite } from './attackSuite';
import { syntheticTable } from './synthetic';

describe('attack suite (reduced: 4 synthetic arithmetic turns)', () => {
  it('rejects every forgery and count-only inflation, passes honest turns, catches copies and filler', async () => {
    const r = await runAttackSuite({ table: syntheticTable(), turns: 4, sizes: [0.1, 0.5], seed: 3 });
    expect(r.sampleSize).toBe(45);
    expect(r.honest.falsePositives).toBe(0);
    for (const f of FORGERIES) {
      expect(r.forgeries[f].audits, f).toBe(4);
      expect(r.forgeries[f].rejected, f).toBe(r.forgeries[f].audits);
      expect(r.forgeriesRemote[f].rejected, `${f} --remote`).toBe(r.forgeriesRemote[f].audits);
    }
    expect(Object.keys(r.detection).sort()).toEqual([...ATTACKS].sort());
    for (const s of ['0.1', '0.5']) {
      expect(r.detection['count-only']![s]).toBe(1);
      // copies placed in thinking are always caught; copies claimed as a discarded draft are exempt from the
      // duplicate check by design (parallel drafts of one question honestly repeat each other: docs/receipts.md)
      expect(r.detectionByPlacement.thinking['duplicate-blocks']![s]).toBe(1);
    }
    expect(r.detection['filler-repeat']!['0.5']).toBe(1);
    expect(r.detection['filler-random']!['0.5']).toBeGreaterThanOrEqual(0.75);
  }, 60_000);
});
