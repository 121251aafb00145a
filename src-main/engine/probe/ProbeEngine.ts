import { readFile, stat } from 'node:fs/promises';
import { LlamaText, type ChatWrapper, type LlamaContext, type LlamaModel, type Token } from 'node-llama-cpp';
import type { CalibrateParams, CalibrateResult, EngineEvent } from '../../common/engineProtocol';
import type { DifficultyInfo } from '../../common/controller/types';
import { ReckonError } from '../../common/errors';
import { buildProbe, labelRecords, summarise, type SampleOutcome } from '../../common/probe/calibration';
import { parseStored } from '../../common/schemas';
import { predict } from '../../common/probe/mlp';
import type { CalibrationProgress, CalibrationRecord, ProbeFile, ProbeResult } from '../../common/probe/types';
import { LogitFeatures } from './LogitFeatures';
import { LOGIT_SUBSET, type ProbeFeatureSpec } from '../../common/probe/logitSubset';
import { promptTokens } from './promptTokens';
import { sampleThinking } from './sampleThinking';
import { isCorrect } from '../../common/probe/answers';
import { fitEarlyExit, type ExitObservation } from '../../common/probe/earlyExitFit';
import { defaultControllerSettings } from '../../common/controller/defaults';
import { decodePath } from '../controller/decodePath';
import { thinkTokensOf } from '../controller/runControlled';

/** What the probe needs from the engine's llama host: the loaded model of a path (LlamaHost.modelFor). */
export interface ModelSource {
  modelFor(modelPath: string, onProgress: (progress: number) => void): Promise<{ model: LlamaModel; chatWrapper: ChatWrapper; threads: number }>;
}

/** One DiffAdapt probe pass: the formatted question's final hidden state through the probe file's MLP. */
export interface ProbeRequest {
  modelPath: string;
  question: string;
  /** The turn's system prompt ('' or absent for none): features are taken over the prompt the model sees. */
  systemPrompt?: string;
  /** The probe file (JSON, ProbeFile) to use; cached by path and mtime. */
  probePath: string;
}

/** A probe pass's verdict and the tokens it decoded (the formatted prompt: the receipt's probe segment). */
export type ProbePass = ProbeResult & { tokens: number[] };

/** Most parallel sequences a calibration context gets (FINDINGS.md: batching 4-8 sequences pays on CPU). */
const MAX_PARALLEL = 8;

/**
 * The engine side of the DiffAdapt probe: logit-sketch features (a turn reads them from its own prefill; a scratch
 * sequence for calibration and the separate pass), probe files, and calibration runs (sampling, labels, training).
 */
export class ProbeEngine {
  private features: LogitFeatures | null = null;
  private readonly files = new Map<string, { mtimeMs: number; file: ProbeFile }>();

  constructor(private readonly models: ModelSource) {}

  /** Logit features of one question on the model at `modelPath`, by a separate pass (of the kind a probe file names). */
  async featuresOf(modelPath: string, question: string, systemPrompt = '', spec: ProbeFeatureSpec = LOGIT_SUBSET): Promise<{ features: number[]; tokens: number[] }> {
    const { model, chatWrapper, threads } = await this.models.modelFor(modelPath, () => undefined);
    const tokens = promptTokens(model, chatWrapper, question, systemPrompt);
    const features = await this.featuresFor(model, threads).of(tokens, spec);
    return { features, tokens: Array.from(tokens, Number) };
  }

  /**
   * The probe file at `path` if turns may use it: null when it does not exist; PROBE_NEEDS_RECALIBRATION when it holds
   * features of a retired kind (a hidden-state probe applied to logit features would give confident nonsense).
   */
  async usableProbe(path: string): Promise<(ProbeFile & { features: ProbeFeatureSpec }) | null> {
    const file = await this.probeFile(path);
    if (file === null) return null;
    if (file.features === undefined) {
      throw new ReckonError('PROBE_NEEDS_RECALIBRATION', `The probe at ${path} reads hidden-state features, which turns no longer compute: calibrate the model again.`, { path });
    }
    return file as ProbeFile & { features: ProbeFeatureSpec };
  }

  /** The probe's verdict on features the caller read (the turn's own prefill); the file's feature length is checked. */
  verdict(file: ProbeFile, features: readonly number[], path: string): ProbeResult {
    if (features.length !== file.featureDim) {
      throw new ReckonError('BAD_REQUEST', `The probe at ${path} was calibrated for ${file.featureDim} features; this model gives ${features.length}.`);
    }
    return { ...predict(file.weights, file.norms, [...features]), probeTokens: 0, ms: 0, modelSha256: file.modelSha256 };
  }

  /** One probe pass on a scratch sequence (the separate pass: turns not on the controller's prefill); null without a file. */
  async probe(p: ProbeRequest): Promise<ProbePass | null> {
    const file = await this.usableProbe(p.probePath);
    if (file === null) return null;
    const t0 = performance.now();
    const { features, tokens } = await this.featuresOf(p.modelPath, p.question, p.systemPrompt ?? '', file.features);
    const out = this.verdict(file, features, p.probePath);
    return { ...out, probeTokens: tokens.length, tokens, ms: Math.round((performance.now() - t0) * 10) / 10 };
  }

