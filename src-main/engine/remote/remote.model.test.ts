/**
 * The remote engine process against llama.cpp's real llama-server (built by tools/engines/buildLlamaCpp.sh; npm
 * test's pretest) serving the bundled model with -np 4: parity with the built-in engine, budget forcing,
 * prompt-cache reuse, abort, a wrong key. The host-level cases (a server killed mid-stream, RPC workers through
 * the CLI) are in host/remoteEngine.model.test.ts.
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeControllerSettings } from '../../common/controller/defaults';
import { engineEventRequestId, type EngineEvent, type GenerateParams, type GenerateResult } from '../../common/engineProtocol';
import { ledgerAddsUp } from '../../common/ledger';
import { gatedProxy, startLlamaServer, type LlamaServer } from '../../host/testing/llamaServer';
import { TestEngineClient } from '../../host/testing/testEngineClient';

const root = resolve(__dirname, '../../..');
const bundled = join(root, 'models', 'reckon-arith.gguf');
let server: LlamaServer;
let builtin: TestEngineClient;
let remote: TestEngineClient;

function turn(p: Partial<GenerateParams> & { requestId: string }): GenerateParams & { requestId: string } {
  return {
    chatKey: p.requestId, modelPath: bundled, systemPrompt: '', history: [], question: 'What is 37+48?',
    maxTokens: 400, temperature: 0, thinkingBudget: null, seed: 1, strategy: 'budget',
    // A pinned plan: no probe on either side, the same (large) budget.
    difficulty: { difficulty: 'normal', probabilities: null, expectedThinkingTokens: 4000, source: 'fallback', probeTokens: 0 },
    ...p,
  };
}

beforeAll(async () => {
  server = await startLlamaServer();
  builtin = new TestEngineClient();
  remote = new TestEngineClient({ url: server.url });
  await Promise.all([builtin.ready(), remote.ready()]);
  await builtin.call('init', { backend: 'cpu', threads: 1, cachedThreads: null });
  const info = await remote.call('init', { backend: 'auto', threads: null, cachedThreads: null });
  expect(info.remote).toMatchObject({ kind: 'llama-server', url: server.url, model: 'reckon-arith.gguf', slots: 4 });
});

afterAll(async () => {
  await Promise.all([builtin?.close(), remote?.close()]);
  await server?.kill();
});

describe('remote engine (llama-server)', () => {
  it('answers greedily as the built-in engine does: the same answer and thinking token count', async () => {
    const a = await builtin.call('generate', turn({ requestId: 'parity-b' }));
    const b = await remote.call('generate', turn({ requestId: 'parity-r' }));
    expect(b.answer.length).toBeGreaterThan(0);
    expect(b.answer).toBe(a.answer);
    expect(b.ledger.thinking).toBe(a.ledger.thinking);
    expect(b.ledger.visible).toBe(a.ledger.visible);
    expect(b.ledger.prompt + b.ledger.cached).toBe(a.ledger.prompt + a.ledger.cached);
    expect(ledgerAddsUp(b.ledger)).toBe(true);
    expect(b.stopReason).toBe('eos');
  });

  it('forces a small budget: thinking is the budget (plus its two tags) and the answer is well formed', async () => {
    const budget = 6;
    const a = await builtin.call('generate', turn({ requestId: 'budget-b', thinkingBudget: budget }));
    const b = await remote.call('generate', turn({ requestId: 'budget-r', thinkingBudget: budget }));
    expect(b.plan?.thinkingBudget).toBe(budget);
    expect(b.ledger.thinking).toBe(budget + 2); // <think>, the budget's content tokens, the injected </think>
    expect(b.answer).toMatch(/\d/);
    expect(b.answer).toBe(a.answer);
    expect(b.ledger.thinking).toBe(a.ledger.thinking);
  });

  it('reports the prompt cache it reused as cached', async () => {
    const first = await remote.call('generate', turn({ requestId: 'cache-1', chatKey: 'cache' }));
    const again = await remote.call('generate', turn({ requestId: 'cache-2', chatKey: 'cache' }));
    const length = first.ledger.prompt + first.ledger.cached;
    expect(again.ledger.prompt + again.ledger.cached).toBe(length);
    expect(again.ledger.cached).toBeGreaterThan(0);
    expect(again.ledger.cached).toBe(length - 1); // the server evaluates at least one token for its logits
  });

  it('stops mid-stream on abort with what it had', async () => {
    const proxy = await gatedProxy(server.url);
    const gated = new TestEngineClient({ url: proxy.url });
    try {
      await gated.ready();
      const hold = proxy.holdNextStream();
      const running = gated.call('generate', turn({ requestId: 'abort-1', strategy: 'long' }));
      await hold.reached;
      await gated.call('abort', { requestId: 'abort-1' });
      hold.release();
      const r: GenerateResult = await running;
      expect(r.stopReason).toBe('aborted');
      expect(ledgerAddsUp(r.ledger)).toBe(true);
    } finally {
      await gated.close();
      await proxy.close();
    }
  });

  // Early exit from the start of the thought on the bundled model (its trained Easy threshold, 0.85), and never.
  const easy = { difficulty: 'easy' as const, probabilities: null, expectedThinkingTokens: 40, source: 'fallback' as const, probeTokens: 0 };
  const earlyExitAt = (threshold: number): Partial<GenerateParams> => ({
    strategy: 'early-exit', difficulty: easy,
    controller: mergeControllerSettings({ strategies: { easy: { earlyExitThreshold: threshold, budgetFraction: 10 } }, earlyExit: { startFraction: 0 } }),
  });
  const eventsOf = (c: TestEngineClient, id: string): EngineEvent[] => c.events.filter((e) => engineEventRequestId(e) === id);
  const hiddenOf = (r: GenerateResult): number => (r.hidden ?? []).reduce((n, s) => n + s.tokens.length, 0);

  it('early exit fires on the server\'s probabilities where the built-in engine\'s fires, and says so in the result and events', async () => {
    const a = await builtin.call('generate', turn({ requestId: 'ee-b', ...earlyExitAt(0.85) }));
    const b = await remote.call('generate', turn({ requestId: 'ee-r', ...earlyExitAt(0.85) }));
    expect(b.plan).toMatchObject({ strategy: 'early-exit', earlyExitThreshold: 0.85 });
    expect(b.plan?.degraded).toBeUndefined();
    expect(b.earlyExit?.fired).toBe(true);
    expect(b.earlyExit).toMatchObject({ trials: a.earlyExit!.trials, fired: a.earlyExit!.fired, atThinkingTokens: a.earlyExit!.atThinkingTokens });
    expect(b.earlyExit!.confidence).toBeCloseTo(a.earlyExit!.confidence, 3);
    expect(b.answer).toBe(a.answer);
    expect(b.ledger).toMatchObject({ thinking: a.ledger.thinking, visible: a.ledger.visible, overhead: { trial: a.ledger.overhead.trial } });
    expect(eventsOf(remote, 'ee-r').find((e) => e.type === 'early-exit')).toMatchObject({ fired: true, atThinkingTokens: b.earlyExit!.atThinkingTokens });
    expect(ledgerAddsUp(b.ledger)).toBe(true);
    expect(hiddenOf(b)).toBe(b.ledger.thinking + b.ledger.overhead.trial);
  });

  it('a trial below the threshold is rolled back exactly: the accepted path is the long path, the trials are overhead', async () => {
    const long = await remote.call('generate', turn({ requestId: 'ee-long', strategy: 'long' }));
    const never = await remote.call('generate', turn({ requestId: 'ee-never', ...earlyExitAt(1) }));
    expect(never.earlyExit).toMatchObject({ fired: false });
    expect(never.earlyExit!.trials).toBeGreaterThan(0);
    expect(never.ledger.overhead.trial).toBeGreaterThan(0);
    expect(never.thinking).toBe(long.thinking);
    expect(never.answer).toBe(long.answer);
    expect(never.ledger.thinking).toBe(long.ledger.thinking);
    expect(hiddenOf(never)).toBe(never.ledger.thinking + never.ledger.overhead.trial);
  });

  it('early exit holds its trials where the built-in engine holds them: a trace whose column does not hold', async () => {
    // The bundled model slips a borrow on this question (2-3-0=9); threshold 0 would commit any trial that ran.
    const q = { question: 'What is 62244 - 50300?', ...earlyExitAt(0) };
    const a = await builtin.call('generate', turn({ requestId: 'hold-b', ...q }));
    const b = await remote.call('generate', turn({ requestId: 'hold-r', ...q }));
    expect(a.earlyExit ?? null).toBeNull();
    expect(b.earlyExit ?? null).toBeNull();
    expect(b.ledger.overhead.trial).toBe(0);
    expect(b.thinking).toBe(a.thinking);
    expect(b.answer).toBe(a.answer);
  });

  it('short-m@k runs its drafts on parallel slots, votes, and bills the others as overhead', async () => {
    const r = await remote.call('generate', turn({ requestId: 'mk-r', strategy: 'short-m@k', controller: mergeControllerSettings({ shortMK: { k: 3, m: 2 } }) }));
    expect(r.plan).toMatchObject({ strategy: 'short-m@k', sampling: { k: 3, m: 2 } });
    expect(r.plan?.degraded).toBeUndefined();
    expect(r.drafts).toHaveLength(3);
    const winner = r.drafts!.filter((d) => d.winner);
    expect(winner).toHaveLength(1);
    expect(r.answer).toBe(winner[0]!.text);
    expect(r.drafts!.filter((d) => d.finished).length).toBeGreaterThanOrEqual(2);
    expect(r.drafts!.every((d) => !d.finished || d.confidence > 0)).toBe(true); // the server's n_probs
    expect(r.ledger.overhead.draft).toBeGreaterThan(0);
    expect(ledgerAddsUp(r.ledger)).toBe(true);
    expect(hiddenOf(r)).toBe(r.ledger.thinking + r.ledger.overhead.draft + r.ledger.overhead.distill);
    expect(eventsOf(remote, 'mk-r').filter((e) => e.type === 'draft-end')).toHaveLength(3);
  });

  it('PDR distils a round into a workspace the next round reads; more drafts than slots are capped and said', async () => {
    const r = await remote.call('generate', turn({
      requestId: 'pdr-r', strategy: 'pdr', pdrWorkspace: 'candidates',
      controller: mergeControllerSettings({ pdr: { rounds: [6, 1], kappa: 64 } }),
    }));
    expect(r.plan?.rounds).toEqual([4, 1]);
    expect(r.plan?.degraded).toEqual(['PDR ran at most 4 drafts a round: the llama-server has 4 slots (-np).']);
    expect(r.drafts!.map((d) => d.round)).toEqual([0, 0, 0, 0, 1]);
    const ws = eventsOf(remote, 'pdr-r').find((e) => e.type === 'workspace') as { text: string; tokens: number } | undefined;
    expect(ws?.text).toMatch(/^Candidate answers from earlier drafts: \d/);
    expect(r.ledger.overhead.distill).toBe(ws!.tokens); // the one draft of round 2 read the workspace
    expect(ledgerAddsUp(r.ledger)).toBe(true);
    expect(hiddenOf(r)).toBe(r.ledger.thinking + r.ledger.overhead.draft + r.ledger.overhead.distill);
  });

  it('a wrong API key is ENGINE_AUTH_FAILED', async () => {
    const locked = await startLlamaServer({ apiKey: 'sesame', slots: 1 });
    const wrong = new TestEngineClient({ url: locked.url, apiKey: 'wrong' });
    const right = new TestEngineClient({ url: locked.url, apiKey: 'sesame' });
    try {
      await Promise.all([wrong.ready(), right.ready()]);
      await expect(wrong.call('init', { backend: 'auto', threads: null, cachedThreads: null })).rejects.toMatchObject({ code: 'ENGINE_AUTH_FAILED' });
      await expect(right.call('init', { backend: 'auto', threads: null, cachedThreads: null })).resolves.toMatchObject({ remote: { slots: 1 } });
    } finally {
      await Promise.all([wrong.close(), right.close()]);
      await locked.kill();
    }
  });

});
