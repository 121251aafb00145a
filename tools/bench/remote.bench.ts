/**
 * The remote engine (RemoteEngineService over llama.cpp's llama-server) against calling the same llama-server
 * directly, and what its controller costs there. Part of `npm run bench:realistic`. Interleaved pairs, medians and
 * min-max:
 * - one greedy turn of BENCH_TOKENS tokens through the remote engine (its /props, /slots, /tokenize and
 *   /apply-template requests, then /completion streamed with token ids and parsed) vs one /completion of the same
 *   prompt ids and length read straight off the socket: the wall-time ratio and the difference per turn, on the
 *   bundled model and on the Qwen3-0.6B-shaped Q4_0 test model (tools/model/testModels.ts), 1 server thread;
 * - early exit's trials on the bundled model (the random-weight model has no reasoning steps to try at): a turn
 *   whose every trial is rolled back (threshold 1) vs the plain turn it equals token for token, so the difference
 *   is the trials' whole cost; and the default threshold (0.85), which fires, for what it saves;
 * - 4 concurrent /completion requests on 4 slots vs the same 4 one after another (what parallel drafts get).
 * The engine runs in this process (the adapter's cost; the host's hop to the engine process is the built-in
 * engine's too and is measured by realistic.bench.ts). Env: BENCH_RUNS (pairs, default 5), BENCH_TOKENS (default 32).
 */
import { mergeControllerSettings } from '../../src-main/common/controller/defaults';
import type { GenerateParams, GenerateResult } from '../../src-main/common/engineProtocol';
import { RemoteEngineService } from '../../src-main/engine/remote/RemoteEngineService';
import { startLlamaServer, type LlamaServer } from '../../src-main/host/testing/llamaServer';
import { ensureTestModel } from '../model/testModels';
import { bundledModelPath } from '../model/reckonArith';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 32);
const QUESTION = 'What is 123456 + 654321?';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (xs: number[], d = 1): string => xs.length === 0 ? 'n/a'
  : `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)})`;

let turns = 0;
function params(modelPath: string, p: Partial<GenerateParams> = {}): GenerateParams & { requestId: string } {
  const id = `bench-${++turns}`;
  return {
    requestId: id, chatKey: id, modelPath, systemPrompt: '', history: [], question: QUESTION,
    maxTokens: TOKENS, temperature: 0, thinkingBudget: null, seed: 1, strategy: 'long',
    difficulty: { difficulty: 'easy', probabilities: null, expectedThinkingTokens: 40, source: 'fallback', probeTokens: 0 },
    ...p,
  };
}

/** One /completion straight to the server: the request, the SSE bytes read to the final event; tokens counted. */
async function direct(url: string, prompt: number[], nPredict: number): Promise<{ ms: number; tokens: number }> {
  const t0 = performance.now();
  const r = await fetch(`${url}/completion`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, n_predict: nPredict, temperature: 0, top_k: 1, top_p: 1, min_p: 0, repeat_penalty: 1, seed: 1, stream: true, return_tokens: true, cache_prompt: true }),
  });
  const reader = r.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const events = text.split('\n\n').filter((e) => e.startsWith('data:')).map((e) => JSON.parse(e.slice(5)) as { tokens?: number[]; stop?: boolean });
  return { ms: performance.now() - t0, tokens: events.reduce((n, e) => n + (e.stop === true ? 0 : (e.tokens?.length ?? 0)), 0) };
}

async function timed(svc: RemoteEngineService, p: GenerateParams & { requestId: string }): Promise<{ ms: number; r: GenerateResult }> {
  const t0 = performance.now();
  const r = await svc.methods.generate(p);
  return { ms: performance.now() - t0, r };
}

/** The engine vs direct, interleaved (which goes first alternates), on one server. */
async function engineVsDirect(label: string, server: LlamaServer, modelPath: string): Promise<void> {
  const svc = new RemoteEngineService({ url: server.url }, () => undefined);
  await svc.methods.init({ backend: 'auto', threads: null, cachedThreads: null });
  const promptText = await svc.client.applyTemplate([{ role: 'user', content: QUESTION }]);
  const prompt = await svc.client.tokenize(promptText, { addSpecial: true, parseSpecial: true });
  // Warm both: the slot's cache then holds the prompt for either.
  await timed(svc, params(modelPath));
  await direct(server.url, prompt, TOKENS);
  const ratio: number[] = [];
  const diff: number[] = [];
  const engineTps: number[] = [];
  const directTps: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const first = i % 2 === 0;
    const d1 = first ? await direct(server.url, prompt, TOKENS) : null;
    const e = await timed(svc, params(modelPath));
    const d = d1 ?? await direct(server.url, prompt, TOKENS);
    const produced = e.r.ledger.thinking + e.r.ledger.visible;
    ratio.push(e.ms / d.ms);
    diff.push(e.ms - d.ms);
    engineTps.push(produced / (e.ms / 1000));
    directTps.push(d.tokens / (d.ms / 1000));
  }
  console.log(`${label}: turn of ${TOKENS} tokens, engine ${fmt(engineTps)} tok/s | direct ${fmt(directTps)} tok/s | ` +
    `engine/direct wall ${fmt(ratio, 3)} (target <= 1.05) | +${fmt(diff, 1)} ms per turn`);
  await svc.dispose();
}

