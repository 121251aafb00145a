/**
 * `npm run bench:realistic`: Reckon on a realistic-size model (the Qwen3-0.6B shape of tools/model/testModels.ts,
 * Q4_0, random weights, the real 151,936-token vocabulary), against bare node-llama-cpp and llama.cpp's own
 * llama-bench on the same file and threads. Interleaved runs (one of each per round), medians and min-max:
 * - decode tok/s and prefill tok/s, 1 and 2 threads: Reckon (host -> engine process) / bare / llama-bench;
 * - TTFT (Reckon and bare, same question), engine RSS;
 * - the free probe's own cost: the subset probe (and the old full-logits sketch) against the same prefill without;
 * - 4 drafts decoded batched (4 sequences at once: node-llama-cpp's own batching, and Reckon's lockstep) against the
 *   same 4 one after another;
 * - receipt commit time for the hidden tokens of a turn, as a share of decoding them.
 * Env: BENCH_RUNS (rounds, default 3), BENCH_TOKENS (decoded per run, default 32), BENCH_THREADS ("1,2"),
 * BENCH_ONLY=probe (the probe rows alone, against the plain prefill, which is nearly all of TTFT here), BENCH_ONLY=drafts
 * (the drafts rows alone).
 * Bounded: a few minutes on 2 cores. llama-bench columns need tools/engines/buildLlamaCpp.sh (else "not built").
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp';
import type { TurnEvent } from '../../src-main/common/events';
import { sampleFromLogits, LOGIT_SKETCH } from '../../src-main/common/probe/logitSketch';
import { LOGIT_SUBSET, subsetSize } from '../../src-main/common/probe/logitSubset';
import { prefillFeatures, vocabSizeOf } from '../../src-main/engine/probe/prefillFeatures';
import { ReceiptIssuer, generateReceiptKeyPair, makeEmbeddingSpec } from '../../src-main/common/receipts';
import type { Message } from '../../src-main/common/types';
import { createHost } from '../../src-main/host';
import { Lockstep, lockstepEvaluate } from '../../src-main/engine/controller/lockstep';
import { seededRandom, syntheticTable } from '../audit/synthetic';
import { ensureTestModel, llamaCppTool, testShapes } from '../model/testModels';
import { modelsDir } from '../model/reckonArith';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 32);
const THREADS = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
const SHORT = 'What is 123456 + 654321?';
// ~130 prompt tokens: prefill is measured on it (its TTFT is nearly all prompt evaluation).
const LONG = `Read this and answer at the end. ${'The quick brown fox jumps over the lazy dog while the farmer counts sheep. '.repeat(8)}How many animals are named?`;

const quantized = llamaCppTool('llama-quantize') !== null;
const modelPath = ensureTestModel('qwen3-0.6b', 'Q4_0', { direct: true });
const shape = testShapes['qwen3-0.6b'];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (xs: number[], d = 1): string => xs.length === 0 ? 'n/a'
  : `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)})`;
const ratio = (a: number[], b: number[]): string => a.length && b.length ? (median(a) / median(b)).toFixed(3) : 'n/a';

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Qwen3's ChatML with the thinking block opened, as its template renders a user turn for generation. */
const chatText = (q: string): string => `<|im_start|>user\n${q}<|im_end|>\n<|im_start|>assistant\n`;

interface Run { decodeTps: number; ttftMs: number; promptTokens: number }

/** Bare node-llama-cpp: tokenize, evaluate greedy TOKENS tokens (EOG not honoured: random weights), time it. */
async function bareRun(model: LlamaModel, ctx: LlamaContext, question: string): Promise<Run> {
  const seq = ctx.getSequence();
  try {
    const prompt = model.tokenize(chatText(question), true);
    const t0 = performance.now();
    let first = 0, n = 0;
    for await (const _t of seq.evaluate(prompt as Token[], { temperature: 0 })) {
      if (n === 0) first = performance.now();
      if (++n >= TOKENS) break;
    }
    const t1 = performance.now();
    return { decodeTps: (n - 1) / ((t1 - first) / 1000), ttftMs: first - t0, promptTokens: prompt.length };
  } finally {
    seq.dispose();
  }
}