  /**
   * The controller's difficulty step of a turn by a separate pass: the probe's verdict and the tokens it decoded, or
   * null when there is no usable probe (missing, unreadable, of a retired kind or for another model): the turn then
   * plans with the fallback.
   */
  async difficultyOf(p: ProbeRequest): Promise<{ difficulty: DifficultyInfo; tokens: number[] } | null> {
    let r: ProbePass | null;
    try {
      r = await this.probe(p);
    } catch (err) {
      process.stderr.write(`[engine] probe skipped: ${ReckonError.from(err).message}\n`);
      return null;
    }
    if (r === null) return null;
    return {
      difficulty: { difficulty: r.difficulty, probabilities: r.probabilities, expectedThinkingTokens: r.expectedThinkingTokens, source: 'probe', probeTokens: r.probeTokens },
      tokens: r.tokens,
    };
  }

  /** Runs a calibration: features, sampling (perQuestion samples per question, in parallel sequences), labels, training. */
  async calibrate(p: CalibrateParams, signal: AbortSignal, emit: (e: EngineEvent) => void): Promise<CalibrateResult> {
    const t0 = performance.now();
    const { model, chatWrapper, threads } = await this.models.modelFor(p.modelPath, (progress) => emit({ type: 'load-progress', turnId: p.requestId, progress }));
    const progress = (phase: CalibrationProgress['phase'], done: number, total: number): void => {
      emit({ type: 'calibrate-progress', requestId: p.requestId, progress: { phase, done, total, elapsedS: Math.round((performance.now() - t0) / 100) / 10 } });
    };
    const checkAbort = (): void => {
      if (signal.aborted) throw new ReckonError('TURN_ABORTED', 'The calibration was cancelled.');
    };
    const n = p.questions.length;
    const prompts = p.questions.map((q) => promptTokens(model, chatWrapper, q.question));
    const feats = this.featuresFor(model, threads);
    const featurePrompts = p.featureSystemPrompt ? p.questions.map((q) => promptTokens(model, chatWrapper, q.question, p.featureSystemPrompt)) : prompts;
    const features: number[][] = [];
    for (let i = 0; i < n; i++) {
      checkAbort();
      features.push(await feats.of(featurePrompts[i] as Token[], LOGIT_SUBSET));
      if (i % 10 === 9 || i === n - 1) progress('features', i + 1, n);
    }

    const thought = chatWrapper.settings.segments?.thought;
    const toTokens = (t: unknown): Token[] =>
      // A prefix of {type: 'openedOnStart'} means the prompt itself opens the thought: thinking starts at token 0.
      t === undefined || (typeof t === 'object' && t !== null && !(t instanceof LlamaText)) ? [] : LlamaText(t as string | LlamaText).tokenize(model.tokenizer, 'trimLeadingSpace');
    const marks = { prefix: toTokens(thought?.prefix), suffix: toTokens(thought?.suffix) };
    const parallel = Math.max(1, Math.min(MAX_PARALLEL, p.perQuestion * n));
    const longest = Math.max(...prompts.map((t) => t.length));
    const train = model.trainContextSize > 0 ? model.trainContextSize : 4096;
    const perSeq = Math.min(train, longest + p.maxTokens + 8);
    let context: LlamaContext | null = null;
    const records: CalibrationRecord[] = new Array(n);
    try {
      context = await model.createContext({ contextSize: perSeq, sequences: parallel, threads });
      const ctx = context;
      // One job per (question, sample); `parallel` workers, each with its own sequence, pull jobs in order,
      // so every sequence stays busy across question boundaries and llama.cpp batches them into one decode.
      const jobs = p.questions.flatMap((_, i) => Array.from({ length: p.perQuestion }, (_, k) => ({ i, k })));
      const outcomes: SampleOutcome[][] = p.questions.map(() => []);
      const got = new Array<number>(n).fill(0);
      let next = 0;
      let finished = 0;
      progress('sampling', 0, n);
      const worker = async (): Promise<void> => {
        const sequence = ctx.getSequence();
        try {
          while (next < jobs.length && !signal.aborted) {
            const { i, k } = jobs[next++]!;
            const c = await sampleThinking(model, sequence, prompts[i]!, marks, {
              temperature: p.temperature, maxTokens: p.maxTokens, seed: mixSeed(p.seed, i, k), signal,
            });
            const list = outcomes[i]!;
            list[k] = { answerText: c.answerText, thinkingTokens: c.thinkingTokens, entropy: c.meanEntropy };
            if (++got[i]! === p.perQuestion && !signal.aborted) {
              records[i] = summarise(p.questions[i]!, list, p.labelFree);
              progress('sampling', ++finished, n);
            }
          }
        } finally {
          sequence.dispose();
        }
      };
      await Promise.all(Array.from({ length: parallel }, worker));
      checkAbort();
    } finally {
      await context?.dispose();
    }
    const thresholds = labelRecords(records);
    const keyed = !p.labelFree && p.questions.some((q) => q.answer !== null);
    const think = thinkTokensOf(model, chatWrapper);
    // Early-exit thresholds need answer keys (a trial is right or wrong) and the controller's own decoding.
    const exits = keyed && think !== null
      ? await this.exitTrials({ model, threads, prompts, perSeq, parallel, records, think, maxTokens: p.maxTokens, signal, progress })
      : null;
    checkAbort();
    const calibrationMs = performance.now() - t0;
    progress('training', 0, 1);
    const probe = buildProbe({
      records, features, thresholds,
      modelSha256: p.modelSha256, modelName: p.modelName,
      samplesPerQuestion: p.perQuestion,
      mode: p.labelFree || p.questions.every((q) => q.answer === null) ? 'agreement' : 'answer-key',
      featureSpec: LOGIT_SUBSET,
      calibrationMs, heldOutShare: p.heldOutShare, seed: p.seed,
    });
    if (exits !== null) {
      const fit = fitEarlyExit(exits);
      probe.earlyExit = { easy: fit.easy.threshold, normal: fit.normal.threshold, hard: fit.hard.threshold };
      probe.report.earlyExit = fit;
    }
    progress('done', 1, 1);
    return { probe, records };
  }