/** Early exit's trials as a share of a turn (bundled model: it reasons in steps). */
async function trialCost(server: LlamaServer): Promise<void> {
  const svc = new RemoteEngineService({ url: server.url }, () => undefined);
  const model = bundledModelPath;
  const warm = await timed(svc, params(model, { strategy: 'long', maxTokens: 400 }));
  // Trials wherever the rule tries (result lines and the steps after them, common/controller/earlyExit.ts) from the
  // start (startFraction 0), or from half the expected thinking (the default), expected = the plain turn's own
  // thinking length.
  const expected = warm.r.ledger.thinking;
  const ee = (threshold: number, startFraction = 0): Partial<GenerateParams> => ({
    strategy: 'early-exit', maxTokens: 400,
    difficulty: { difficulty: 'easy', probabilities: null, expectedThinkingTokens: expected, source: 'fallback', probeTokens: 0 },
    controller: mergeControllerSettings({ strategies: { easy: { earlyExitThreshold: threshold, budgetFraction: 2 } }, earlyExit: { startFraction } }),
  });
  const share: number[] = [];
  const shareHalf: number[] = [];
  let trialsHalf = 0;
  const fired: number[] = [];
  let trials = 0;
  let trialTokens = 0;
  let firedAt = 0;
  let longTokens = 0;
  for (let i = 0; i < RUNS; i++) {
    const long = await timed(svc, params(model, { strategy: 'long', maxTokens: 400 }));
    const never = await timed(svc, params(model, ee(1)));
    const half = await timed(svc, params(model, ee(1, 0.5)));
    const fire = await timed(svc, params(model, ee(0.85)));
    share.push((never.ms - long.ms) / never.ms);
    shareHalf.push((half.ms - long.ms) / half.ms);
    trialsHalf = half.r.earlyExit?.trials ?? 0;
    fired.push(fire.ms / long.ms);
    trials = never.r.earlyExit?.trials ?? 0;
    trialTokens = never.r.ledger.overhead.trial;
    firedAt = fire.r.earlyExit?.atThinkingTokens ?? 0;
    longTokens = long.r.ledger.thinking;
  }
  console.log(`early exit (bundled model, ${longTokens} thinking tokens): threshold 1 (never fires), ${trials} trials rolled back (${trialTokens} trial tokens) = ${fmt(share.map((x) => 100 * x), 1)} % of the turn; ` +
    `from half the expected thinking ${trialsHalf} trials = ${fmt(shareHalf.map((x) => 100 * x), 1)} % (target <= 3 %); ` +
    `threshold 0.85 fires at ${firedAt} of ${longTokens} thinking tokens: turn ${fmt(fired, 3)} x the plain one`);
  await svc.dispose();
}

/** 4 requests on 4 slots at once vs one after another (the server batches its slots into one decode). */
async function parallelSlots(label: string, server: LlamaServer, prompt: number[]): Promise<void> {
  const ratio: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await Promise.all([0, 1, 2, 3].map(() => direct(server.url, prompt, TOKENS)));
    const together = performance.now() - t0;
    const t1 = performance.now();
    for (let k = 0; k < 4; k++) await direct(server.url, prompt, TOKENS);
    ratio.push(together / (performance.now() - t1));
  }
  console.log(`${label}: 4 drafts of ${TOKENS} tokens on 4 slots at once / one after another ${fmt(ratio, 3)} (target <= 0.6)`);
}

console.log(`\n# remote engine (llama-server, 1 thread, -np 4): ${RUNS} pairs, ${TOKENS} tokens per turn`);
const toy = await startLlamaServer({ model: bundledModelPath });
try {
  await engineVsDirect('bundled model', toy, bundledModelPath);
  await trialCost(toy);
} finally {
  await toy.kill();
}
if (process.env.BENCH_ONLY !== 'bundled') {
  const realistic = ensureTestModel('qwen3-0.6b', 'Q4_0', { direct: true });
  const big = await startLlamaServer({ model: realistic, contextSize: 4 * 512 });
  try {
    await engineVsDirect('qwen3-0.6b Q4_0', big, realistic);
    const svc = new RemoteEngineService({ url: big.url }, () => undefined);
    const prompt = await svc.client.tokenize(await svc.client.applyTemplate([{ role: 'user', content: QUESTION }]), { addSpecial: true, parseSpecial: true });
    await parallelSlots('qwen3-0.6b Q4_0', big, prompt);
  } finally {
    await big.kill();
  }
}
