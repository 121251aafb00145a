import type { EngineEvent, EngineInitParams, EngineMethod, EngineMethods, GenerateParams, GenerateResult } from '../common/engineProtocol';
import { ReckonError } from '../common/errors';
import { engineSchemas, safeParseJson } from '../common/schemas';
import { inspectModel } from './inspectModel';
import { timingsOf } from './turnTimings';
import { LlamaHost } from './LlamaHost';
import { ProbeEngine } from './probe/ProbeEngine';
import { ReceiptRows } from './receipts/ReceiptRows';
import { teacherForce } from './receipts/teacherForce';

type Async<M> = { [K in keyof M]: M[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<R> : never };


/**
 * Implements every EngineMethods call with validated parameters. Streams events through `emit`.
 * Errors are ReckonErrors with stable codes; the entry turns them into `error` frames.
 */
export class EngineService {
  private readonly host: LlamaHost;
  /** One controller per generate request, from the moment it arrives (an abort may come while the model loads). */
  private readonly requests = new Map<string, AbortController>();
  /** "Answer now" requests of the running generates, by requestId (ChatRunner polls them). */
  private readonly answerNow = new Map<string, { requested: boolean; plain: boolean }>();
  /** DiffAdapt probe passes and calibration runs on the loaded model's weights. */
  private readonly probes: ProbeEngine;
  /** Fingerprints and embedding rows for receipts (token_embd.weight read once per model). */
  private readonly receiptRows: ReceiptRows;
  readonly methods: Async<EngineMethods>;

  constructor(private readonly emit: (e: EngineEvent) => void) {
    const host = new LlamaHost((m) => emit({ type: 'threads-measured', ...m }));
    this.host = host;
    this.probes = new ProbeEngine(host);
    this.receiptRows = new ReceiptRows(host);
    this.methods = {
      init: (p) => host.init(p),
      inspect: (p) => inspectModel(p.path),
      // No turn waits for a plain load's progress: turnId ''.
      load: (p) => host.load(p.modelPath, (progress) => emit({ type: 'load-progress', turnId: '', progress })),
      generate: async (p) => {
        if (this.requests.has(p.requestId)) throw new ReckonError('BAD_REQUEST', `Request ${p.requestId} is already running.`);
        const controller = new AbortController();
        this.requests.set(p.requestId, controller);
        const answerNow = { requested: false, plain: false };
        this.answerNow.set(p.requestId, answerNow);
        try {
          const turnId = p.requestId;
          const asked = Date.now();
          const { runner, context } = await host.runnerFor(p.modelPath, (progress) => emit({ type: 'load-progress', turnId, progress }), p.contextSize ?? null);
          // Timings on the engine's clock: load, first streamed token, decoding after it.
          const started = Date.now();
          let first: number | null = null;
          const timed = (e: EngineEvent): void => {
            if (first === null && (e.type === 'thought' || e.type === 'answer' || e.type === 'draft')) first = Date.now();
            emit(e);
          };
          // The whole turn runs here: probe -> plan -> generate, then the receipt's fingerprints.
          const probePath = p.probePath ?? null;
          const generated = await runner.generate({
            params: p, emit: timed, signal: controller.signal, answerNow,
            probe: probePath === null ? undefined : {
              file: () => this.probes.usableProbe(probePath),
              verdict: (file, features) => this.probes.verdict(file, features, probePath),
              separate: () => this.probes.difficultyOf({ modelPath: p.modelPath, question: p.question, systemPrompt: p.systemPrompt, probePath }),
            },
          });
          const r = { ...generated, timings: timingsOf(generated, asked, started, first, Date.now()), context };
          // Decode steps (parallel drafts count once per round): a machine that got busy shows here first.
          const steps = generated.latencyTokens ?? Math.round((r.timings.tokensPerSecond * r.timings.decodeMs) / 1000);
          if (generated.stopReason !== 'aborted' && r.timings.decodeMs > 0) host.observeDecode(p.modelPath, steps, (steps * 1000) / r.timings.decodeMs);
          emit({ type: 'ledger', turnId, ledger: r.ledger });
          return p.receipt != null ? { ...r, ...(await this.fingerprintsOf(p.modelPath, p.receipt.modelSha256, r)) } : r;
        } finally {
          this.requests.delete(p.requestId);
          this.answerNow.delete(p.requestId);
        }
      },
      answerNow: async (p) => {
        const a = this.answerNow.get(p.requestId);
        // A turn still loading or probing keeps the request: its thought closes as soon as it opens.
        if (a) a.requested = true;
        return { applied: a !== undefined && !a.plain };
      },
      abort: async (p) => {
        // Unknown or finished ids are fine: the turn ended on its own before the stop arrived.
        this.requests.get(p.requestId)?.abort(new ReckonError('TURN_ABORTED', 'The generation was stopped.'));
      },
      calibrate: async (p) => {
        if (this.requests.has(p.requestId)) throw new ReckonError('BAD_REQUEST', `Request ${p.requestId} is already running.`);
        const controller = new AbortController();
        this.requests.set(p.requestId, controller);
        try {
          return await this.probes.calibrate(p, controller.signal, emit);
        } finally {
          this.requests.delete(p.requestId);
        }
      },
      info: () => host.info(),
      embeddingRows: (p) => this.receiptRows.rows(p),
      teacherForce: async (p) => teacherForce(await host.modelFor(p.modelPath, () => {}), p),
      crash: async () => {
        // Test hook: die the way a native fault does (no cleanup, no reply), so the host's supervision is exercised.
        process.abort();
      },
    } satisfies Async<EngineMethods>;
  }

  /** The fingerprint leaves of a turn's hidden tokens, or why there are none (a turn never fails for its receipt). */
  private async fingerprintsOf(modelPath: string, modelSha256: string, r: GenerateResult): Promise<Pick<GenerateResult, 'fingerprints' | 'fingerprintError'>> {
    if (r.hidden === undefined) return { fingerprintError: 'The engine could not name the hidden tokens of this turn.' };
    try {
      return { fingerprints: await this.receiptRows.fingerprints(modelPath, modelSha256, r.hidden) };
    } catch (err) {
      return { fingerprintError: err instanceof RangeError ? err.message : ReckonError.from(err).message };
    }
  }

  /** Validates `params` for `method` and runs it. */
  async call(method: unknown, params: unknown): Promise<unknown> {
    if (typeof method !== 'string' || !Object.hasOwn(this.methods, method)) {
      throw new ReckonError('BAD_REQUEST', `Unknown engine method ${String(method)}.`);
    }
    const m = method as EngineMethod;
    const p = validate(m, params);
    return (this.methods[m] as (p: unknown) => Promise<unknown>)(p);
  }

  async dispose(): Promise<void> {
    await this.probes.dispose();
    return this.host.dispose();
  }
}

/** The params as the method's schema (common/schemas/engine.ts) parses them; BAD_REQUEST names the field. */
function validate(method: EngineMethod, params: unknown): unknown {
  const r = safeParseJson(engineSchemas[method], params ?? undefined);
  if (!r.ok) throw bad(method, r.message);
  if (method === 'init') {
    const p = r.value as EngineInitParams;
    return { backend: p.backend, threads: p.threads ?? null, cachedThreads: p.cachedThreads ?? null };
  }
  if (method === 'generate') return { ...(r.value as GenerateParams), thinkingBudget: (r.value as GenerateParams).thinkingBudget ?? null };
  return r.value;
}

function bad(method: string, why: string): ReckonError {
  return new ReckonError('BAD_REQUEST', `Bad parameters for ${method}: ${why}.`, { method });
}
