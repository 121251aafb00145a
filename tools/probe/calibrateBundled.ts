/**
 * `npm run calibrate:bundled`: calibrates the bundled model's DiffAdapt probe and writes it to
 * models/probes/reckon-arith.probe.json, which the host uses for that model while its sha256 matches.
 * Straight on the engine classes (no host, no user data). Env: RECKON_CAL_QUESTIONS (default 360),
 * RECKON_CAL_SAMPLES (default 6), RECKON_CAL_THREADS (default 1), RECKON_CAL_SEED (default 1); RECKON_CAL_MODEL and
 * RECKON_CAL_OUT override the model and output paths (to try a checkpoint without touching the shipped file);
 * RECKON_CAL_DUMP=<file> also writes {features, records} for offline study.
 * The install rule applies (keepAsideReason, as for a user's calibration): the output is replaced only when the new
 * probe beats its majority baseline and the current file's held-out accuracy; otherwise it is written beside it as
 * `<out>.candidate.json` and the reason printed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { defaultControllerSettings } from '../../src-main/common/controller/defaults';
import { probeFeatureSystemPrompt } from '../../src-main/common/controller/effort';
import { arithCalibrationSet } from '../../src-main/common/probe/arithGenerator';
import { readModelManifest } from '../../src-main/host/services/modelManifest';
import { LlamaHost } from '../../src-main/engine/LlamaHost';
import { sha256File } from '../../src-main/engine/sha256File';
import { ProbeEngine } from '../../src-main/engine/probe/ProbeEngine';
import { keepAsideReason } from '../../src-main/host/services/ProbeService';
import type { ProbeFile } from '../../src-main/common/probe/types';

const root = resolve(import.meta.dirname, '../..');
const modelPath = resolve(process.env['RECKON_CAL_MODEL'] ?? join(root, 'models/reckon-arith.gguf'));
const outPath = resolve(process.env['RECKON_CAL_OUT'] ?? join(root, 'models/probes/reckon-arith.probe.json'));
const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const questions = env('RECKON_CAL_QUESTIONS', 360);
const perQuestion = env('RECKON_CAL_SAMPLES', 6);
const threads = env('RECKON_CAL_THREADS', 1);
const seed = env('RECKON_CAL_SEED', 1);

const host = new LlamaHost();
const probes = new ProbeEngine(host);
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
try {
  await host.init({ backend: 'cpu', threads, cachedThreads: null });
  const sha = await sha256File(modelPath);
  const r = await probes.calibrate({
    requestId: 'bundled', modelPath, modelSha256: sha, modelName: 'reckon-arith',
    questions: arithCalibrationSet({ count: questions, seed }),
    perQuestion, temperature: 0.7, maxTokens: 480, labelFree: false, heldOutShare: 0.25, seed,
    // features over the prompt turns probe (the Normal class's effort line), samples at the model's default level
    featureSystemPrompt: probeFeatureSystemPrompt(readModelManifest(modelPath).effort, defaultControllerSettings.strategies.normal.effortLevel),
  }, controller.signal, (e) => {
    if (e.type === 'calibrate-progress' && process.stderr.isTTY) {
      process.stderr.write(`\r\x1b[2K${e.progress.phase} ${e.progress.done}/${e.progress.total} ${e.progress.elapsedS} s`);
    }
  });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  const dump = process.env['RECKON_CAL_DUMP'];
  if (dump) {
    // Features + per-question outcomes, to study the probe offline without sampling again.
    const features: number[][] = [];
    for (const rec of r.records) features.push((await probes.featuresOf(modelPath, rec.question.question)).features);
    writeFileSync(resolve(dump), JSON.stringify({ features, records: r.records }));
  }
  mkdirSync(dirname(outPath), { recursive: true });
  const current = existsSync(outPath) ? (JSON.parse(readFileSync(outPath, 'utf8')) as ProbeFile) : null;
  // The current file counts only for the same model (a retrained model's old probe says nothing about it).
  const reason = keepAsideReason(r.probe.report, current?.modelSha256 === sha ? current.report : null);
  const written = reason === null ? outPath : outPath.replace(/\.json$/, '.candidate.json');
  writeFileSync(written, `${JSON.stringify(r.probe)}\n`);
  const perTier = new Map<string, { n: number; score: number; thinking: number; labels: Record<string, number> }>();
  for (const rec of r.records) {
    const t = perTier.get(rec.question.tier) ?? { n: 0, score: 0, thinking: 0, labels: { easy: 0, normal: 0, hard: 0 } };
    t.n++;
    t.score += rec.score;
    t.thinking += rec.thinkingTokens.reduce((s, v) => s + v, 0) / rec.thinkingTokens.length;
    t.labels[rec.label]!++;
    perTier.set(rec.question.tier, t);
  }
  const tiers = Object.fromEntries([...perTier].map(([k, t]) => [k, { n: t.n, accuracy: +(t.score / t.n).toFixed(3), thinking: +(t.thinking / t.n).toFixed(1), labels: t.labels }]));
  process.stdout.write(`${JSON.stringify({ out: written, installed: reason === null, reason, current: current?.report.heldOutAccuracy ?? null, modelSha256: sha, earlyExit: r.probe.earlyExit, report: r.probe.report, thresholds: r.probe.thresholds, tiers }, null, 1)}\n`);
} finally {
  await probes.dispose();
  await host.dispose();
}
