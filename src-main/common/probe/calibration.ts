/** Pure side of calibration: per-question summaries, labels, the train / held-out split, training and the report. */
import type { ProbeFeatureSpec } from './logitSubset';
import { agreement, extractAnswer, isCorrect } from './answers';
import { defaultThresholds, labelFor, mean } from './labels';
import { featureNorms, predict, standardise, trainMlp, type TrainOptions } from './mlp';
import { createRng } from './rng';
import {
  DIFFICULTIES,
  type CalibrationQuestion,
  type CalibrationRecord,
  type Difficulty,
  type LabelThresholds,
  type ProbeFile,
  type ProbeReport,
} from './types';

/** What one sample of one question gave (the engine measures it). */
export interface SampleOutcome {
  /** The visible answer text. */
  answerText: string;
  thinkingTokens: number;
  /** Mean top-K entropy of the thinking tokens, nats (0 when there was no thinking). */
  entropy: number;
}

/** Summarises the samples of one question; `label` is provisional until labelRecords sets the thresholds. */
export function summarise(question: CalibrationQuestion, samples: readonly SampleOutcome[], labelFree: boolean): CalibrationRecord {
  const answers = samples.map((s) => extractAnswer(s.answerText, question));
  const correct = samples.map((s) => (labelFree ? null : isCorrect(s.answerText, question)));
  const keyed = !labelFree && question.answer !== null;
  const score = keyed ? correct.filter((c) => c === true).length / Math.max(1, samples.length) : agreement(answers);
  return {
    question,
    answers,
    correct,
    thinkingTokens: samples.map((s) => s.thinkingTokens),
    entropy: samples.map((s) => s.entropy),
    score,
    label: 'normal',
  };
}

/** Labels every record (thresholds default to 0.9 / 0.3 and an entropy outlier rule); returns the thresholds used. */
export function labelRecords(records: CalibrationRecord[], given?: Partial<LabelThresholds>): LabelThresholds {
  const t = { ...defaultThresholds(records.map((r) => mean(r.entropy))), ...given };
  for (const r of records) r.label = labelFor(r.score, mean(r.entropy), t);
  return t;
}

/** Stratified by label: about `share` of each class goes to the held-out side. Returns index lists. */
export function splitIndices(labels: readonly Difficulty[], share: number, seed: number): { train: number[]; heldOut: number[] } {
  const rng = createRng(`split-${seed}`);
  const train: number[] = [];
  const heldOut: number[] = [];
  for (const d of DIFFICULTIES) {
    const idx = rng.shuffle(labels.flatMap((l, i) => (l === d ? [i] : [])));
    const k = idx.length < 2 ? 0 : Math.max(1, Math.round(idx.length * share));
    heldOut.push(...idx.slice(0, k));
    train.push(...idx.slice(k));
  }
  return { train: train.sort((a, b) => a - b), heldOut: heldOut.sort((a, b) => a - b) };
}

export interface BuildProbeInput {
  records: readonly CalibrationRecord[];
  /** One raw feature vector per record, same order. */
  features: readonly (readonly number[])[];
  /** What the features are, recorded in the file; absent = the retired hidden-state kind (tests only). */
  featureSpec?: ProbeFeatureSpec;
  thresholds: LabelThresholds;
  modelSha256: string;
  modelName: string;
  samplesPerQuestion: number;
  mode: ProbeReport['mode'];
  calibrationMs: number;
  /** Defaults to 0.25. */
  heldOutShare?: number;
  /** Defaults to 1. */
  seed?: number;
  train?: TrainOptions;
  /** ISO time; defaults to now. */
  createdAt?: string;
}

