import { basename, resolve } from 'node:path';
import { InsufficientMemoryError, resolveChatWrapper, type ChatWrapper, type Llama, type LlamaContext, type LlamaModel } from 'node-llama-cpp';
import { contextWindowOf, ENGINE_SEQUENCES } from '../common/contextWindow';
import type { ContextInForce, EngineInitParams } from '../common/engineProtocol';
import { ReckonError } from '../common/errors';
import type { BackendChoice, BackendInfo, GpuBackend } from '../common/types';
import { ChatRunner } from './ChatRunner';
import { chatWrapperFor } from './chatWrapperFor';
import { classifyChatTemplate, type TemplateClass } from './classifyChatTemplate';
import { architectures } from './gguf/architectures';
import { printable } from './gguf/printable';
import { checkGguf, type GgufHeaderSummary } from './ggufCheck';
import { checkFitsInMemory } from './memoryCheck';
import { resolveBackend } from './resolveBackend';
import { ThreadTuner, type ThreadMeasurement } from './threadTuner';

/** Sequences in the one context: a few conversations keep their KV prefix at once. */
const SEQUENCES = ENGINE_SEQUENCES;

interface Backend {
  llama: Llama;
  requested: BackendChoice;
  fallbackReason?: string | undefined;
  noDevice?: GpuBackend | undefined;
  softwareDevices?: string[] | undefined;
}

interface LoadedModel {
  path: string;
  sizeBytes: number;
  model: LlamaModel;
  context: LlamaContext;
  /** The context length asked for it (the model's setting, tokens); null = the engine's default (contextWindowOf). */
  askedContext: number | null;
  runner: ChatRunner;
  template: TemplateClass;
}


/**
 * Owns llama.cpp in this process: the backend binding, the thread choice, and at most one model with
 * one context. Loading another model disposes the previous one first. init and load are serialised.
 */
export class LlamaHost {
  private backend: Backend | null = null;
  private tuner: ThreadTuner | null = null;
  private initParams: EngineInitParams | null = null;
  private loaded: LoadedModel | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  /** @param onThreadsMeasured gets each new thread measurement, for the host to cache (the engine writes no files). */
  constructor(private readonly onThreadsMeasured: (m: ThreadMeasurement) => void = () => undefined) {}

  /** (Re)initialises the backend; a changed backend unloads the model, a changed thread count rebuilds the context. */
  init(p: EngineInitParams): Promise<BackendInfo> {
    return this.serial(async () => {
      await this.initNow(p);
      return this.backendInfo();
    });
  }

  /** Loads the model at `modelPath` unless it is loaded already; progress is 0..1. */
  load(modelPath: string, onProgress: (progress: number) => void): Promise<BackendInfo> {
    return this.serial(async () => {
      await this.loadNow(resolve(modelPath), onProgress);
      return this.backendInfo();
    });
  }

  /**
   * The chat runner of `modelPath`, loading it first when another (or no) model is loaded, on a context of the asked
   * length (tokens; null = the engine's default): a different length than the one in force rebuilds the context (the
   * weights stay loaded; the conversations' KV prefixes are lost). The asked length is clamped to the model's
   * trained length; `context` says the size in force and the clamp.
   */
  async runnerFor(modelPath: string, onProgress: (progress: number) => void, contextSize: number | null = null): Promise<{ runner: ChatRunner; context: ContextInForce }> {
    const path = resolve(modelPath);
    for (;;) {
      const r = await this.serial(async (): Promise<{ wait: ChatRunner } | { runner: ChatRunner; context: ContextInForce }> => {
        const now = this.loaded;
        // A rebuild waits for the turns on the old context to end (outside the queue: their probe may need it).
        if (now?.path === path && now.runner.busy && rebuilds(now, contextSize)) return { wait: now.runner };
        const l = await this.loadNow(path, onProgress, contextSize);
        await this.remeasureIfStale(l);
        const trained = l.model.trainContextSize;
        const clamped = contextSize !== null && trained > 0 && contextSize > trained;
        return { runner: l.runner, context: clamped ? { size: l.context.contextSize, clampedFrom: contextSize } : { size: l.context.contextSize } };
      });
      if ('wait' in r) await r.wait.whenIdle();
      else return r;
    }
  }

  /**
   * The loaded model of `modelPath` (loading it first), with its chat wrapper and the thread count in use:
   * for work that needs its own context on the same weights (the DiffAdapt probe's embedding context,
   * calibration sampling).
   */
  modelFor(modelPath: string, onProgress: (progress: number) => void): Promise<{ model: LlamaModel; chatWrapper: ChatWrapper; threads: number }> {
    return this.serial(async () => {
      const l = await this.loadNow(resolve(modelPath), onProgress);
      return { model: l.model, chatWrapper: l.runner.chatWrapper, threads: (this.tuner as ThreadTuner).current().threads };
    });
  }

