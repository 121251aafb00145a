import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProbe, summarise } from '../../common/probe/calibration';
import type { CalibrateParams, CalibrateResult } from '../../common/engineProtocol';
import type { ProbeFile } from '../../common/probe/types';
import type { ModelInfo } from '../../common/types';
import type { CallOptions, EngineSupervisor } from '../supervisor/EngineSupervisor';
import type { ModelsService } from './ModelsService';
import { ProbeService } from './ProbeService';
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
        return { probe: probeFile(p.modelSha256), records: [] } satisfies CalibrateResult;
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
    const run = s.calibrate({ questions: 9, perQuestion: 2 });
    await calibrating;
    expect((await s.status()).running).toMatchObject({ phase: 'sampling', done: 1, total: 9 });
    await expect(s.calibrate()).rejects.toMatchObject({ code: 'BUSY' });
    const sent = calls.find((c) => c.method === 'calibrate')!.params as CalibrateParams;
    expect(sent.questions).toHaveLength(9);
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
    const run = s.calibrate({ questions: 15 });
    await calibrating;
    const sent = calls.find((c) => c.method === 'calibrate')!.params as CalibrateParams;
    expect(new Set(sent.questions.map((q) => q.tier.split('-')[0]))).toEqual(new Set(['arith', 'words', 'count', 'order', 'dates']));
    expect(sent.maxTokens).toBe(1024);
    release!();
    await run;
    expect(await s.probePathFor(other)).toMatchObject({ path: join(dir, 'data', 'probes', `${shaB}.json`), source: 'user' });
  });
});
