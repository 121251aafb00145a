import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateParams, GenerateResult } from '../common/engineProtocol';
import { ReckonError } from '../common/errors';
import { ledgerAddsUp } from '../common/ledger';
import { startTestEngine, TestEngineClient, type TestEngineSession } from '../host/testing/testEngineClient';

const fixtures = resolve(__dirname, '../../../shared/fixtures/gguf');
const stories = join(fixtures, 'stories260K.gguf');
const tinyRandom = join(fixtures, 'llama-2-tiny-random.gguf');
let session: TestEngineSession;
let engine: TestEngineClient;
let tmp: string;

function turn(p: Partial<GenerateParams> & { requestId: string }): GenerateParams & { requestId: string } {
  return {
    chatKey: 'c1', modelPath: stories, systemPrompt: '', history: [], question: 'Once upon a time',
    maxTokens: 40, temperature: 0, thinkingBudget: null, seed: 1, ...p,
  };
}

beforeAll(async () => {
  session = await startTestEngine({ tmpPrefix: 'reckon-engine-', backend: 'auto' });
  ({ engine, tmp } = session);
  expect(session.pid).toBeGreaterThan(0);
  expect(session.info.threads).toBe(1);
  expect(session.info.threadsSource).toBe('settings');
});

afterAll(() => session?.close());

