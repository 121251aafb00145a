/**
 * Engine scripts for the scripted e2e host (main.ts): the real host runs them through the fake engine
 * (src-main/host/testing/fakeEngine.ts) for UI states the real model cannot hold still for. Each turn pauses at
 * named gates until the spec opens them (ScriptedHost.open), so a spec asserts every intermediate state while it
 * stays put. The question picks the turn:
 * - "crash": four thoughts, gate `crash`, then the engine dies (SIGABRT) mid-turn.
 * - "early exit": strategy early-exit, budget 48, trials from 24; 25 thought tokens, gate `thinking`, early exit
 *   fires at 30, gate `answer`, then the answer.
 * - "drafts": PDR rounds [3, 1], budget 40 per draft; round 0 drafts thinking, gate `round-0`, their answers, the
 *   workspace and round 1 thinking, gate `round-1`, then the winner and the answer.
 * - "think long": budget 400, two thoughts, gate `thinking`; asked to answer now there, it closes at 30 tokens.
 * - anything else: "37+48" with four thoughts, gate `thinking`, then the answer.
 * The backend override `cuda` falls back to CPU with a reason; `failNext` makes a method's next call fail.
 */
import type { EngineInitParams, EmbeddingRowsParams, EmbeddingRowsResult, GenerateParams, GenerateResult, HiddenTokens } from '../../src-main/common/engineProtocol';
import type { DifficultyInfo, DraftRecord, Plan } from '../../src-main/common/controller/types';
import { ReckonError, type ErrorCode } from '../../src-main/common/errors';
import { makeLedger, type Ledger } from '../../src-main/common/ledger';
import type { BackendChoice, BackendInfo } from '../../src-main/common/types';
import type { EngineMethod } from '../../src-main/common/engineProtocol';
import { fingerprintSegments, flatEmbeddingTable, makeEmbeddingSpec, toBase64 } from '../../src-main/common/receipts';
import type { FakeEngineScript, ScriptEvent, ScriptIO } from '../../src-main/host/testing/fakeEngine';
import { GateAborted } from '../../src-main/host/testing/gates';

/** The scripted model's embedding table: small, deterministic, every row non-zero. */
const DIMS = 8;
const VOCAB = 64;

function backendFor(requested: BackendChoice): BackendInfo {
  return {
    requested, active: 'cpu', buildType: 'prebuilt', deviceNames: [], vram: null, threads: 1, threadsSource: 'settings', cpuCores: 2,
    ...(requested === 'cuda' ? { fallbackReason: 'CUDA is not available on this machine (no CUDA binary); using CPU.' } : {}),
  };
}

/** Hidden tokens matching a ledger (overhead first, then thinking), so the host issues a real receipt. */
function hiddenFor(ledger: Ledger): HiddenTokens {
  let next = 0;
  const ids = (n: number): number[] => Array.from({ length: n }, () => 1 + (next++ % (VOCAB - 1)));
  const segments: HiddenTokens = [];
  for (const [kind, n] of Object.entries(ledger.overhead) as [keyof Ledger['overhead'], number][]) {
    if (n > 0) segments.push({ kind, tokens: ids(n) });
  }
  if (ledger.thinking > 0) segments.push({ kind: 'thinking', tokens: ids(ledger.thinking) });
  return segments;
}

function row(id: number): number[] {
  return Array.from({ length: DIMS }, (_, d) => Math.sin(id * 0.7 + d * 1.3) + 0.1 * (d + 1));
}

