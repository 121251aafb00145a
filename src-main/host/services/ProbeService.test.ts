import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProbe, summarise } from '../../common/probe/calibration';
import type { CalibrateParams, CalibrateResult } from '../../common/engineProtocol';
import type { ProbeFile, ProbeReport } from '../../common/probe/types';
import type { ModelInfo } from '../../common/types';
import type { CallOptions, EngineSupervisor } from '../supervisor/EngineSupervisor';
import type { ModelsService } from './ModelsService';
import { MIN_CALIBRATION_QUESTIONS, ProbeService } from './ProbeService';
import type { SettingsService } from './SettingsService';
import { Store } from '../store/Store';

const shaA = 'a'.repeat(64);
const shaB = 'b'.repeat(64);

function model(sha: string, bundled: boolean, path = '/m/reckon-arith.gguf'): ModelInfo {
  return {
    id: sha.slice(0, 16), name: 'm', path, bundled, sizeBytes: 1, sha256: sha, architecture: 'llama', parameters: 1,
    quantization: 'F16', contextLength: 512, chatTemplate: 'chatml-think', thinking: true, addedAt: '',
  };
}

/** A probe whose report carries the given held-out accuracy and baseline (what the install rule reads). */
function scored(sha: string, heldOutAccuracy: number, majorityBaseline: number): ProbeFile {
  const f = probeFile(sha);
  return { ...f, report: { ...f.report, heldOutAccuracy, majorityBaseline } satisfies ProbeReport };
}

function probeFile(sha: string): ProbeFile {
  const q = (i: number) => ({ id: String(i), question: `q${i}`, answer: '1', tier: 't' });
  const records = [0, 1, 2, 3].map((i) => ({ ...summarise(q(i), [{ answerText: '1', thinkingTokens: 10 + i, entropy: 0.1 }], false), label: i < 2 ? 'easy' as const : 'hard' as const }));
  return buildProbe({
    records, features: [[0, 1], [0.1, 1], [1, 0], [1, 0.1]], thresholds: { easyMin: 0.9, hardMax: 0.3, entropyHard: 2 },
    modelSha256: sha, modelName: 'm', samplesPerQuestion: 1, mode: 'answer-key', calibrationMs: 1, train: { hidden: 4, epochs: 20 },
  });
}

let dir: string;
let calls: { method: string; params: unknown }[];
let release: (() => void) | null;
/** What the fake engine's next calibration scores: [held-out accuracy, majority baseline]. */
let nextScore: [number, number];
/** Resolves when the fake engine has received a calibrate call (instead of waiting a while and hoping). */
let calibrating: Promise<void>;
let calibrateArrived: () => void;

