/**
 * DiffAdapt probes per model: stored as <userData>/probes/<sha256>.json (calibrated on this machine) or
 * shipped beside bundled models as <modelsDir>/probes/*.probe.json (used when its modelSha256 matches the
 * model file). Finds the probe file a turn's engine request names (the engine runs the probe itself) and runs
 * calibrations through the engine, one at a time, with progress and cancel.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ProbeCalibrateParams } from '../../common/api';
import type { CalibrateResult, EngineEvent } from '../../common/engineProtocol';
import { defaultControllerSettings } from '../../common/controller/defaults';
import { probeFeatureSystemPrompt } from '../../common/controller/effort';
import { ReckonError } from '../../common/errors';
import { arithCalibrationSet } from '../../common/probe/arithGenerator';
import { generalCalibrationSet } from '../../common/probe/generalGenerator';
import type { CalibrationProgress, CalibrationQuestion, CalibrationRecord, ProbeFile, ProbeStatus } from '../../common/probe/types';
import type { ModelInfo } from '../../common/types';
import { stored } from '../store/shapes';
import type { JsonDoc, Store } from '../store/Store';
import type { EngineSupervisor } from '../supervisor/EngineSupervisor';
import type { ModelsService } from './ModelsService';
import type { SettingsService } from './SettingsService';

/** The bundled model whose calibration set is the recipe's arithmetic tiers. */
const BUNDLED_ARITH = 'reckon-arith.gguf';

export const CALIBRATION_DEFAULTS = { perQuestion: 4, questions: 120, temperature: 0.7, seed: 1, heldOutShare: 0.25 } as const;

/**
 * The smallest calibration set accepted, in questions. With a quarter held out, fewer leaves a handful of
 * held-out questions, whose accuracy says nothing (12 questions once scored 66.7 % against a 100 % baseline).
 */
export const MIN_CALIBRATION_QUESTIONS = 24;

/** A calibration that did not earn its place: stored beside the probes as probes/<sha256>.candidate.json. */
export interface ProbeCandidate {
  probe: ProbeFile;
  /** Why it was kept aside, as a sentence. */
  reason: string;
}

const pct = (v: number): string => `${Math.round(v * 100)} %`;

/**
 * The install rule: a new probe replaces the current one only if its held-out accuracy beats its own majority
 * baseline and is not below the current probe's. Returns null when it may be installed, else the reason.
 */
export function keepAsideReason(next: ProbeFile['report'], current: ProbeFile['report'] | null): string | null {
  if (!(next.heldOutAccuracy > next.majorityBaseline)) {
    return `kept aside: ${pct(next.heldOutAccuracy)} held-out accuracy does not beat the ${pct(next.majorityBaseline)} majority baseline`;
  }
  if (current !== null && next.heldOutAccuracy < current.heldOutAccuracy) {
    return `kept aside: ${pct(next.heldOutAccuracy)} held-out accuracy is below the current probe's ${pct(current.heldOutAccuracy)}`;
  }
  return null;
}

interface Running {
  requestId: string;
  modelId: string;
  progress: CalibrationProgress;
}

/** ProbeService's collaborators and folders. */
export interface ProbeServiceOptions {
  engine: EngineSupervisor;
  models: ModelsService;
  settings: SettingsService;
  /** The Store: calibrated probes are its documents probes/<sha256>.json. */
  store: Store;
  /** Bundled models' folder: shipped probes are read from <modelsDir>/probes. */
  modelsDir: string;
}

export class ProbeService {
  #running: Running | null = null;
  private readonly engine: EngineSupervisor;
  private readonly models: ModelsService;
  private readonly settings: SettingsService;
  private readonly store: Store;
  private readonly modelsDir: string;

  constructor(o: ProbeServiceOptions) {
    ({ engine: this.engine, models: this.models, settings: this.settings, store: this.store, modelsDir: this.modelsDir } = o);
  }