function embeddingRows(p: EmbeddingRowsParams): EmbeddingRowsResult {
  const flat = new Float32Array(p.ids.length * DIMS);
  p.ids.forEach((id, k) => flat.set(row(id), k * DIMS));
  const result: EmbeddingRowsResult = {
    tensor: 'token_embd.weight', type: 'F32', dims: DIMS, vocabSize: VOCAB,
    rows: Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength).toString('base64'),
  };
  if (p.texts !== undefined) result.tokens = p.texts.map((t) => [...t].map((c) => c.charCodeAt(0) % VOCAB));
  if (p.centre === true) {
    const centre = new Array<number>(DIMS).fill(0);
    for (let id = 0; id < VOCAB; id++) {
      const r = row(id);
      const norm = Math.hypot(...r);
      r.forEach((v, d) => { centre[d]! += v / norm / VOCAB; });
    }
    result.centre = centre;
  }
  return result;
}

/** The scripted model's whole table, for the fingerprint leaves a turn returns (the engine computes them). */
const table = flatEmbeddingTable(Float32Array.from({ length: VOCAB * DIMS }, (_, k) => row(Math.floor(k / DIMS))[k % DIMS]!), DIMS);

/** One scripted turn: keeps the streamed text, so an abort at a gate answers like the engine does. */
class Turn {
  thinking = '';
  answer = '';
  constructor(private readonly io: ScriptIO, private readonly params: GenerateParams) {}
  emit(e: ScriptEvent): void {
    this.io.emit(e);
  }
  thought(text: string): void {
    this.thinking += text;
    this.io.emit({ type: 'thought', text });
  }
  answerPart(text: string): void {
    this.answer += text;
    this.io.emit({ type: 'answer', text });
  }
  gate(name: string): Promise<void> {
    return this.io.gate(name);
  }
  answerNowRequested(): boolean {
    return this.io.answerNowRequested();
  }
  /** The turn's result; hidden tokens follow the ledger, with their fingerprint leaves when a receipt is asked for. */
  result(r: Omit<GenerateResult, 'answer' | 'thinking' | 'stopReason' | 'hidden'>): GenerateResult {
    this.io.emit({ type: 'ledger', ledger: r.ledger });
    const hidden = hiddenFor(r.ledger);
    const result: GenerateResult = { answer: this.answer, thinking: this.thinking, stopReason: 'eos', hidden, ...r };
    if (this.params.receipt != null) {
      const spec = makeEmbeddingSpec({ modelSha256: this.params.receipt.modelSha256, dims: DIMS, vocabSize: VOCAB });
      const fp = fingerprintSegments(spec, hidden, table);
      result.fingerprints = { spec, leaves: toBase64(fp.leaves), sketches: toBase64(fp.sketches), blockCount: fp.blocks.length, counts: fp.counts };
    }
    return result;
  }
}

async function scriptedTurn(io: ScriptIO, params: GenerateParams, body: (t: Turn) => Promise<GenerateResult>): Promise<GenerateResult> {
  const t = new Turn(io, params);
  try {
    return await body(t);
  } catch (err) {
    if (!(err instanceof GateAborted)) throw err;
    return { answer: t.answer, thinking: t.thinking, thinkingMs: 0, stopReason: 'aborted', ledger: makeLedger({ visible: 0, thinking: 0, prompt: 25, cached: 0 }) };
  }
}

const easy: DifficultyInfo = { difficulty: 'easy', probabilities: { easy: 0.91, normal: 0.07, hard: 0.02 }, expectedThinkingTokens: 40, source: 'probe', probeTokens: 25 };
const normal: DifficultyInfo = { difficulty: 'normal', probabilities: { easy: 0.2, normal: 0.7, hard: 0.1 }, expectedThinkingTokens: 48, source: 'probe', probeTokens: 25 };
const sumThoughts = ['Add column by column.\n', 'ones: 7 + 8 = 15, write 5, carry 1\n', 'tens: 3 + 4 + 1 = 8, write 8\n', 'so 37 + 48 = 85\n'];

function plan(p: Partial<Plan>): Plan {
  return {
    requested: 'auto', strategy: 'early-exit', difficulty: 'normal', effort: 'auto', effortLevel: null, effortControl: null, expectedThinkingTokens: 48, thinkingBudget: 48,
    systemPrompt: '', temperature: 0, earlyExitThreshold: 0.9, trialTokens: 48, earlyExitStart: 24, sampling: null, rounds: null, kappa: null, ...p,
  };
}