  /**
   * One greedy run per keyed question with a trial answer at every step boundary that never commits (threshold above
   * 1): every trial's confidence and correctness, and the full answer's, for fitEarlyExit.
   */
  private async exitTrials(o: {
    model: LlamaModel; threads: number; prompts: Token[][]; perSeq: number; parallel: number; records: CalibrationRecord[];
    think: NonNullable<ReturnType<typeof thinkTokensOf>>; maxTokens: number; signal: AbortSignal;
    progress: (phase: CalibrationProgress['phase'], done: number, total: number) => void;
  }): Promise<ExitObservation[]> {
    const idx = o.records.map((r, i) => (r.question.answer !== null ? i : -1)).filter((i) => i >= 0);
    const out: ExitObservation[] = [];
    const context = await o.model.createContext({ contextSize: o.perSeq, sequences: Math.min(o.parallel, idx.length), threads: o.threads });
    try {
      let next = 0;
      o.progress('trials', 0, idx.length);
      const worker = async (): Promise<void> => {
        const sequence = context.getSequence();
        try {
          while (next < idx.length && !o.signal.aborted) {
            const r = o.records[idx[next++]!]!;
            const trials: ExitObservation['trials'] = [];
            const path = await decodePath({
              model: o.model, sequence, think: o.think, prompt: o.prompts[idx[next - 1]!]!, temperature: 0, maxTokens: o.maxTokens, budget: null,
              earlyExit: { threshold: 2, trialTokens: defaultControllerSettings.earlyExit.trialTokens, start: 0, fullTrials: true }, signal: o.signal,
              onTrial: (t) => trials.push({ confidence: t.confidence, correct: isCorrect(t.answerText, r.question) === true, atThinkingTokens: t.atThinkingTokens }),
            });
            out.push({ label: r.label, fullCorrect: isCorrect(path.answerText, r.question) === true, fullThinking: path.thinkingContent, trials });
            o.progress('trials', out.length, idx.length);
          }
        } finally {
          sequence.dispose();
        }
      };
      await Promise.all(Array.from({ length: Math.min(o.parallel, idx.length) }, worker));
    } finally {
      await context.dispose();
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.features?.dispose();
    this.features = null;
  }

  private featuresFor(model: LlamaModel, threads: number): LogitFeatures {
    if (this.features === null || this.features.model !== model || model.disposed) {
      const old = this.features;
      void old?.dispose().catch(() => undefined);
      this.features = LogitFeatures.for(model, threads);
    }
    return this.features;
  }

  private async probeFile(path: string): Promise<ProbeFile | null> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(path)).mtimeMs;
    } catch {
      this.files.delete(path);
      return null;
    }
    const cached = this.files.get(path);
    if (cached?.mtimeMs === mtimeMs) return cached.file;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      throw new ReckonError('STORE_CORRUPT', `The probe file ${path} could not be read: ${(err as Error).message}`, { path });
    }
    const r = parseStored('probe', parsed);
    if (!r.ok) throw new ReckonError('STORE_CORRUPT', `The probe file ${path} is unusable: ${r.message}`, { path });
    const file = r.value;
    this.files.set(path, { mtimeMs, file });
    return file;
  }
}

/** A distinct 31-bit sampler seed per (run seed, question, sample). */
function mixSeed(seed: number, question: number, sample: number): number {
  let h = (seed * 0x9e3779b1) ^ (question * 0x85ebca6b) ^ (sample * 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) >>> 1;
}
