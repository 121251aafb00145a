import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ATTACKS, FORGERIES } from './attackSuite';
import { runRealSuite } from './realModel';

const root = resolve(import.meta.dirname, '../..');

/**
 * The receipt attack suite on the real bundled model, reduced: 2 evaluation questions per tier (18 honest greedy
 * traces, 1 thread), sizes 10 % and 50 %. The full run (`npm run eval:audit`: 207 turns, seed 1, head from
 * models/audit/ with the trace grammar and the canonical trace length, docs/eval/audit.md) measured: honest false
 * positives 1/207 (trace-grammar 1); forgeries rejected 207/207 each; the seven rows before the aware ones 99.5-100 %
 * at every size, aware-splice 64-94 %, aware-reverify 89-95 %, all nine 97.0 % at >= 10 % (97.7 % in a second run:
 * the challenges are random). The reduced run asserts the exact layers exactly, at most 2 honest false positives in
 * 18, and the detection floors below, which leave room for 18 turns per cell moving a cell by up to ~10-20 points.
 */
describe('attack suite on the bundled model (reduced)', () => {
  it('rejects forgeries and count-only/duplicate inflation every time, passes honest turns, catches splice and similar traces', async () => {
    const r = await runRealSuite({ root, modelPath: resolve(root, 'models/reckon-arith.gguf'), threads: 1, perTier: 2, seed: 3, sizes: [0.1, 0.5] });
    expect(r.head.used).toBe(true);
    expect(r.sampleSize).toBe(45);
    expect(r.honest.audits).toBe(18);
    expect(r.honest.falsePositives).toBeLessThanOrEqual(2);
    for (const f of FORGERIES) expect(r.forgeries[f].rejected, f).toBe(r.forgeries[f].audits);
    for (const s of ['0.1', '0.5']) {
      expect(r.detection['count-only']![s]).toBe(1);
      // copies placed in thinking are always caught; copies claimed as a discarded draft are exempt from the
      // duplicate check by design (parallel drafts of one question honestly repeat each other: docs/receipts.md)
      expect(r.detectionByPlacement.thinking['duplicate-blocks']![s]).toBe(1);
      // full run (docs/eval/audit.md, 2026-12-02): 94.4 % at 5 %, 98.1 % at 10 %, 100 % above; with 18 turns a
      // cell this seed sees 16/18 at 10 % now that padding claimed as drafts gets the token checks only
      expect(r.detection['filler-random']![s]).toBeGreaterThanOrEqual(0.85);
    }
    // The trace grammar and the length model (head.trace, head.length): another question's reasoning, or this one's
    // with a digit changed, names another question or answer in the windows the auditor reads.
    for (const a of ['splice', 'adaptive-similar'] as const) for (const s of ['0.1', '0.5']) expect(r.detection[a]![s], `${a} ${s}`).toBeGreaterThanOrEqual(0.8);
    // The aware rows pass the grammar by design; the canonical length bound catches them unless the padding is
    // claimed as a whole-trace-long draft (full run: 64-95 %).
    for (const a of ['aware-splice', 'aware-reverify'] as const) expect(r.detection[a]!['0.1'], a).toBeGreaterThanOrEqual(0.7);
    expect(r.meanDetectionAt10Plus).toBeGreaterThanOrEqual(0.85);

    // The replay column: the auditor re-runs each turn with the same model file and teacher-forces the committed
    // thinking where the trees differ. Greedy turns on one backend replay identical, so no honest turn fails; every
    // inflation kind at both sizes fails (diverged, or unverifiable for drafts claimed without a seed).
    const rp = r.replay!;
    expect(rp.honest).toMatchObject({ audits: 18, falsePositives: 0, outcomes: { identical: 18 } });
    for (const a of ATTACKS) for (const s of ['0.1', '0.5']) expect(rp.detection[a]![s], `replay ${a} ${s}`).toBe(1);
    // replay proves the tokens, not the signer: re-signed honest tokens and spliced proofs replay identical
    const passes = new Set(['spliced-proofs', 'wrong-key', 'resigned-fresh-key']);
    for (const f of FORGERIES) expect(rp.forgeries[f].rejected, `replay ${f}`).toBe(passes.has(f) ? 0 : rp.forgeries[f].audits);
  }, 300_000);
});
