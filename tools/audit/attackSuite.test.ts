import { describe, expect, it } from 'vitest';
import type { SuiteReplay } from './attackSuite';
import { ATTACKS, FORGERIES, runAttackSuite } from './attackSuite';

// The aware rows need a model's decoded traces (realModel.ts): the synthetic suite runs the others.
const SYNTHETIC = ATTACKS.filter((a) => !a.startsWith('aware-'));
import { syntheticTable } from './synthetic';

/**
 * A deterministic "model" for the replay column: the synthetic trace generator. Re-executing a turn gives its honest
 * segments; teacher forcing ranks a committed thinking token 0 while the committed run still follows the honest
 * trace and -1 from the first token the generator would not produce.
 */
const generatorReplay: SuiteReplay = {
  reexecute: async (turn) => turn.segments,
  ranks: async (turn, tokens) => {
    const honest = turn.segments.filter((s) => s.kind === 'thinking').flatMap((s) => s.tokens);
    let same = true;
    return tokens.map((t, i) => {
      same = same && honest[i] === t;
      return same ? 0 : -1;
    });
  },
};

describe('attack suite (reduced: 4 synthetic arithmetic turns)', () => {
  it('rejects every forgery and count-only inflation, passes honest turns, catches copies and filler', async () => {
    const r = await runAttackSuite({ table: syntheticTable(), turns: 4, sizes: [0.1, 0.5], seed: 3 });
    expect(r.sampleSize).toBe(45);
    expect(r.honest.falsePositives).toBe(0);
    expect(r.replay).toBeNull();
    for (const f of FORGERIES) {
      expect(r.forgeries[f].audits, f).toBe(4);
      expect(r.forgeries[f].rejected, f).toBe(r.forgeries[f].audits);
      expect(r.forgeriesRemote[f].rejected, `${f} --remote`).toBe(r.forgeriesRemote[f].audits);
    }
    expect(Object.keys(r.detection).sort()).toEqual([...SYNTHETIC].sort());
    for (const s of ['0.1', '0.5']) {
      expect(r.detection['count-only']![s]).toBe(1);
      // copies placed in thinking are always caught; copies claimed as a discarded draft are exempt from the
      // duplicate check by design (parallel drafts of one question honestly repeat each other: docs/receipts.md)
      expect(r.detectionByPlacement.thinking['duplicate-blocks']![s]).toBe(1);
    }
    expect(r.detection['filler-repeat']!['0.5']).toBe(1);
    expect(r.detection['filler-random']!['0.5']).toBeGreaterThanOrEqual(0.75);
  }, 60_000);

  it('the replay column: honest turns replay identical, every inflation at every size fails, forgeries that change the bill or the binding fail', async () => {
    const r = await runAttackSuite({ table: syntheticTable(), turns: 3, sizes: [0.05, 0.5], seed: 4, replay: generatorReplay });
    const rp = r.replay!;
    expect(rp.honest).toMatchObject({ audits: 3, falsePositives: 0, outcomes: { identical: 3 } });
    expect(Object.keys(rp.detection).sort()).toEqual([...SYNTHETIC].sort());
    for (const a of SYNTHETIC) for (const s of ['0.05', '0.5']) expect(rp.detection[a]![s], `${a} ${s}`).toBe(1);
    // thinking padding diverges under teacher forcing; claimed drafts without a seed cannot be re-run
    expect(rp.outcomes.diverged).toBeGreaterThan(0);
    expect(rp.outcomes.identical ?? 0).toBe(0);
    // Replay proves the billed tokens, not who signed them: a re-signed receipt over the honest tokens, or honest
    // proofs spliced (replay reads the store, not the proofs), replays identical; the sampling audit rejects those.
    const passes = new Set(['spliced-proofs', 'wrong-key', 'resigned-fresh-key']);
    for (const f of FORGERIES) expect(rp.forgeries[f].rejected, f).toBe(passes.has(f) ? 0 : 3);
  }, 60_000);
});