/** Trains the probe on the training split and reports on the held-out split. */
export function buildProbe(input: BuildProbeInput): ProbeFile {
  const t0 = Date.now();
  const { records, features } = input;
  if (records.length !== features.length) throw new Error('buildProbe: one feature vector per record is required.');
  if (records.length < 2) throw new Error('buildProbe: at least 2 calibration questions are required.');
  const seed = input.seed ?? 1;
  const labels = records.map((r) => r.label);
  const { train, heldOut } = splitIndices(labels, input.heldOutShare ?? 0.25, seed);
  const trainX = train.map((i) => features[i] as readonly number[]);
  const { mean: fMean, std: fStd } = featureNorms(trainX);
  const lengthOf = (i: number): number => Math.log1p(mean(records[i]!.thinkingTokens));
  const lens = train.map(lengthOf);
  const lengthMean = mean(lens);
  const lengthStd = Math.sqrt(mean(lens.map((v) => (v - lengthMean) ** 2))) || 1;
  const norms = { mean: fMean, std: fStd, lengthMean, lengthStd };
  const hidden = input.train?.hidden ?? 32;
  const weights = trainMlp(
    trainX.map((x) => standardise(x, norms)),
    train.map((i) => DIFFICULTIES.indexOf(labels[i]!)),
    lens.map((v) => (v - lengthMean) / lengthStd),
    { ...input.train, hidden, seed },
  );

  const confusion = DIFFICULTIES.map(() => [0, 0, 0]);
  let hits = 0;
  let absErr = 0;
  for (const i of heldOut) {
    const p = predict(weights, norms, features[i]!);
    const truth = DIFFICULTIES.indexOf(labels[i]!);
    const got = DIFFICULTIES.indexOf(p.difficulty);
    confusion[truth]![got]!++;
    if (truth === got) hits++;
    absErr += Math.abs(p.expectedThinkingTokens - mean(records[i]!.thinkingTokens));
  }
  const trainCounts = DIFFICULTIES.map((d) => train.filter((i) => labels[i] === d).length);
  const majority = DIFFICULTIES[trainCounts.indexOf(Math.max(...trainCounts))]!;
  const labelCounts = { easy: 0, normal: 0, hard: 0 };
  for (const l of labels) labelCounts[l]++;
  const perLabel = Object.fromEntries(DIFFICULTIES.map((d) => {
    const rs = records.filter((r) => r.label === d);
    return [d, { accuracy: round(mean(rs.map((r) => r.score)), 3), thinkingTokens: round(mean(rs.map((r) => mean(r.thinkingTokens))), 1) }];
  })) as ProbeReport['perLabel'];

  const report: ProbeReport = {
    mode: input.mode,
    questions: records.length,
    samplesPerQuestion: input.samplesPerQuestion,
    train: train.length,
    heldOut: heldOut.length,
    heldOutAccuracy: heldOut.length === 0 ? 0 : round(hits / heldOut.length, 4),
    majorityBaseline: heldOut.length === 0 ? 0 : round(heldOut.filter((i) => labels[i] === majority).length / heldOut.length, 4),
    confusion,
    lengthMae: heldOut.length === 0 ? 0 : round(absErr / heldOut.length, 1),
    labelCounts,
    perLabel,
    calibrationMs: Math.round(input.calibrationMs),
    trainMs: Date.now() - t0,
    seed,
    createdAt: input.createdAt ?? new Date().toISOString(),
  };
  return {
    version: 1,
    modelSha256: input.modelSha256,
    modelName: input.modelName,
    featureDim: fMean.length,
    ...(input.featureSpec !== undefined ? { features: input.featureSpec } : {}),
    hiddenDim: hidden,
    weights: roundWeights(weights),
    norms: { mean: fMean.map((v) => round(v, 6)), std: fStd.map((v) => round(v, 6)), lengthMean, lengthStd },
    thresholds: { ...input.thresholds, entropyHard: Number.isFinite(input.thresholds.entropyHard) ? input.thresholds.entropyHard : 1e9 },
    report,
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** 7 significant digits keep the JSON small; the change to predictions is far below the probe's own error. */
function roundWeights(w: ProbeFile['weights']): ProbeFile['weights'] {
  const r = (x: number): number => Number(x.toPrecision(7));
  const layer = (l: { w: number[][]; b: number[] }): { w: number[][]; b: number[] } => ({ w: l.w.map((row) => row.map(r)), b: l.b.map(r) });
  return { hidden: layer(w.hidden), classHead: layer(w.classHead), lengthHead: layer(w.lengthHead) };
}
