/** A probe file records its feature kind; a file of the retired hidden-state kind is refused, never applied. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProbe, summarise } from '../../common/probe/calibration';
import { LOGIT_SKETCH } from '../../common/probe/logitSketch';
import { LOGIT_SUBSET } from '../../common/probe/logitSubset';
import { parseStored } from '../../common/schemas';
import { DIFFICULTIES, type Difficulty } from '../../common/probe/types';
import { ProbeEngine } from './ProbeEngine';

const dir = mkdtempSync(join(tmpdir(), 'reckon-probe-kind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noModels = { modelFor: () => Promise.reject(new Error('no model in this test')) };

function toyProbe(dim: number, withSpec: boolean | 'subset') {
  const records = Array.from({ length: 24 }, (_, i) => {
    const r = summarise({ id: String(i), question: `q${i}`, answer: '1', tier: 't' }, [{ answerText: '1', thinkingTokens: 10 + i, entropy: 0.1 }], false);
    r.label = DIFFICULTIES[i % 3] as Difficulty;
    return r;
  });
  const features = records.map((_, i) => Array.from({ length: dim }, (_, j) => ((i % 3) === j % 3 ? 1 : 0) + j * 0.01));
  return buildProbe({
    records, features, thresholds: { easyMin: 0.9, hardMax: 0.3, entropyHard: Infinity },
    modelSha256: 'a'.repeat(64), modelName: 'toy', samplesPerQuestion: 1, mode: 'answer-key', calibrationMs: 1,
    train: { hidden: 4, epochs: 20 }, ...(withSpec === 'subset' ? { featureSpec: LOGIT_SUBSET } : withSpec ? { featureSpec: { ...LOGIT_SKETCH, dim } } : {}),
  });
}

describe('probe feature kind', () => {
  it('a new file carries the logit-sketch spec and is used; its verdict costs no probe tokens', async () => {
    const file = toyProbe(6, true);
    expect(file.features).toEqual({ kind: 'logit-sketch', dim: 6, seed: LOGIT_SKETCH.seed });
    const path = join(dir, 'new.json');
    writeFileSync(path, JSON.stringify(file));
    const probes = new ProbeEngine(noModels);
    const usable = await probes.usableProbe(path);
    expect(usable?.features.kind).toBe('logit-sketch');
    const v = probes.verdict(usable!, [1, 0, 0, 1, 0, 0], path);
    expect(v.probeTokens).toBe(0);
    expect(v.probabilities.easy + v.probabilities.normal + v.probabilities.hard).toBeCloseTo(1, 6);
    expect(() => probes.verdict(usable!, [1, 2, 3], path)).toThrow(/calibrated for 6 features/);
  });

  it('an old file (no feature kind: hidden-state) still parses but is reported as needing recalibration', async () => {
    const old = toyProbe(6, false);
    expect(old.features).toBeUndefined();
    expect(parseStored('probe', JSON.parse(JSON.stringify(old)))).toMatchObject({ ok: true });
    const path = join(dir, 'old.json');
    writeFileSync(path, JSON.stringify(old));
    const probes = new ProbeEngine(noModels);
    await expect(probes.usableProbe(path)).rejects.toMatchObject({ code: 'PROBE_NEEDS_RECALIBRATION', message: expect.stringMatching(/calibrate the model again/) });
    // The turn's separate pass falls back (null: plan without a probe) rather than misuse it.
    expect(await probes.difficultyOf({ modelPath: 'm.gguf', question: 'q', probePath: path })).toBeNull();
    expect(await probes.usableProbe(join(dir, 'missing.json'))).toBeNull();
  });

  it('a subset file (the default kind) and an older logit-sketch file both load; fitted early-exit thresholds round-trip', async () => {
    const file = { ...toyProbe(6, 'subset'), earlyExit: { easy: 0.7, normal: null, hard: 0.99 } };
    expect(file.features).toEqual(LOGIT_SUBSET);
    const path = join(dir, 'subset.json');
    writeFileSync(path, JSON.stringify(file));
    const probes = new ProbeEngine(noModels);
    const usable = await probes.usableProbe(path);
    expect(usable?.features.kind).toBe('logit-subset');
    expect(usable?.earlyExit).toEqual({ easy: 0.7, normal: null, hard: 0.99 });
    expect(parseStored('probe', { ...file, earlyExit: { easy: 1.5, normal: null, hard: null } })).toMatchObject({ ok: false });
    const sketchPath = join(dir, 'sketch.json');
    writeFileSync(sketchPath, JSON.stringify(toyProbe(6, true)));
    expect((await probes.usableProbe(sketchPath))?.features.kind).toBe('logit-sketch');
  });

  it('a spec whose dim disagrees with featureDim is refused by the schema', () => {
    const file = toyProbe(6, true);
    expect(parseStored('probe', { ...file, features: { ...file.features, dim: 7 } })).toMatchObject({ ok: false, message: expect.stringMatching(/featureDim/) });
  });
});
