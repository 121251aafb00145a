import type { EarlyExitFit } from './earlyExitFit';
import type { ProbeFeatureSpec } from './logitSubset';
/**
 * DiffAdapt probe: types shared by the engine (feature extraction, calibration), the controller
 * (strategy per difficulty, effort knob), the host (probe files per model) and the front doors.
 * Pure data, JSON-safe.
 */

/** The three difficulty classes of DiffAdapt. Easy = the overthinking region (solved reliably). */
export type Difficulty = 'easy' | 'normal' | 'hard';

/** Class order of the probe's output head; probability vectors follow it. */
export const DIFFICULTIES: readonly Difficulty[] = ['easy', 'normal', 'hard'] as const;

/** What the probe says about one question. */
export interface ProbeResult {
  difficulty: Difficulty;
  /** Softmax of the class head, one entry per class (sum 1). */
  probabilities: Record<Difficulty, number>;
  /**
   * Thinking tokens the model would spend on this question without a controller (regression head,
   * de-standardised, >= 0). The effort knob takes p % of it as the thinking budget.
   */
  expectedThinkingTokens: number;
  /** Tokens decoded by the probe pass (the formatted question in the embedding context): ledger overhead. */
  probeTokens: number;
  /** Wall time of the probe pass (feature extraction + MLP), ms. */
  ms: number;
  /** sha256 of the model file the probe was calibrated on. */
  modelSha256: string;
}

/** Options for one probe call. */
export interface ProbeOptions {
  /** System prompt of the turn, if any: the features are taken over the same formatted prompt the model sees. */
  systemPrompt?: string;
  signal?: AbortSignal;
}

/**
 * The function the controller consumes: formatted question -> final hidden state -> MLP -> result.
 * Resolves null when no probe exists for the loaded model (not calibrated yet): the controller then
 * falls back to its default strategy.
 */
export type ProbeFn = (question: string, opts?: ProbeOptions) => Promise<ProbeResult | null>;

/** Weights of one dense layer: `w[out][in]`, `b[out]`. */
export interface DenseLayer {
  w: number[][];
  b: number[];
}

/** A 2-layer MLP trunk with two heads, as stored in a probe file. */
export interface MlpWeights {
  /** featureDim -> hidden (ReLU). */
  hidden: DenseLayer;
  /** hidden -> 3 logits (class order DIFFICULTIES). */
  classHead: DenseLayer;
  /** hidden -> 1: standardised log(1 + thinking tokens). */
  lengthHead: DenseLayer;
}

/** Feature standardisation (per dimension) and target standardisation for the length head. */
export interface ProbeNorms {
  mean: number[];
  std: number[];
  /** Mean / std of log(1 + thinking tokens) over the training set. */
  lengthMean: number;
  lengthStd: number;
}

/** Thresholds used to label calibration questions (see docs/probe.md). */
export interface LabelThresholds {
  /** Accuracy (or agreement) at or above which a question is Easy. Defaults to 0.9. */
  easyMin: number;
  /** Accuracy (or agreement) at or below which a question is Hard. Defaults to 0.3. */
  hardMax: number;
  /** Mean top-K token entropy of the thinking (nats) above which a question is Hard regardless. */
  entropyHard: number;
}

/** 3x3 confusion matrix: `matrix[true][predicted]`, class order DIFFICULTIES. */
export type ConfusionMatrix = number[][];

export interface ProbeReport {
  /** 'answer-key' when accuracy is measured against known answers; 'agreement' in label-free mode. */
  mode: 'answer-key' | 'agreement';
  questions: number;
  samplesPerQuestion: number;
  train: number;
  heldOut: number;
  /** Share of held-out questions whose predicted class equals the label. */
  heldOutAccuracy: number;
  /** Accuracy of always predicting the training set's majority class, for comparison. */
  majorityBaseline: number;
  confusion: ConfusionMatrix;
  /** Mean absolute error of the length head on held-out questions, tokens. */
  lengthMae: number;
  /** Label counts over all questions. */
  labelCounts: Record<Difficulty, number>;
  /** Mean accuracy (or agreement) per label, and mean thinking tokens per label. */
  perLabel: Record<Difficulty, { accuracy: number; thinkingTokens: number }>;
  /** Wall time of the calibration runs (sampling) and of training, ms. */
  calibrationMs: number;
  trainMs: number;
  seed: number;
  createdAt: string;
  /** What the early-exit fit measured per class (absent in older files). */
  earlyExit?: EarlyExitFit;
}