type Host = Awaited<ReturnType<typeof createHost>>;

/**
 * Reckon's path: chat.send (a new conversation each time, strategy long: no probe) -> events -> done. Decode is timed
 * from the first streamed token to the last, like bare's; what `done` waits for after the last token (ledger, receipt
 * commit, the final save) is reported on its own as the tail, so it is not mistaken for slower decoding.
 */
async function reckonRun(host: Host, question: string): Promise<Run & { tailMs: number; hostMs: number }> {
  const t0 = performance.now();
  let first = 0, last = 0;
  const done = new Promise<Message>((resolve, reject) => {
    const off = host.onTurnEvent((e: TurnEvent) => {
      if (e.type === 'thought' || e.type === 'answer') {
        last = performance.now();
        if (!first) first = last;
      }
      if (e.type === 'done') { off(); resolve(e.message); }
      if (e.type === 'error') { off(); reject(new Error(e.error.message)); }
    });
  });
  await host.call('chat.send', { text: question, modelPath, strategy: 'long', maxTokens: TOKENS, temperature: 0 });
  const msg = await done;
  const t1 = performance.now();
  const firstAt = first || t1;
  const lastAt = last || t1;
  const generated = (msg.ledger?.thinking ?? 0) + (msg.ledger?.visible ?? 0);
  return {
    decodeTps: (generated - 1) / ((lastAt - firstAt) / 1000),
    ttftMs: firstAt - t0,
    promptTokens: msg.ledger?.prompt ?? 0,
    tailMs: t1 - lastAt,
    // The engine's own request-to-first-token (its clock, whole ms); the rest of TTFT is the host and the IPC hop.
    hostMs: msg.timings ? firstAt - t0 - (msg.timings.loadMs + msg.timings.timeToFirstTokenMs) : NaN,
  };
}

