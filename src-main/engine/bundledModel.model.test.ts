/**
 * Engine tests on the bundled model (models/reckon-arith.gguf, ChatML + <think>). They fail, not skip,
 * when the model is missing: the app ships it, so its absence is a bug.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineEventRequestId, type EngineEvent, type GenerateParams } from '../common/engineProtocol';
import { ledgerAddsUp } from '../common/ledger';
import { startTestEngine, type TestEngineClient, type TestEngineSession } from '../host/testing/testEngineClient';

const bundled = resolve(__dirname, '../../models/reckon-arith.gguf');
let session: TestEngineSession;
let engine: TestEngineClient;

function turn(p: Partial<GenerateParams> & { requestId: string }): GenerateParams & { requestId: string } {
  return {
    chatKey: p.requestId, modelPath: bundled, systemPrompt: '', history: [], question: 'What is 37+48?',
    maxTokens: 400, temperature: 0, thinkingBudget: null, seed: 1, ...p,
  };
}

function eventsOf(requestId: string, from: number): EngineEvent[] {
  return engine.events.slice(from).filter((e) => engineEventRequestId(e) === requestId);
}

beforeAll(async () => {
  if (!existsSync(bundled)) throw new Error(`The bundled model is missing: ${bundled} (the lead's training run writes it).`);
  session = await startTestEngine({ tmpPrefix: 'reckon-bundled-', backend: 'auto' });
  ({ engine } = session);
});

afterAll(() => session?.close());

describe('bundled model through the engine', () => {
  it('is classified as ChatML with thinking', async () => {
    const m = await engine.call('inspect', { path: bundled });
    expect(m.architecture).toBe('llama');
    expect(m.chatTemplate).toBe('chatml-think');
    expect(m.thinking).toBe(true);
  });

  it('"What is 37+48?" streams thought deltas, closes the thought, then answers', async () => {
    const from = engine.events.length;
    const r = await engine.call('generate', turn({ requestId: 'sum' }));
    const ev = eventsOf('sum', from);
    const thoughts = ev.filter((e) => e.type === 'thought');
    const end = ev.findIndex((e) => e.type === 'thought-end');
    const firstAnswer = ev.findIndex((e) => e.type === 'answer');
    expect(thoughts.length).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(-1);
    expect(firstAnswer).toBeGreaterThan(end);
    expect(thoughts.map((e) => (e.type === 'thought' ? e.text : '')).join('')).toBe(r.thinking);
    expect(r.thinking).not.toMatch(/<\/?think>/);
    expect(r.answer.length).toBeGreaterThan(0);
    expect(r.answer).not.toMatch(/<\/?think>/);
    expect(r.stopReason).toBe('eos');
    expect(r.ledger.thinking).toBeGreaterThan(0);
    expect(r.ledger.visible).toBeGreaterThan(0);
    expect(r.ledger.prompt).toBeGreaterThan(0);
    expect(ledgerAddsUp(r.ledger)).toBe(true);
    // BOS + "<|im_start|>user\nWhat is 37+48?<|im_end|>\n<|im_start|>assistant\n" in the char vocab: 34 tokens
    expect(r.ledger.prompt + r.ledger.cached).toBe(34);
  });

  it('a small thinking budget closes the thought early and still answers', async () => {
    const from = engine.events.length;
    const r = await engine.call('generate', turn({ requestId: 'budget', thinkingBudget: 4 }));
    const ev = eventsOf('budget', from);
    const end = ev.find((e) => e.type === 'thought-end');
    expect(end?.type === 'thought-end' && end.tokens).toBeLessThanOrEqual(6);
    expect(r.answer.length).toBeGreaterThan(0);
    // <think> + at most ~budget thought tokens + </think>
    expect(r.ledger.thinking).toBeLessThanOrEqual(4 + 4);
    expect(r.ledger.thinking).toBeGreaterThan(0);
    expect(ledgerAddsUp(r.ledger)).toBe(true);
  });

  it('a follow-up in the same chat reuses the cached prefix; prior thinking is not replayed', async () => {
    const first = await engine.call('generate', turn({ requestId: 'f1', chatKey: 'follow' }));
    const second = await engine.call('generate', turn({
      requestId: 'f2', chatKey: 'follow', question: 'What is 12+30?',
      history: [{ role: 'user', text: 'What is 37+48?' }, { role: 'assistant', text: first.answer }],
    }));
    expect(second.ledger.cached).toBeGreaterThan(0);
    expect(second.answer.length).toBeGreaterThan(0);
    expect(ledgerAddsUp(second.ledger)).toBe(true);
  });
});