  /** probes/<sha256>.json: the user's own calibration of a model, through the store. */
  #probeDoc(sha256: string): JsonDoc<ProbeFile> {
    return this.store.json(`probes/${sha256}.json`, {
      parse: parseProbeFile,
      describe: (file, aside) => `Probe file ${file} was unreadable and was set aside (as ${aside}); that model answers with the fallback plan until it is calibrated again.`,
    });
  }

  /** probes/<sha256>.records.json: per-question outcomes, for whoever wants to audit the labels (not read by Reckon). */
  #recordsDoc(sha256: string): JsonDoc<CalibrationRecord[]> {
    return this.store.json(`probes/${sha256}.records.json`, {
      parse: (raw) => {
        if (!Array.isArray(raw)) throw new Error('not a list of records');
        return raw as CalibrationRecord[];
      },
    });
  }

  /** probes/<sha256>.candidate.json: the last calibration that was kept aside, with the reason. */
  #candidateDoc(sha256: string): JsonDoc<ProbeCandidate> {
    return this.store.json(`probes/${sha256}.candidate.json`, {
      parse: (raw) => {
        const r = raw as { probe?: unknown; reason?: unknown } | null;
        if (r === null || typeof r !== 'object' || typeof r.reason !== 'string') throw new Error('not a kept-aside probe');
        return { probe: parseProbeFile(r.probe), reason: r.reason };
      },
      describe: (file, aside) => `The kept-aside probe ${file} was unreadable and was set aside (as ${aside}); the installed probe is unaffected.`,
    });
  }

  /** The model a probe call is about: by path, by id, else the current default. */
  async model(p: { modelId?: string; modelPath?: string } = {}): Promise<ModelInfo> {
    return p.modelPath !== undefined ? this.models.byPath(p.modelPath) : this.models.resolve(p.modelId ?? null);
  }

  /**
   * The probe file to use for a model: the user's own calibration first (a corrupt one is set aside with a
   * notice), else a shipped one whose hash matches.
   */
  async probePathFor(model: ModelInfo): Promise<{ path: string; source: 'user' | 'shipped'; file: ProbeFile } | null> {
    const doc = this.#probeDoc(model.sha256);
    const own = await doc.read();
    if (own !== null) return { path: doc.path, source: 'user', file: own };
    if (!model.bundled) return null;
    // Shipped probes live in the install folder: read-only, never set aside, just skipped when unusable.
    const dir = join(this.modelsDir, 'probes');
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names.filter((x) => x.endsWith('.probe.json')).sort()) {
      const f = await readProbe(join(dir, n));
      if (f?.modelSha256 === model.sha256) return { path: join(dir, n), source: 'shipped', file: f };
    }
    return null;
  }

  async status(p: { modelId?: string; modelPath?: string } = {}): Promise<ProbeStatus> {
    const model = await this.model(p);
    const found = await this.probePathFor(model);
    const file = found?.file ?? null;
    const candidate = await this.#candidateDoc(model.sha256).read();
    return {
      modelId: model.id,
      modelSha256: model.sha256,
      source: found?.source ?? null,
      report: file?.report ?? null,
      keptAside: candidate === null ? null : { reason: candidate.reason, report: candidate.probe.report },
      running: this.#running?.modelId === model.id ? { ...this.#running.progress } : null,
    };
  }

  /**
   * Runs a calibration to the end; installs the probe when it passes the install rule (keepAsideReason), else
   * stores it as the kept-aside candidate and the status says why. BUSY while another runs; BAD_REQUEST under
   * MIN_CALIBRATION_QUESTIONS questions.
   */
  async calibrate(p: ProbeCalibrateParams = {}): Promise<ProbeStatus> {
    if (this.#running !== null) throw new ReckonError('BUSY', 'A calibration is already running; cancel it or wait for it to end.');
    if (p.questions !== undefined && p.questions < MIN_CALIBRATION_QUESTIONS) {
      throw new ReckonError('BAD_REQUEST', `A calibration needs at least ${MIN_CALIBRATION_QUESTIONS} questions (asked for ${p.questions}); fewer leave too few held out to tell a useful probe from a useless one.`);
    }
    const model = await this.model(p);
    const requestId = `cal-${randomUUID()}`;
    const running: Running = { requestId, modelId: model.id, progress: { phase: 'features', done: 0, total: 0, elapsedS: 0 } };
    this.#running = running;
    try {
      const perQuestion = p.perQuestion ?? CALIBRATION_DEFAULTS.perQuestion;
      const count = p.questions ?? CALIBRATION_DEFAULTS.questions;
      const seed = p.seed ?? CALIBRATION_DEFAULTS.seed;
      const arith = model.bundled && basename(model.path) === BUNDLED_ARITH;
      const questions: CalibrationQuestion[] = arith ? arithCalibrationSet({ count, seed }) : generalCalibrationSet({ count, seed });
      running.progress = { phase: 'features', done: 0, total: questions.length, elapsedS: 0 };
      const result = (await this.engine.call('calibrate', {
        requestId,
        modelPath: model.path,
        modelSha256: model.sha256,
        modelName: model.name,
        questions,
        perQuestion,
        temperature: p.temperature ?? CALIBRATION_DEFAULTS.temperature,
        // The bundled model's longest traces (expr4-5, mul) stay well under 480 tokens.
        maxTokens: arith ? 480 : this.settings.get().maxTokens,
        labelFree: p.labelFree ?? false,
        heldOutShare: CALIBRATION_DEFAULTS.heldOutShare,
        seed,
        featureSystemPrompt: probeFeatureSystemPrompt(model.effort, (this.settings.get().controller ?? defaultControllerSettings).strategies.normal.effortLevel),
      }, {
        requestId,
        onEvent: (e: EngineEvent) => {
          if (e.type === 'calibrate-progress') running.progress = e.progress;
        },
      })) as CalibrateResult;
      await this.#save(result, model);
    } finally {
      this.#running = null;
    }
    return this.status(p.modelPath !== undefined ? { modelPath: p.modelPath } : { modelId: model.id });
  }

  /**
   * Removes the user's calibrated probe of a model (and any kept-aside one), so the shipped probe applies again
   * (or none, for a model that ships without one). BUSY while a calibration runs.
   */
  async restore(p: { modelId?: string; modelPath?: string } = {}): Promise<ProbeStatus> {
    if (this.#running !== null) throw new ReckonError('BUSY', 'A calibration is running; cancel it or wait for it to end before restoring the shipped probe.');
    const model = await this.model(p);
    await this.#probeDoc(model.sha256).delete();
    await this.#recordsDoc(model.sha256).delete();
    await this.#candidateDoc(model.sha256).delete();
    return this.status(p.modelPath !== undefined ? { modelPath: p.modelPath } : { modelId: model.id });
  }

  /** Cancels the running calibration (its calibrate call rejects with TURN_ABORTED). */
  async cancel(): Promise<void> {
    const r = this.#running;
    if (r !== null) this.engine.tryCall('abort', { requestId: r.requestId });
  }

  /** Stops a running calibration on shutdown. */
  async stopAll(): Promise<void> {
    await this.cancel();
  }

  async #save(r: CalibrateResult, model: ModelInfo): Promise<void> {
    const sha = r.probe.modelSha256;
    const current = await this.probePathFor(model);
    const reason = keepAsideReason(r.probe.report, current?.file.report ?? null);
    if (reason !== null) {
      await this.#candidateDoc(sha).write({ probe: r.probe, reason });
      return;
    }
    await this.#probeDoc(sha).write(r.probe);
    await this.#recordsDoc(sha).write(r.records);
    await this.#candidateDoc(sha).delete();
  }
}

const parseProbeFile: (raw: unknown) => ProbeFile = stored('probe');

/** A shipped probe file (install folder, read-only), or null when it is missing or unusable. */
export async function readProbe(path: string): Promise<ProbeFile | null> {
  try {
    return parseProbeFile(JSON.parse(await readFile(path, 'utf8')));
  } catch {
    return null;
  }
}