/** llama-bench's own figures (tg TOKENS, pp of the long prompt's length), one repetition per round. */
function llamaBench(threads: number, promptTokens: number): { tg: number; pp: number } | null {
  const bin = llamaCppTool('llama-bench');
  if (bin === null) return null;
  const out = execFileSync(bin, ['-m', modelPath, '-t', String(threads), '-p', String(promptTokens), '-n', String(TOKENS), '-r', '1', '-o', 'json'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const rows = JSON.parse(out) as { n_prompt: number; n_gen: number; avg_ts: number }[];
  return { tg: rows.find((r) => r.n_gen > 0)?.avg_ts ?? NaN, pp: rows.find((r) => r.n_prompt > 0)?.avg_ts ?? NaN };
}

/**
 * The probe's extra work on one prefill, against the same prefill sampling its first token alone: the subset probe
 * (LOGIT_SUBSET: the chosen ids' logits, the greedy token, the total logit weight, and the features from them) and
 * the retired full-logits sketch (old probe files: every logit as a Map, the sketch, the first token drawn from it).
 * The prompt but its last token is decoded once, untimed; each variant then decodes that last token with what it asks
 * for, so the difference is the probe's work, not the noise of a whole prefill on a busy machine. `plainMs` is the
 * full prefill (the TTFT the share is taken of).
 */
async function probePair(model: LlamaModel, ctx: LlamaContext, question: string): Promise<{ plainMs: number; lastMs: number; subsetMs: number; fullMs: number }> {
  const prompt = model.tokenize(chatText(question), true) as Token[];
  const last = prompt[prompt.length - 1]!;
  const seq = ctx.getSequence();
  try {
    await seq.clearHistory();
    let t0 = performance.now();
    await seq.controlledEvaluate([...prompt.slice(0, -1), [last, { generateNext: { token: true } }]]);
    const plainMs = performance.now() - t0;
    const timed = async (kind: 'plain' | 'subset' | 'full'): Promise<number> => {
      await seq.eraseContextTokenRanges([{ start: prompt.length - 1, end: seq.nextTokenIndex }]);
      t0 = performance.now();
      if (kind === 'plain') await seq.controlledEvaluate([[last, { generateNext: { token: true } }]]);
      else if (kind === 'subset') await prefillFeatures(seq, prompt, LOGIT_SUBSET);
      else sampleFromLogits((await prefillFeatures(seq, prompt, LOGIT_SKETCH)).logits!, { temperature: 0.7, topK: 40, topP: 0.95, seed: 1 });
      return performance.now() - t0;
    };
    const lastMs = await timed('plain');
    const subsetMs = await timed('subset');
    const fullMs = await timed('full');
    return { plainMs, lastMs, subsetMs, fullMs };
  } finally {
    seq.dispose();
  }
}

/**
 * 4 drafts of TOKENS tokens, greedy, prompt included: one after another, 4 sequences each iterating its own
 * `evaluate` at once (node-llama-cpp's batching left to itself), and Reckon's draft path (decodePath's Lockstep: every
 * step of the 4 queued together).
 */
async function draftsPair(model: LlamaModel, ctx4: LlamaContext): Promise<{ batchedMs: number; lockstepMs: number; sequentialMs: number }> {
  const prompt = model.tokenize(chatText(SHORT), true) as Token[];
  const seqs = draftSequences.get(ctx4) ?? [0, 1, 2, 3].map(() => ctx4.getSequence());
  draftSequences.set(ctx4, seqs);
  const draft = async (seq: LlamaContextSequence): Promise<void> => {
    await seq.clearHistory();
    let n = 0;
    for await (const _t of seq.evaluate(prompt, { temperature: 0 })) if (++n >= TOKENS) break;
  };
  const inLockstep = async (group: Lockstep, seq: LlamaContextSequence): Promise<void> => {
    try {
      await seq.clearHistory();
      let n = 0;
      for await (const _t of lockstepEvaluate(group, model, seq, prompt, { confidence: false }, { temperature: 0 })) if (++n >= TOKENS) break;
    } finally {
      group.leave();
    }
  };
  {
    let t0 = performance.now();
    for (let i = 0; i < 4; i++) await draft(seqs[0]!);
    const sequentialMs = performance.now() - t0;
    t0 = performance.now();
    await Promise.all(seqs.map(draft));
    const batchedMs = performance.now() - t0;
    const group = new Lockstep(seqs.length);
    t0 = performance.now();
    await Promise.all(seqs.map((q) => inLockstep(group, q)));
    return { batchedMs, lockstepMs: performance.now() - t0, sequentialMs };
  }
}
/** The 4 sequences of a drafts context, taken once (a disposed sequence is not free again at once). */
const draftSequences = new WeakMap<LlamaContext, LlamaContextSequence[]>();

function draftsLine(drafts: Awaited<ReturnType<typeof draftsPair>>[]): string {
  const ms = (f: (d: (typeof drafts)[number]) => number) => fmt(drafts.map(f), 0);
  const share = (f: (d: (typeof drafts)[number]) => number) => fmt(drafts.map((d) => f(d) / d.sequentialMs), 3);
  return `4 drafts       sequential ${ms((d) => d.sequentialMs)} ms | node-llama-cpp batching ${ms((d) => d.batchedMs)} ms, ratio ${share((d) => d.batchedMs)} | Reckon's lockstep ${ms((d) => d.lockstepMs)} ms, ratio ${share((d) => d.lockstepMs)} (target <= 0.6)`;
}

console.log(`# realistic bench ${new Date().toISOString().slice(0, 10)} - ${shape.name} ${quantized ? 'Q4_0 (llama-quantize)' : 'Q4_0 written directly (llama-quantize not built)'}`);
console.log(`# ${modelPath}`);
console.log(`# ${RUNS} rounds, ${TOKENS} tokens decoded per run, threads ${THREADS.join(',')}, llama-bench ${llamaCppTool('llama-bench') ?? 'not built'}`);

const llama = await getLlama({ gpu: false, build: 'never', maxThreads: Math.max(...THREADS), logLevel: 'error' as never });
const model = await llama.loadModel({ modelPath });
if (process.env.BENCH_ONLY === 'probe') {
  for (const threads of THREADS) {
    const ctx = await model.createContext({ contextSize: 1024, sequences: 1, threads, batchSize: 512 });
    await probePair(model, ctx, SHORT); // warm-up: pages, the subset table
    const probe: Awaited<ReturnType<typeof probePair>>[] = [];
    for (let round = 0; round < RUNS; round++) probe.push(await probePair(model, ctx, round % 2 ? LONG : SHORT));
    console.log(`\n## ${threads} thread(s), probe only (short and long prompts alternating)`);
    console.log(probeLine(probe, median(probe.map((p) => p.plainMs)), 'the plain prefill'));
    await ctx.dispose();
  }
  await model.dispose();
  await llama.dispose();
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'drafts') {
  for (const threads of THREADS) {
    const ctx4 = await model.createContext({ contextSize: 4 * 256, sequences: 4, threads, batchSize: 512 });
    await draftsPair(model, ctx4); // warm-up
    const drafts: Awaited<ReturnType<typeof draftsPair>>[] = [];
    for (let round = 0; round < RUNS; round++) drafts.push(await draftsPair(model, ctx4));
    console.log(`\n## ${threads} thread(s), drafts only`);
    console.log(draftsLine(drafts));
    await ctx4.dispose();
  }
  await model.dispose();
  await llama.dispose();
  process.exit(0);
}
const home = mkdtempSync(join(tmpdir(), 'reckon-bench-real-'));
const host = await createHost({ userDataDir: home, modelsDir, shell: 'cli' });
try {
  for (const threads of THREADS) {
    await host.call('settings.update', { threads, temperature: 0 });
    const ctx = await model.createContext({ contextSize: 1024, sequences: 1, threads, batchSize: 512 });
    const ctx4 = await model.createContext({ contextSize: 4 * 256, sequences: 4, threads, batchSize: 512 });
    // warm-up: the engine loads the model, both paths touch every page once
    await reckonRun(host, SHORT);
    await bareRun(model, ctx, SHORT);
    const r = { bare: [] as Run[], reckon: [] as (Run & { tailMs: number; hostMs: number })[], bareLong: [] as Run[], reckonLong: [] as Run[], lb: [] as { tg: number; pp: number }[] };
    const probe: Awaited<ReturnType<typeof probePair>>[] = [];
    const drafts: Awaited<ReturnType<typeof draftsPair>>[] = [];
    let longPrompt = 0;
    for (let round = 0; round < RUNS; round++) {
      // alternate which goes first, so a load change during a round does not always favour one side
      const pair = round % 2 === 0
        ? [async () => r.bare.push(await bareRun(model, ctx, SHORT)), async () => r.reckon.push(await reckonRun(host, SHORT))]
        : [async () => r.reckon.push(await reckonRun(host, SHORT)), async () => r.bare.push(await bareRun(model, ctx, SHORT))];
      for (const f of pair) await f();
      r.bareLong.push(await bareRun(model, ctx, LONG));
      r.reckonLong.push(await reckonRun(host, LONG));
      longPrompt = r.bareLong[r.bareLong.length - 1]!.promptTokens;
      const lb = llamaBench(threads, longPrompt);
      if (lb !== null) r.lb.push(lb);
      probe.push(await probePair(model, ctx, SHORT));
      drafts.push(await draftsPair(model, ctx4));
    }
    const info = await host.call('system.info');
    const rss = info.engine.pid ? rssMiB(info.engine.pid) : NaN;
    const tps = (xs: Run[]) => xs.map((x) => x.decodeTps);
    const ttft = (xs: Run[]) => xs.map((x) => x.ttftMs);
    const pp = (xs: Run[]) => xs.map((x) => x.promptTokens / (x.ttftMs / 1000));
    console.log(`\n## ${threads} thread${threads > 1 ? 's' : ''}`);
    console.log(`decode tok/s   bare ${fmt(tps(r.bare))} | reckon ${fmt(tps(r.reckon))} | llama-bench tg${TOKENS} ${fmt(r.lb.map((x) => x.tg))}`);
    console.log(`  ratio reckon/bare ${ratio(tps(r.reckon), tps(r.bare))} (target >= 0.98), reckon/llama-bench ${ratio(tps(r.reckon), r.lb.map((x) => x.tg))} (target >= 0.95)`);
    console.log(`prefill tok/s  (${longPrompt}-token prompt; Reckon's holds the template's own tokens: ${r.reckonLong[0]?.promptTokens}) bare ${fmt(pp(r.bareLong))} | reckon ${fmt(pp(r.reckonLong))} | llama-bench pp ${fmt(r.lb.map((x) => x.pp))}`);
    console.log(`TTFT ms short  bare ${fmt(ttft(r.bare))} (${r.bare[0]?.promptTokens} tokens) | reckon ${fmt(ttft(r.reckon))} (${r.reckon[0]?.promptTokens} tokens) | overhead ${(median(ttft(r.reckon)) - median(ttft(r.bare))).toFixed(1)} ms (target <= 5)`);
    console.log(`  of Reckon's TTFT, host + IPC (all but the engine's own request-to-first-token) ${fmt(r.reckon.map((x) => x.hostMs))} ms (target <= 5)`);
    console.log(`after the last token, until done (ledger, receipt, save) ${fmt(r.reckon.map((x) => x.tailMs))} ms`);
    console.log(`engine RSS     ${rss.toFixed(0)} MiB`);
    console.log(probeLine(probe, median(ttft(r.reckon)), "Reckon's TTFT"));
    console.log(draftsLine(drafts));
    await ctx4.dispose();
    await ctx.dispose();
    // receipts: commit of a turn's hidden tokens (1,024-wide fingerprints, this model's embedding) vs decoding them
    if (threads === THREADS[0]) await receiptShare(median(tps(r.reckon)));
  }
} finally {
  await host.close();
  await model.dispose();
  await llama.dispose();
  rmSync(home, { recursive: true, force: true });
}

async function receiptShare(decodeTps: number): Promise<void> {
  const n = 2048;
  const table = syntheticTable(shape.embedding);
  const rnd = seededRandom(5);
  const tokens = Array.from({ length: n }, () => 7 + Math.floor(rnd() * 95));
  const spec = makeEmbeddingSpec({ modelSha256: 'ab'.repeat(32), dims: shape.embedding, vocabSize: table.vocabSize });
  const issuer = new ReceiptIssuer(await generateReceiptKeyPair());
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    await issuer.issue({ turnId: 'bench', spec, segments: [{ kind: 'thinking', tokens }], table });
    if (i > 0) times.push(performance.now() - t0);
  }
  const genMs = (1000 * n) / decodeTps;
  console.log(`receipt commit ${n} hidden tokens, ${shape.embedding}-wide: ${fmt(times, 0)} ms vs ${genMs.toFixed(0)} ms to decode them at ${decodeTps.toFixed(1)} tok/s = ${(100 * median(times) / genMs).toFixed(2)} % (target <= 3 %)`);
}

function probeLine(probe: Awaited<ReturnType<typeof probePair>>[], ttftMs: number, of: string): string {
  const subset = probe.map((p) => p.subsetMs - p.lastMs);
  const full = probe.map((p) => p.fullMs - p.lastMs);
  return `probe          prefill ${fmt(probe.map((p) => p.plainMs))} ms; last token alone ${fmt(probe.map((p) => p.lastMs))} ms; subset probe (${subsetSize(vocabSizeOf(model))} ids + greedy) cost ${fmt(subset)} ms = ` +
    `${(100 * median(subset) / ttftMs).toFixed(2)} % of ${of} (target <= 1 %); old full-logits sketch + first-token draw cost ${fmt(full)} ms = ` +
    `${(100 * median(full) / ttftMs).toFixed(2)} %`;
}
