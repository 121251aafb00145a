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
    return {
      modelId: model.id,
      modelSha256: model.sha256,
      source: found?.source ?? null,
      report: file?.report ?? null,
      running: this.#running?.modelId === model.id ? { ...this.#running.progress } : null,
    };
  }

  /** Runs a calibration to the end and stores the probe; BUSY while another runs. */
  async calibrate(p: ProbeCalibrateParams = {}): Promise<ProbeStatus> {
    if (this.#running !== null) throw new ReckonError('BUSY', 'A calibration is already running; cancel it or wait for it to end.');
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
      await this.#save(result);
    } finally {
      this.#running = null;
    }
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

  async #save(r: CalibrateResult): Promise<void> {
    const sha = r.probe.modelSha256;
    await this.#probeDoc(sha).write(r.probe);
    await this.#recordsDoc(sha).write(r.records);
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