const sum = (t: Turn): Promise<GenerateResult> => (async () => {
  t.emit({ type: 'difficulty', difficulty: easy });
  for (const th of sumThoughts) t.thought(th);
  await t.gate('thinking');
  t.emit({ type: 'thought-end', ms: 1000, tokens: 42 });
  t.answerPart('37 + 48 ');
  t.answerPart('= **85**');
  return t.result({ thinkingMs: 1000, ledger: makeLedger({ visible: 8, thinking: 42, prompt: 25, cached: 0 }), difficulty: easy });
})();

/** A long think under a budget of 400: two steps, gate `thinking`; "Answer now" there closes it at 30 tokens. */
const thinkLong = (t: Turn): Promise<GenerateResult> => (async () => {
  const p = plan({ strategy: 'budget', thinkingBudget: 400, expectedThinkingTokens: 400, earlyExitThreshold: null, difficulty: 'hard' });
  t.emit({ type: 'difficulty', difficulty: normal });
  t.emit({ type: 'plan', plan: p });
  t.thought('Let me consider every case.\n');
  t.thought('Case one: small numbers\n');
  await t.gate('thinking');
  let thinking = 30;
  if (t.answerNowRequested()) {
    t.emit({ type: 'answer-now', atThinkingTokens: thinking });
  } else {
    t.thought('Case two: large numbers, and so on at length\n');
    thinking = 400;
  }
  // the closing tag is billed as thinking, as budget forcing bills it
  t.emit({ type: 'thought-end', ms: 800, tokens: thinking + 2 });
  t.answerPart('It depends on the case.');
  return t.result({ thinkingMs: 800, ledger: makeLedger({ visible: 6, thinking: thinking + 2, prompt: 25, cached: 0, overhead: { probe: 25 } }), difficulty: normal, plan: p });
})();

const crash = (t: Turn, io: ScriptIO): Promise<GenerateResult> => (async () => {
  t.emit({ type: 'difficulty', difficulty: easy });
  for (const th of sumThoughts) t.thought(th);
  await t.gate('crash');
  io.crash();
  return new Promise<GenerateResult>(() => undefined); // the engine is gone: no answer ever comes
})();

const earlyExit = (t: Turn): Promise<GenerateResult> => (async () => {
  const p = plan({});
  t.emit({ type: 'difficulty', difficulty: normal });
  t.emit({ type: 'plan', plan: p });
  // one delta per token (the bundled model's vocabulary is characters), spaces and newlines glued to the next one
  let pending = '';
  for (const ch of 'ones: 7+8=15, write 5 carry 1\nt') {
    if (ch === '\n' || ch === ' ') {
      pending += ch;
      continue;
    }
    t.thought(pending + ch);
    pending = '';
  }
  await t.gate('thinking');
  const ee = { trials: 2, fired: true, atThinkingTokens: 30, confidence: 0.96 };
  t.emit({ type: 'early-exit', ...ee });
  t.emit({ type: 'thought-end', ms: 2400, tokens: 32 });
  await t.gate('answer');
  t.answerPart('37 + 48 = **85**');
  return t.result({
    thinkingMs: 2400, ledger: makeLedger({ visible: 9, thinking: 32, prompt: 25, cached: 0, overhead: { probe: 25 } }),
    plan: p, difficulty: normal, earlyExit: ee,
  });
})();

