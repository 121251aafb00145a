/**
 * DiffAdapt probe on the bundled model: logit-subset features (LOGIT_SUBSET, deterministic) and a tiny
 * calibration run (few questions, 2 samples) that yields a usable probe file. Threads 1 (shared 2-core box).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arithCalibrationSet } from '../../common/probe/arithGenerator';
import { parseStored } from '../../common/schemas';
import type { EngineEvent } from '../../common/engineProtocol';
import { LlamaHost } from '../LlamaHost';
import { sha256File } from '../sha256File';
import { ProbeEngine } from './ProbeEngine';
import { prefillFeatures } from './prefillFeatures';
import { promptTokens } from './promptTokens';
import { decodePath } from '../controller/decodePath';
import { thinkTokensOf } from '../controller/runControlled';
import { LOGIT_SUBSET, subsetFeatureDim } from '../../common/probe/logitSubset';

const modelPath = resolve(import.meta.dirname, '../../../models/reckon-arith.gguf');
const dir = mkdtempSync(join(tmpdir(), 'reckon-probe-'));
let host: LlamaHost;
let probes: ProbeEngine;

beforeAll(async () => {
  host = new LlamaHost();
  await host.init({ backend: 'cpu', threads: 1, cachedThreads: null });
  probes = new ProbeEngine(host);
});

afterAll(async () => {
  await probes?.dispose();
  await host?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('logit-subset features', () => {
  it('have the subset size (+ the greedy token) and are deterministic', async () => {
    const a = await probes.featuresOf(modelPath, 'What is 37 + 48?');
    const b = await probes.featuresOf(modelPath, 'What is 37 + 48?');
    const c = await probes.featuresOf(modelPath, 'What is 123456 + 654321?');
    expect(a.features).toHaveLength(subsetFeatureDim(358)); // reckon-arith's vocabulary
    expect(a.features.every(Number.isFinite)).toBe(true);
    // The second pass finds the prompt cached and decodes only its last token; llama.cpp's CPU kernels for a
    // one-token batch and a whole-prompt batch round differently on some CPUs, so equal means equal to rounding.
    const gap = (x: number[], y: number[]): number => Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));
    const scale = Math.max(...a.features.map(Math.abs));
    expect(gap(b.features, a.features)).toBeLessThan(0.01 * scale);
    expect(gap(c.features, a.features)).toBeGreaterThan(0.05 * scale);
    // The formatted prompt (ChatML user turn + open assistant turn) is what gets decoded.
    expect(a.tokens.length).toBeGreaterThan('What is 37 + 48?'.length);
  });
});

describe('calibration', () => {
  it('samples, labels, trains and yields a usable probe file', async () => {
    const questions = arithCalibrationSet({ count: 9, seed: 99 });
    const events: EngineEvent[] = [];
    const sha = await sha256File(modelPath);
    const t0 = Date.now();
    const r = await probes.calibrate({
      requestId: 'cal-1', modelPath, modelSha256: sha, modelName: 'reckon-arith', questions,
      perQuestion: 2, temperature: 0.7, maxTokens: 400, labelFree: false, heldOutShare: 0.25, seed: 1,
    }, new AbortController().signal, (e) => events.push(e));
    console.log(`tiny calibration: ${Date.now() - t0} ms`, JSON.stringify(r.probe.report));
    expect(parseStored('probe', r.probe)).toMatchObject({ ok: true });
    expect(r.probe.features).toEqual(LOGIT_SUBSET);
    // The early-exit fit ran one greedy path per question; 9 questions are too few to fit any class (null = settings).
    const fit = r.probe.report.earlyExit!;
    expect(fit.easy.questions + fit.normal.questions + fit.hard.questions).toBe(9);
    expect(r.probe.earlyExit).toEqual({ easy: null, normal: null, hard: null });
    expect(events.some((e) => e.type === 'calibrate-progress' && e.progress.phase === 'trials' && e.progress.done === 9)).toBe(true);
    expect(r.records).toHaveLength(9);
    expect(r.records.every((x) => x.thinkingTokens.length === 2)).toBe(true);
    expect(r.records.some((x) => x.thinkingTokens.some((t) => t > 0))).toBe(true);
    const progress = events.filter((e) => e.type === 'calibrate-progress');
    expect(progress.at(-1)).toMatchObject({ progress: { phase: 'done' } });
    expect(progress.some((e) => e.type === 'calibrate-progress' && e.progress.phase === 'sampling' && e.progress.done === 9)).toBe(true);

    const path = join(dir, `${sha}.json`);
    writeFileSync(path, JSON.stringify(r.probe));
    const p = await probes.probe({ modelPath, question: 'What is 2 + 3?', probePath: path });
    expect(p).not.toBeNull();
    expect(p!.probabilities.easy + p!.probabilities.normal + p!.probabilities.hard).toBeCloseTo(1, 6);
    expect(p!.expectedThinkingTokens).toBeGreaterThanOrEqual(0);
    expect(p!.modelSha256).toBe(sha);
    expect(await probes.probe({ modelPath, question: 'x', probePath: join(dir, 'none.json') })).toBeNull();
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const run = probes.calibrate({
      requestId: 'cal-2', modelPath, modelSha256: 'f'.repeat(64), modelName: 'm', questions: arithCalibrationSet({ count: 30, seed: 5 }),
      perQuestion: 2, temperature: 0.7, maxTokens: 400, labelFree: true, heldOutShare: 0.25, seed: 1,
    }, controller.signal, (e) => {
      if (e.type === 'calibrate-progress' && e.progress.phase === 'sampling' && e.progress.done === 1) controller.abort();
    });
    await expect(run).rejects.toMatchObject({ code: 'TURN_ABORTED' });
  });
});

describe('a greedy path from the subset prefill', () => {
  it('gives the same tokens as a path that decodes the prompt itself, and decodes the prompt once', async () => {
    const { model, chatWrapper } = await host.modelFor(modelPath, () => undefined);
    const think = thinkTokensOf(model, chatWrapper)!;
    const prompt = promptTokens(model, chatWrapper, 'What is 482 + 397?');
    const ctx = await model.createContext({ contextSize: 1024, sequences: 2, threads: 1 });
    try {
      const a = ctx.getSequence();
      const b = ctx.getSequence();
      const pre = await prefillFeatures(a, prompt, LOGIT_SUBSET);
      expect(pre.features).toHaveLength(subsetFeatureDim(358));
      expect(pre.greedy?.token).toBe(think.open);
      expect(pre.greedy!.confidence).toBeGreaterThan(0);
      expect(pre.greedy!.confidence).toBeLessThanOrEqual(1);
      const spec = { model, think, prompt, temperature: 0, maxTokens: 400, budget: null, earlyExit: null };
      const fromPrefill = await decodePath({ ...spec, sequence: a, prefilled: { cached: pre.cached, logits: null, greedy: pre.greedy } });
      const fresh = await decodePath({ ...spec, sequence: b });
      expect(fromPrefill.answerText).toBe(fresh.answerText);
      expect(fromPrefill.thinkingText).toBe(fresh.thinkingText);
      // the prefill's tokens bill as prompt (decoded for this turn), none of them twice
      expect(fromPrefill.prompt).toBe(prompt.length);
      expect(a.tokenMeter.usedInputTokens).toBe(b.tokenMeter.usedInputTokens);
    } finally {
      await ctx.dispose();
    }
  });
});