  /**
   * A turn on `modelPath` ended: `steps` tokens decoded one after another at `stepsPerSecond`. Far below what this
   * model did before at the same thread count, several turns in a row (ThreadTuner.observe), and the next turn
   * measures the thread count again.
   */
  observeDecode(modelPath: string, steps: number, stepsPerSecond: number): void {
    const path = resolve(modelPath);
    if (this.loaded?.path !== path) return;
    this.tuner?.observe(path, steps, stepsPerSecond);
  }

  /** Measures the thread count again when turns said it went stale (between turns: the runner must be idle). */
  private async remeasureIfStale(l: LoadedModel): Promise<void> {
    const tuner = this.tuner;
    if (tuner === null || !tuner.stale || l.runner.busy || this.backend === null) return;
    const before = tuner.current().threads;
    const threads = (await tuner.ensureMeasured(this.backend.llama, l.model)).threads;
    this.backend.llama.maxThreads = threads;
    if (threads !== before) await this.rebuildContext(l, threads, l.askedContext);
    this.reportMeasurement();
  }

  /** The backend as it is now; null before init. */
  async info(): Promise<BackendInfo | null> {
    return this.backend === null ? null : this.backendInfo();
  }

  async dispose(): Promise<void> {
    await this.unload();
    await this.backend?.llama.dispose();
    this.backend = null;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async initNow(p: EngineInitParams): Promise<void> {
    const prev = this.initParams;
    this.initParams = p;
    const before = this.tuner;
    // A count measured here stays in use when the host sends no cached value (it may not have stored it yet).
    const measuredHere = before !== null && !before.needsMeasurement && before.current().source === 'measured' ? before.current().threads : null;
    this.tuner = new ThreadTuner(p.threads, p.cachedThreads ?? measuredHere);
    if (this.backend === null || prev?.backend !== p.backend) {
      await this.unload();
      await this.backend?.llama.dispose();
      this.backend = null;
      const resolved = await resolveBackend(p.backend, this.tuner.needsMeasurement ? this.tuner.cores : this.tuner.current().threads);
      this.backend = { llama: resolved.llama, requested: p.backend, fallbackReason: resolved.fallbackReason, noDevice: resolved.noDevice, softwareDevices: resolved.softwareDevices };
      return;
    }
    if (!this.tuner.needsMeasurement) this.backend.llama.maxThreads = this.tuner.current().threads;
    const l = this.loaded;
    if (l !== null && (prev?.threads !== p.threads || this.tuner.needsMeasurement || this.tuner.current().threads !== before?.current().threads)) {
      // The thread count is fixed per context: rebuild it (cheap; the weights stay loaded).
      const threads = (await this.tuner.ensureMeasured(this.backend.llama, l.model)).threads;
      this.reportMeasurement();
      this.backend.llama.maxThreads = threads;
      await this.rebuildContext(l, threads, l.askedContext);
    }
  }

  /** Replaces the loaded model's context (and its runner) with one of `threads` at the asked length. */
  private async rebuildContext(l: LoadedModel, threads: number, asked: number | null): Promise<void> {
    l.runner.dispose();
    await l.context.dispose();
    l.context = await createContext(l.model, threads, asked);
    l.askedContext = asked;
    l.runner = new ChatRunner({ model: l.model, context: l.context, chatWrapper: l.runner.chatWrapper, template: l.template });
  }

  /** `contextSize`: the asked context length (null = the default); undefined keeps the one in force (a fresh load: the default). */
  private async loadNow(path: string, onProgress: (progress: number) => void, contextSize?: number | null): Promise<LoadedModel> {
    const l = this.loaded;
    if (l?.path === path) {
      if (contextSize !== undefined && rebuilds(l, contextSize)) await this.rebuildContext(l, (this.tuner as ThreadTuner).current().threads, contextSize);
      else if (contextSize !== undefined) l.askedContext = contextSize;
      return l;
    }
    if (this.backend === null || this.tuner === null) {
      // The host normally calls init first; a sensible default keeps a bare engine usable.
      await this.initNow({ backend: 'auto', threads: null, cachedThreads: null });
    }
    const backend = this.backend as Backend;
    const tuner = this.tuner as ThreadTuner;
    // Our own header check first: a bad file must not reach llama.cpp, which may abort the process on it.
    const header = checkGguf(path);
    const vram = backend.llama.gpu === false ? null : await backend.llama.getVramState();
    checkFitsInMemory(path, header.fileSize, this.loaded?.sizeBytes ?? 0, vram?.free ?? 0);
    await this.unload();

    let model: LlamaModel;
    try {
      // The final 1 is reported once the context exists too, so the UI's bar ends when the model is usable.
      // llama.cpp reports progress per tensor (hundreds of calls for a small model): pass on whole percents only.
      let told = -1;
      model = await backend.llama.loadModel({
        modelPath: path,
        onLoadProgress: (p) => {
          const percent = Math.min(99, Math.floor(p * 100));
          if (percent > told) { told = percent; onProgress(percent / 100); }
        },
      });
    } catch (err) {
      if (err instanceof InsufficientMemoryError) {
        throw new ReckonError('MODEL_TOO_BIG', `This model does not fit in the memory available: ${err.message}`, { path });
      }
      throw loadFailure(path, header, err);
    }
    try {
      const threads = (await tuner.ensureMeasured(backend.llama, model)).threads;
      backend.llama.maxThreads = threads;
      const meta = model.fileInfo.metadata;
      const templateText = meta.tokenizer?.chat_template;
      let resolved = null;
      try {
        resolved = templateText === undefined ? null : resolveChatWrapper(model, { warningLogs: false });
      } catch {
        resolved = null;
      }
      const template = classifyChatTemplate(templateText, meta.tokenizer?.ggml?.tokens, resolved);
      const chatWrapper = chatWrapperFor(template.family, resolved);
      const askedContext = contextSize ?? null;
      const context = await createContext(model, threads, askedContext);
      this.loaded = {
        path, sizeBytes: header.fileSize, model, context, template, askedContext,
        runner: new ChatRunner({ model, context, chatWrapper, template }),
      };
      onProgress(1);
      // Reported once the model is usable, so the measurement never interleaves with its load progress.
      this.reportMeasurement();
      return this.loaded;
    } catch (err) {
      await model.dispose();
      if (err instanceof ReckonError) throw err;
      if (err instanceof InsufficientMemoryError) {
        throw new ReckonError('MODEL_TOO_BIG', `There is not enough memory for this model's context: ${err.message}`, { path });
      }
      throw new ReckonError('MODEL_LOAD_FAILED', `The model loaded but its context could not be created: ${(err as Error)?.message ?? String(err)}`, { path });
    }
  }

  private reportMeasurement(): void {
    const m = this.tuner?.takeMeasurement() ?? null;
    if (m !== null) this.onThreadsMeasured(m);
  }

  private async unload(): Promise<void> {
    const l = this.loaded;
    if (l === null) return;
    this.loaded = null;
    l.runner.dispose();
    await l.context.dispose();
    await l.model.dispose();
  }

  private async backendInfo(): Promise<BackendInfo> {
    const b = this.backend;
    if (b === null || this.tuner === null) throw new ReckonError('ENGINE_UNAVAILABLE', 'The engine has no backend yet.');
    const { llama } = b;
    const onGpu = llama.gpu !== false;
    const vram = onGpu ? await llama.getVramState() : null;
    const choice = this.tuner.current();
    const info: BackendInfo = {
      requested: b.requested,
      active: llama.gpu === false ? 'cpu' : llama.gpu,
      buildType: llama.buildType,
      deviceNames: onGpu ? await llama.getGpuDeviceNames() : [],
      vram: vram === null ? null : { total: vram.total, used: vram.used, free: vram.free },
      threads: choice.threads,
      threadsSource: choice.source,
      cpuCores: this.tuner.cores,
    };
    if (b.fallbackReason !== undefined) info.fallbackReason = b.fallbackReason;
    if (b.noDevice !== undefined) info.noDevice = b.noDevice;
    if (b.softwareDevices !== undefined) info.softwareDevices = b.softwareDevices;
    return info;
  }
}

/**
 * llama.cpp's own reason is often only "Failed to load model" (the detail goes to its log): say what the
 * header check knows instead - the file, its architecture and the likely cause.
 */
function loadFailure(path: string, header: GgufHeaderSummary, err: unknown): ReckonError {
  const raw = (err as Error)?.message ?? String(err);
  const known = architectures.has(header.architecture);
  const cause = known
    ? 'its header passed Reckon\'s checks, so a tensor or tokenizer entry llama.cpp could not use is the likely cause'
    : `llama.cpp may not support the ${header.architecture} architecture, or one of its tensors`;
  const detail = /^failed to load model\.?$/i.test(raw.trim()) ? '' : ` (llama.cpp: ${raw})`;
  return new ReckonError('MODEL_LOAD_FAILED',
    `llama.cpp could not load ${printable(basename(path))} (${header.architecture}, ${header.blockCount} layers): ${cause}${detail}.`,
    { path, architecture: header.architecture, llamaMessage: raw });
}

/** Whether asking `asked` (null = the default) of a loaded model needs a context of another size than the one in force. */
function rebuilds(l: LoadedModel, asked: number | null): boolean {
  return contextWindowOf(l.model.trainContextSize, asked) !== contextWindowOf(l.model.trainContextSize, l.askedContext);
}

/** A context of the asked length (null = the default), clamped to the model's trained length (contextWindowOf). */
function createContext(model: LlamaModel, threads: number, asked: number | null): Promise<LlamaContext> {
  return model.createContext({ contextSize: contextWindowOf(model.trainContextSize, asked), sequences: SEQUENCES, threads });
}