async function service(models: ModelInfo[]): Promise<ProbeService> {
  const engine = {
    call: async (method: string, params: unknown, o: CallOptions = {}) => {
      calls.push({ method, params });
      if (method === 'calibrate') {
        const p = params as CalibrateParams;
        o.onEvent?.({ type: 'calibrate-progress', requestId: p.requestId, progress: { phase: 'sampling', done: 1, total: p.questions.length, elapsedS: 0.1 } });
        const released = new Promise<void>((r) => { release = r; });
        calibrateArrived();
        await released;
        return { probe: scored(p.modelSha256, ...nextScore), records: [] } satisfies CalibrateResult;
      }
      return null;
    },
    tryCall: (method: string, params: unknown) => { calls.push({ method, params }); },
  } as unknown as EngineSupervisor;
  const registry = {
    resolve: async (id?: string | null) => models.find((m) => m.id === id) ?? models[0]!,
    byPath: async (path: string) => models.find((m) => m.path === path)!,
  } as unknown as ModelsService;
  const settings = { get: () => ({ maxTokens: 1024 }) } as unknown as SettingsService;
  return new ProbeService({ engine, models: registry, settings, store: await Store.open(join(dir, 'data')), modelsDir: join(dir, 'models') });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reckon-probes-'));
  mkdirSync(join(dir, 'models', 'probes'), { recursive: true });
  calls = [];
  release = null;
  nextScore = [0.9, 0.5];
  calibrating = new Promise((r) => { calibrateArrived = r; });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ProbeService', () => {
  it('uses a shipped probe for a bundled model only when its sha256 matches', async () => {
    writeFileSync(join(dir, 'models', 'probes', 'reckon-arith.probe.json'), JSON.stringify(probeFile(shaA)));
    const s = await service([model(shaA, true), model(shaB, true, '/m/other.gguf')]);
    expect(await s.probePathFor(model(shaA, true))).toMatchObject({ path: join(dir, 'models', 'probes', 'reckon-arith.probe.json'), source: 'shipped' });
    expect(await s.probePathFor(model(shaB, true))).toBeNull();
    expect(await s.probePathFor(model(shaA, false))).toBeNull();
    const st = await s.status();
    expect(st).toMatchObject({ modelSha256: shaA, source: 'shipped', running: null });
    expect(st.report?.questions).toBe(4);
  });

  it('calibrates one run at a time, reports progress, stores probes/<sha256>.json that then wins over the shipped one', async () => {
    writeFileSync(join(dir, 'models', 'probes', 'reckon-arith.probe.json'), JSON.stringify(probeFile(shaA)));
    const s = await service([model(shaA, true)]);
    const run = s.calibrate({ questions: 30, perQuestion: 2 });
    await calibrating;
    expect((await s.status()).running).toMatchObject({ phase: 'sampling', done: 1, total: 30 });
    await expect(s.calibrate()).rejects.toMatchObject({ code: 'BUSY' });
    const sent = calls.find((c) => c.method === 'calibrate')!.params as CalibrateParams;
    expect(sent.questions).toHaveLength(30);
    expect(sent.questions[0]!.question).toMatch(/^What is \d+ [-+*] \d+\?$/); // the bundled model's tiers
    expect(sent).toMatchObject({ perQuestion: 2, maxTokens: 480, labelFree: false, modelSha256: shaA });
    await s.cancel();
    expect(calls.at(-1)).toEqual({ method: 'abort', params: { requestId: sent.requestId } });
    release!();
    const done = await run;
    expect(done.source).toBe('user');
    expect(done.running).toBeNull();
    const saved = JSON.parse(readFileSync(join(dir, 'data', 'probes', `${shaA}.json`), 'utf8')) as ProbeFile;
    expect(saved.modelSha256).toBe(shaA);
    expect((await s.probePathFor(model(shaA, true)))?.source).toBe('user');
  });

  it('uses the general generator for other models, and then names the calibrated file for its turns', async () => {
    const other = model(shaB, false, '/x/qwen.gguf');
    const s = await service([other]);
    expect(await s.probePathFor(other)).toBeNull();
    const run = s.calibrate({ questions: 24 });
    await calibrating;
    const sent = calls.find((c) => c.method === 'calibrate')!.params as CalibrateParams;
    expect(new Set(sent.questions.map((q) => q.tier.split('-')[0]))).toEqual(new Set(['arith', 'words', 'count', 'order', 'dates']));
    expect(sent.maxTokens).toBe(1024);
    release!();
    await run;
    expect(await s.probePathFor(other)).toMatchObject({ path: join(dir, 'data', 'probes', `${shaB}.json`), source: 'user' });
  });

  /** Runs one calibration through the fake engine to its end. */
  async function calibrateOnce(s: ProbeService, p: { questions?: number } = {}) {
    calibrating = new Promise((r) => { calibrateArrived = r; });
    const run = s.calibrate(p);
    await calibrating;
    release!();
    return run;
  }

  it('keeps aside a calibration that does not beat its own majority baseline, and says why', async () => {
    writeFileSync(join(dir, 'models', 'probes', 'reckon-arith.probe.json'), JSON.stringify(scored(shaA, 0.6, 0.5)));
    const s = await service([model(shaA, true)]);
    nextScore = [0.58, 0.79];
    const st = await calibrateOnce(s);
    expect(st.source).toBe('shipped');
    expect(st.report?.heldOutAccuracy).toBe(0.6);
    expect(st.keptAside?.reason).toBe('kept aside: 58 % held-out accuracy does not beat the 79 % majority baseline');
    expect(st.keptAside?.report.heldOutAccuracy).toBe(0.58);
    expect(existsSync(join(dir, 'data', 'probes', `${shaA}.json`))).toBe(false);
    const aside = JSON.parse(readFileSync(join(dir, 'data', 'probes', `${shaA}.candidate.json`), 'utf8')) as { reason: string; probe: ProbeFile };
    expect(aside.probe.modelSha256).toBe(shaA);
    expect((await s.probePathFor(model(shaA, true)))?.source).toBe('shipped');
  });

  it('keeps aside a calibration below the current probe, installs one that beats both (clearing the candidate)', async () => {
    writeFileSync(join(dir, 'models', 'probes', 'reckon-arith.probe.json'), JSON.stringify(scored(shaA, 0.8, 0.5)));
    const s = await service([model(shaA, true)]);
    nextScore = [0.7, 0.5]; // beats its baseline, not the shipped probe
    const worse = await calibrateOnce(s);
    expect(worse.source).toBe('shipped');
    expect(worse.keptAside?.reason).toBe("kept aside: 70 % held-out accuracy is below the current probe's 80 %");
    nextScore = [0.8, 0.5]; // ties the current probe: not below it, so it is installed
    const better = await calibrateOnce(s);
    expect(better.source).toBe('user');
    expect(better.report?.heldOutAccuracy).toBe(0.8);
    expect(better.keptAside).toBeNull();
    expect(existsSync(join(dir, 'data', 'probes', `${shaA}.candidate.json`))).toBe(false);
    nextScore = [0.75, 0.5]; // now judged against the user's own probe
    expect((await calibrateOnce(s)).keptAside?.reason).toBe("kept aside: 75 % held-out accuracy is below the current probe's 80 %");
  });

  it('installs a first calibration that beats its baseline when there is no probe yet', async () => {
    const other = model(shaB, false, '/x/qwen.gguf');
    const s = await service([other]);
    nextScore = [0.55, 0.5];
    expect(await calibrateOnce(s)).toMatchObject({ source: 'user', keptAside: null });
  });

  it(`refuses a set under ${MIN_CALIBRATION_QUESTIONS} questions with BAD_REQUEST before the engine is asked`, async () => {
    const s = await service([model(shaA, true)]);
    await expect(s.calibrate({ questions: 12 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/at least 24 questions \(asked for 12\)/) });
    expect(calls.filter((c) => c.method === 'calibrate')).toHaveLength(0);
    expect((await s.status()).running).toBeNull();
  });

  it('restore removes the calibrated and kept-aside probes so the shipped one applies again', async () => {
    writeFileSync(join(dir, 'models', 'probes', 'reckon-arith.probe.json'), JSON.stringify(scored(shaA, 0.6, 0.5)));
    const s = await service([model(shaA, true)]);
    nextScore = [0.9, 0.5];
    expect((await calibrateOnce(s)).source).toBe('user');
    nextScore = [0.4, 0.5];
    expect((await calibrateOnce(s)).keptAside).not.toBeNull();
    const restored = await s.restore();
    expect(restored).toMatchObject({ source: 'shipped', keptAside: null });
    expect(restored.report?.heldOutAccuracy).toBe(0.6);
    expect(await s.probePathFor(model(shaA, true))).toMatchObject({ path: join(dir, 'models', 'probes', 'reckon-arith.probe.json'), source: 'shipped' });
    for (const f of [`${shaA}.json`, `${shaA}.records.json`, `${shaA}.candidate.json`]) expect(existsSync(join(dir, 'data', 'probes', f))).toBe(false);
  });

  it('restore on a model with no shipped probe leaves it with none, and is refused while a calibration runs', async () => {
    const other = model(shaB, false, '/x/qwen.gguf');
    const s = await service([other]);
    await calibrateOnce(s);
    expect((await s.restore()).source).toBeNull();
    calibrating = new Promise((r) => { calibrateArrived = r; });
    const run = s.calibrate();
    await calibrating;
    await expect(s.restore()).rejects.toMatchObject({ code: 'BUSY' });
    release!();
    await run;
  });
});