/** The file stored per model: `<userData>/probes/<sha256>.json` (or a shipped `models/probes/*.probe.json`). */
export interface ProbeFile {
  version: 1;
  modelSha256: string;
  modelName: string;
  featureDim: number;
  /**
   * What the features are (common/probe/logitSketch.ts). Absent = the retired hidden-state features of a separate
   * embedding pass: such a file needs recalibration and is never applied to the logit features turns now read.
   */
  features?: ProbeFeatureSpec;
  hiddenDim: number;
  weights: MlpWeights;
  norms: ProbeNorms;
  thresholds: LabelThresholds;
  /**
   * Early-exit thresholds fitted on this model at calibration, per class (common/probe/earlyExitFit.ts); a class's null
   * (too few questions) or an absent field (older files) = the controller settings' threshold.
   */
  earlyExit?: Record<Difficulty, number | null>;
  report: ProbeReport;
}

/** One calibration question with its answer key (null in label-free mode). */
export interface CalibrationQuestion {
  id: string;
  question: string;
  /** Canonical answer text (compare with answersMatch); null when no key is known. */
  answer: string | null;
  /** Generator tier, e.g. 'add1-3', 'words', 'dates'. */
  tier: string;
  /** How the answer is compared (see answers.ts). Defaults to 'number' when the key is numeric, else 'text'. */
  kind?: AnswerKind;
}

/** number: the last number in the answer; word: the last of the key's vocabulary words; list: the last k numbers; text: normalised text. */
export type AnswerKind = 'number' | 'word' | 'list' | 'text';

/** What sampling one question several times gave. */
export interface CalibrationRecord {
  question: CalibrationQuestion;
  /** Extracted final answers, one per sample ('' when none). */
  answers: string[];
  /** Per sample: the answer matched the key (null without a key). */
  correct: (boolean | null)[];
  /** Thinking tokens per sample. */
  thinkingTokens: number[];
  /** Mean top-K token entropy of the thinking per sample, nats. */
  entropy: number[];
  /** Share of samples solved (with a key) or share of the majority answer (label-free). */
  score: number;
  label: Difficulty;
}

/** Progress of a calibration run. */
export interface CalibrationProgress {
  phase: 'features' | 'sampling' | 'trials' | 'training' | 'done';
  /** Questions done so far in this phase, and in total. */
  done: number;
  total: number;
  /** Seconds since the run started. */
  elapsedS: number;
}

/** Parameters of a calibration run (engine and host). */
export interface CalibrateOptions {
  /** Samples per question. Defaults to 4. */
  perQuestion?: number;
  /** Calibration questions. Defaults to 120 for the bundled model. */
  questions?: number;
  /** Sampling temperature (> 0). Defaults to 0.7. */
  temperature?: number;
  /** Share of questions held out for the report. Defaults to 0.25. */
  heldOutShare?: number;
  /** Seed of the question generator, the sampler and the train split. Defaults to 1. */
  seed?: number;
}

/** What `probe.status` says about one model. */
export interface ProbeStatus {
  modelId: string;
  modelSha256: string;
  /** 'user' = calibrated on this machine; 'shipped' = came with a bundled model; null = none. */
  source: 'user' | 'shipped' | null;
  report: ProbeReport | null;
  /** The last calibration that was not installed (it did not beat its baseline or the current probe), and why. */
  keptAside: { reason: string; report: ProbeReport } | null;
  /** Running calibration, if any. */
  running: CalibrationProgress | null;
}
