import type { EngineEvent, EngineInitParams, EngineMethod, EngineMethods, GenerateParams } from '../common/engineProtocol';
import { ReckonError } from '../common/errors';
import type { BackendChoice } from '../common/types';
import { StrategyNames } from '../common/controller/types';
import { inspectModel } from './inspectModel';
import { LlamaHost } from './LlamaHost';
import { ProbeEngine } from './probe/ProbeEngine';
import { ReceiptRows } from './receipts/ReceiptRows';
import { validateCalibrateParams } from './probe/validateCalibrateParams';

type Async<M> = { [K in keyof M]: M[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<R> : never };

const backends: readonly BackendChoice[] = ['auto', 'cpu', 'cuda', 'vulkan', 'metal'];

/**
 * Implements every EngineMethods call with validated parameters. Streams events through `emit`.
 * Errors are ReckonErrors with stable codes; the entry turns them into `error` frames.
 */
export class EngineService {
  private readonly host: LlamaHost;
  /** One controller per generate request, from the moment it arrives (an abort may come while the model loads). */
  private readonly requests = new Map<string, AbortController>();
  /** DiffAdapt probe passes and calibration runs on the loaded model's weights. */
  private readonly probes: ProbeEngine;
  /** Embedding rows for receipts (token_embd.weight read once per model). */
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
      load: (p) => host.load(p.modelPath, (progress) => emit({ type: 'load-progress', progress })),
      generate: async (p) => {
        if (this.requests.has(p.requestId)) throw new ReckonError('BAD_REQUEST', `Request ${p.requestId} is already running.`);
        const controller = new AbortController();
        this.requests.set(p.requestId, controller);
        try {
          const runner = await host.runnerFor(p.modelPath, (progress) => emit({ type: 'load-progress', requestId: p.requestId, progress }));
          return await runner.generate(p, emit, controller.signal);
        } finally {
          this.requests.delete(p.requestId);
        }
      },
      abort: async (p) => {
        // Unknown or finished ids are fine: the turn ended on its own before the stop arrived.
        this.requests.get(p.requestId)?.abort(new ReckonError('TURN_ABORTED', 'The generation was stopped.'));
      },
      probe: (p) => this.probes.probe(p),
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
      crash: async () => {
        // Test hook: die the way a native fault does (no cleanup, no reply), so the host's supervision is exercised.
        process.abort();
      },
    } satisfies Async<EngineMethods>;
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

function validate(method: EngineMethod, params: unknown): unknown {
  const o = (params ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) throw bad(method, 'params must be an object');
  const str = (k: string): void => {
    if (typeof o[k] !== 'string' || o[k] === '') throw bad(method, `${k} must be a non-empty string`);
  };
  const num = (k: string, opt = false): void => {
    if (opt && (o[k] === undefined || o[k] === null)) return;
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw bad(method, `${k} must be a number`);
  };
  switch (method) {
    case 'init': {
      const p = o as unknown as EngineInitParams;
      if (!backends.includes(p.backend)) throw bad(method, `backend must be one of ${backends.join(', ')}`);
      num('threads', true);
      if (typeof p.threads === 'number' && (!Number.isInteger(p.threads) || p.threads < 1)) throw bad(method, 'threads must be a positive integer or null');
      num('cachedThreads', true);
      if (typeof p.cachedThreads === 'number' && (!Number.isInteger(p.cachedThreads) || p.cachedThreads < 1)) throw bad(method, 'cachedThreads must be a positive integer or null');
      return { backend: p.backend, threads: p.threads ?? null, cachedThreads: p.cachedThreads ?? null };
    }
    case 'inspect': str('path'); return o;
    case 'load': str('modelPath'); return o;
    case 'abort': str('requestId'); return o;
    case 'embeddingRows': {
      str('modelPath');
      if (!Array.isArray(o.ids) || !o.ids.every((x) => Number.isInteger(x) && (x as number) >= 0)) throw bad(method, 'ids must be a list of token ids');
      if (o.texts !== undefined && (!Array.isArray(o.texts) || !o.texts.every((x) => typeof x === 'string'))) throw bad(method, 'texts must be a list of strings');
      return o;
    }
    case 'probe': for (const k of ['modelPath', 'question', 'probePath']) str(k); return o;
    case 'calibrate': return validateCalibrateParams(o, (why) => bad(method, why));
    case 'generate': {
      for (const k of ['requestId', 'chatKey', 'modelPath', 'question']) str(k);
      if (typeof o.systemPrompt !== 'string') throw bad(method, 'systemPrompt must be a string');
      num('maxTokens');
      num('temperature');
      num('thinkingBudget', true);
      num('seed', true);
      if (!Array.isArray(o.history) || !o.history.every(isHistoryItem)) throw bad(method, 'history must be a list of {role, text}');
      const p = o as unknown as GenerateParams;
      if (p.maxTokens < 1) throw bad(method, 'maxTokens must be at least 1');
      if (p.strategy !== undefined && !StrategyNames.includes(p.strategy)) throw bad(method, `strategy must be one of ${StrategyNames.join(', ')}`);
      if (p.effort !== undefined && p.effort !== 'auto' && !(typeof p.effort === 'number' && p.effort >= 0 && p.effort <= 1)) throw bad(method, "effort must be 'auto' or a number 0..1");
      if (p.pdrWorkspace !== undefined && p.pdrWorkspace !== 'candidates' && p.pdrWorkspace !== 'summary') throw bad(method, "pdrWorkspace must be 'candidates' or 'summary'");
      return { ...p, thinkingBudget: p.thinkingBudget ?? null };
    }
    default:
      return o;
  }
}

function isHistoryItem(h: unknown): boolean {
  const i = h as { role?: unknown; text?: unknown };
  return typeof h === 'object' && h !== null && (i.role === 'system' || i.role === 'user' || i.role === 'assistant') && typeof i.text === 'string';
}

function bad(method: string, why: string): ReckonError {
  return new ReckonError('BAD_REQUEST', `Bad parameters for ${method}: ${why}.`, { method });
}