const pdr = (t: Turn): Promise<GenerateResult> => (async () => {
  const p = plan({ requested: 'pdr', strategy: 'pdr', thinkingBudget: 40, earlyExitThreshold: null, temperature: 0.7, rounds: [3, 1], kappa: 64 });
  t.emit({ type: 'difficulty', difficulty: normal });
  t.emit({ type: 'plan', plan: p });
  const lines = ['ones 7+8=15', 'ones 7+8=15', 'ones 7+9=16'];
  for (let k = 0; k < lines[0]!.length; k++) {
    for (let i = 0; i < 3; i++) t.emit({ type: 'draft', round: 0, index: i, part: 'thought', text: lines[i]![k]! });
  }
  await t.gate('round-0');
  const answers = ['37+48=85', '37+48=85', '37+48=86'];
  const conf = [0.97, 0.93, 0.61];
  for (let i = 0; i < 3; i++) t.emit({ type: 'draft', round: 0, index: i, part: 'answer', text: answers[i]! });
  for (let i = 0; i < 3; i++) {
    t.emit({ type: 'draft-end', round: 0, index: i, answer: answers[i]!.split('=')[1]!, tokens: 24 + i, finished: true, confidence: conf[i]! });
  }
  t.emit({ type: 'workspace', round: 0, text: 'Candidate answers from earlier drafts: 85, 85, 86', tokens: 49 });
  for (const ch of '37+48: ones 7+8=15, tens 8') t.emit({ type: 'draft', round: 1, index: 0, part: 'thought', text: ch });
  await t.gate('round-1');
  t.emit({ type: 'draft', round: 1, index: 0, part: 'answer', text: '37 + 48 = 85' });
  t.emit({ type: 'draft-end', round: 1, index: 0, answer: '85', tokens: 31, finished: true, confidence: 0.99 });
  t.thought('37+48: ones 7+8=15, tens 8');
  t.emit({ type: 'thought-end', ms: 900, tokens: 21 });
  t.answerPart('37 + 48 = **85**');
  const drafts: DraftRecord[] = [
    ...answers.map((a, i) => ({ round: 0, index: i, answer: a.split('=')[1]!, text: a, tokens: 24 + i, finished: true, confidence: conf[i]!, winner: false })),
    { round: 1, index: 0, answer: '85', text: '37 + 48 = 85', tokens: 31, finished: true, confidence: 0.99, winner: true },
  ];
  return t.result({
    thinkingMs: 2400, ledger: makeLedger({ visible: 9, thinking: 21, prompt: 25, cached: 0, overhead: { probe: 25, draft: 160, distill: 49 } }),
    plan: p, difficulty: normal, drafts,
  });
})();

export interface Scripts {
  script: FakeEngineScript;
  /** The next call of `method` fails with this error (it must be a scripted method). */
  failNext(method: EngineMethod, code: ErrorCode, message: string): void;
}

export function scripts(): Scripts {
  const failures = new Map<EngineMethod, ReckonError>();
  let backend = backendFor('auto');
  const script: FakeEngineScript = {
    init: (p) => (backend = backendFor((p as EngineInitParams).backend)),
    info: () => backend,
    load: () => backend,
    embeddingRows: (p) => embeddingRows(p as EmbeddingRowsParams),
    generate: (params, io) => {
      const g = params as GenerateParams;
      if (/crash/i.test(g.question)) return scriptedTurn(io, g, (t) => crash(t, io));
      if (/early exit/i.test(g.question)) return scriptedTurn(io, g, earlyExit);
      if (/drafts/i.test(g.question)) return scriptedTurn(io, g, pdr);
      if (/think long/i.test(g.question)) return scriptedTurn(io, g, thinkLong);
      return scriptedTurn(io, g, sum);
    },
  };
  // a pending failure wins over the script
  for (const [method, run] of Object.entries(script) as [EngineMethod, NonNullable<FakeEngineScript[EngineMethod]>][]) {
    script[method] = (params, io) => {
      const failure = failures.get(method);
      if (failure === undefined) return run(params, io);
      failures.delete(method);
      throw failure;
    };
  }
  return {
    script,
    failNext: (method, code, message) => {
      if (script[method] === undefined) throw new ReckonError('BAD_REQUEST', `${method} is not scripted; only scripted methods can be made to fail.`);
      failures.set(method, new ReckonError(code, message));
    },
  };
}