describe('engine process (fixtures)', () => {
  it('reports the backend', async () => {
    const info = await engine.call('info');
    expect(info?.active).toBe('cpu');
    expect(info?.buildType).toBeTruthy();
    expect(info?.cpuCores).toBeGreaterThan(0);
  });

  it('inspects stories260K: llama, no template, no thinking', async () => {
    const m = await engine.call('inspect', { path: stories });
    expect(m.architecture).toBe('llama');
    expect(m.chatTemplate).toBe('none');
    expect(m.thinking).toBe(false);
    expect(m.sha256).toBe('270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d');
    expect(m.id).toBe(m.sha256.slice(0, 16));
    expect(m.parameters).toBeGreaterThan(200_000);
    expect(m.parameters).toBeLessThan(400_000);
    expect(m.contextLength).toBe(2048);
    expect(m.quantization).toBeTruthy();
  });

  it('inspects llama-2-tiny-random with its 32000-token vocabulary', async () => {
    const m = await engine.call('inspect', { path: tinyRandom });
    expect(m.architecture).toBe('llama');
    expect(m.sha256).toBe('81f226c62d28ed4a1a9b9fa080fcd9f0cc40e0f9d5680036583ff98fbcd035cb');
    // token_embd is vocab x d: the vocabulary shows in the parameter count (32000 * 8 twice at least)
    expect(m.parameters).toBeGreaterThanOrEqual(32_000 * 8 * 2);
  });

  it('generates on stories260K as answer deltas with a ledger that adds up', async () => {
    const before = engine.events.length;
    const r = await engine.call('generate', turn({ requestId: 'g1' }));
    const events = engine.events.slice(before);
    const answers = events.filter((e) => e.type === 'answer');
    expect(events.some((e) => e.type === 'thought' || e.type === 'thought-end')).toBe(false);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.map((e) => (e.type === 'answer' ? e.text : '')).join('')).toBe(r.answer);
    expect(r.answer.length).toBeGreaterThan(0);
    expect(r.thinking).toBe('');
    expect(r.ledger.prompt).toBeGreaterThan(0);
    expect(r.ledger.visible).toBeGreaterThan(0);
    expect(r.ledger.thinking).toBe(0);
    expect(r.ledger.cached).toBe(0);
    expect(ledgerAddsUp(r.ledger)).toBe(true);
    expect(r.ledger.visible).toBeLessThanOrEqual(40);
  });

  it('reuses the KV prefix on the second turn of the same chatKey', async () => {
    const first = await engine.call('generate', turn({ requestId: 'k1', chatKey: 'reuse' }));
    const second = await engine.call('generate', turn({
      requestId: 'k2', chatKey: 'reuse', question: 'And then?',
      history: [{ role: 'user', text: 'Once upon a time' }, { role: 'assistant', text: first.answer }],
    }));
    expect(second.ledger.cached).toBeGreaterThan(0);
    expect(second.ledger.prompt).toBeGreaterThan(0);
    expect(second.ledger.prompt).toBeLessThan(first.ledger.prompt + first.ledger.visible);
    expect(ledgerAddsUp(second.ledger)).toBe(true);
  });

  it('aborts a running generation quickly with what was produced so far', async () => {
    let aborted = false;
    const started = new Promise<void>((ok) => engine.onEvent((e) => {
      if (e.type === 'answer' && e.turnId === 'a1' && !aborted) {
        aborted = true;
        ok();
      }
    }));
    const running = engine.call('generate', turn({ requestId: 'a1', chatKey: 'abort', maxTokens: 100_000 }));
    await started;
    const t0 = Date.now();
    await engine.call('abort', { requestId: 'a1' });
    const r: GenerateResult = await running;
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(r.stopReason).toBe('aborted');
    expect(r.answer.length).toBeGreaterThan(0);
    expect(ledgerAddsUp(r.ledger)).toBe(true);
  });

  it('an abort that arrives while the model is still loading stops the turn', async () => {
    const running = engine.call('generate', turn({ requestId: 'early', chatKey: 'early', modelPath: tinyRandom, maxTokens: 100_000 }));
    await engine.call('abort', { requestId: 'early' });
    const r = await running;
    expect(r.stopReason).toBe('aborted');
    expect(ledgerAddsUp(r.ledger)).toBe(true);
  });

  it('refuses a truncated GGUF with GGUF_TRUNCATED and keeps answering', async () => {
    const cut = join(tmp, 'cut.gguf');
    const full = readFileSync(stories);
    writeFileSync(cut, full.subarray(0, Math.floor(full.length / 2)));
    const err = await engine.call('load', { modelPath: cut }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReckonError);
    expect((err as ReckonError).code).toBe('GGUF_TRUNCATED');
    const err2 = await engine.call('inspect', { path: cut }).catch((e: unknown) => e);
    expect((err2 as ReckonError).code).toBe('GGUF_TRUNCATED');
    const junk = join(tmp, 'junk.gguf');
    writeFileSync(junk, 'not a model');
    expect(((await engine.call('load', { modelPath: junk }).catch((e: unknown) => e)) as ReckonError).code).toBe('GGUF_INVALID');
    const r = await engine.call('generate', turn({ requestId: 'after', chatKey: 'after' }));
    expect(r.answer.length).toBeGreaterThan(0);
  });

  it('rejects unknown methods and bad parameters with BAD_REQUEST', async () => {
    const e1 = await engine.call('nope' as 'info').catch((e: unknown) => e);
    expect((e1 as ReckonError).code).toBe('BAD_REQUEST');
    const e2 = await engine.call('generate', { requestId: 'x' } as never).catch((e: unknown) => e);
    expect((e2 as ReckonError).code).toBe('BAD_REQUEST');
  });

  it('loads the other fixture on request (switching models) with progress events', async () => {
    const before = engine.events.length;
    const info = await engine.call('load', { modelPath: tinyRandom });
    expect(info.active).toBe('cpu');
    const progress = engine.events.slice(before).filter((e) => e.type === 'load-progress');
    expect(progress.length).toBeGreaterThan(0);
    // Whole percents, rising, ending at 1 once the model is usable (not one event per tensor).
    const values = progress.map((e) => (e.type === 'load-progress' ? e.progress : NaN));
    expect(values.length).toBeLessThanOrEqual(101);
    expect(values.every((v, i) => i === 0 || v > values[i - 1]!)).toBe(true);
    expect(values.at(-1)).toBe(1);
    const r = await engine.call('generate', turn({ requestId: 'tr', chatKey: 'tr', modelPath: tinyRandom, maxTokens: 8 }));
    expect(ledgerAddsUp(r.ledger)).toBe(true);
    expect(r.ledger.prompt).toBeGreaterThan(0);
  });

  it('measures threads once when no setting is given, reports it to the host, and uses the cached count it is given', async () => {
    // Measured on the next model use: this load, or this init when an earlier test left the model loaded.
    const seen = engine.events.length;
    const first = await engine.call('init', { backend: 'auto', threads: null, cachedThreads: null });
    expect(first.threadsSource).toBe('measured');
    const loaded = await engine.call('load', { modelPath: stories });
    expect(loaded.threadsSource).toBe('measured');
    expect(loaded.threads).toBeGreaterThanOrEqual(1);
    expect(loaded.threads).toBeLessThanOrEqual(loaded.cpuCores);
    // The engine writes no cache file: the measurement comes back as one event for the host to keep.
    const reports = engine.events.slice(seen).filter((e) => e.type === 'threads-measured');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ threads: loaded.threads, measuredAt: expect.any(String) });
    const again = await engine.call('init', { backend: 'auto', threads: null, cachedThreads: loaded.threads });
    expect(again.threadsSource).toBe('cached');
    expect(again.threads).toBe(loaded.threads);
    const r = await engine.call('generate', turn({ requestId: 'after-threads', chatKey: 'threads' }));
    expect(r.answer.length).toBeGreaterThan(0);
    expect(engine.events.slice(seen).filter((e) => e.type === 'threads-measured')).toHaveLength(1);
    await engine.call('init', { backend: 'auto', threads: 1, cachedThreads: null });
  });

  it('falls back to auto with a reason when a GPU override cannot load', async () => {
    const info = await engine.call('init', { backend: 'vulkan', threads: 1, cachedThreads: null });
    expect(info.requested).toBe('vulkan');
    if (info.active !== 'vulkan') {
      expect(info.fallbackReason).toMatch(/Vulkan/);
    }
    const r = await engine.call('generate', turn({ requestId: 'after-fallback', chatKey: 'fb' }));
    expect(r.answer.length).toBeGreaterThan(0);
    const cpu = await engine.call('init', { backend: 'cpu', threads: 1, cachedThreads: null });
    expect(cpu.active).toBe('cpu');
    expect(cpu.fallbackReason).toBeUndefined();
  });

  it('crash kills the process abruptly (for the host supervisor)', async () => {
    const victim = new TestEngineClient();
    await victim.ready();
    const reply = victim.call('crash').catch((e: unknown) => e);
    const exit = await victim.exited;
    expect(exit.signal ?? exit.code).toBeTruthy();
    expect(((await reply) as ReckonError).code).toBe('ENGINE_CRASHED');
  });
});
