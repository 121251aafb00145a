/**
 * The remote engine process against llama.cpp's real llama-server (built by tools/engines/buildLlamaCpp.sh; npm
 * test's pretest) serving the bundled model with -np 4: parity with the built-in engine, budget forcing,
 * prompt-cache reuse, abort, a wrong key. The host-level cases (a server killed mid-stream, RPC workers through
 * the CLI) are in host/remoteEngine.model.test.ts.
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateParams, GenerateResult } from '../../common/engineProtocol';
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
