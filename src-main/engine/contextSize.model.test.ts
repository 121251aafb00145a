import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateParams } from '../common/engineProtocol';
import { ReckonError } from '../common/errors';
import { TestEngineClient } from '../host/testing/testEngineClient';

// stories260K was trained on 2048 tokens: the engine's default context for it is 2048 (under the 4096 cap).
const stories = join(resolve(__dirname, '../../../shared/fixtures/gguf'), 'stories260K.gguf');
const line = 'Once upon a time there was a little girl named Lily who liked to play in the park with her dog. ';
// A conversation of a few hundred tokens: more than 256, well under 2048 with the answer.
const history: GenerateParams['history'] = [
  { role: 'user', text: line.repeat(8) },
  { role: 'assistant', text: line.repeat(8) },
];
let engine: TestEngineClient;

function turn(p: Partial<GenerateParams> & { requestId: string }): GenerateParams & { requestId: string } {
  return {
    chatKey: 'ctx', modelPath: stories, systemPrompt: '', history, question: 'What did Lily do next?',
    maxTokens: 16, temperature: 0, thinkingBudget: null, seed: 1, ...p,
  };
}

beforeAll(async () => {
  engine = new TestEngineClient();
  await engine.ready();
  await engine.call('init', { backend: 'cpu', threads: 1, cachedThreads: null });
});

afterAll(async () => {
  await engine?.close();
});

describe('the model\'s context length (GenerateParams.contextSize)', () => {
  it('at 256 tokens the conversation is CONTEXT_FULL, before anything is decoded', async () => {
    const before = engine.events.length;
    const err = (await engine.call('generate', turn({ requestId: 'c256', contextSize: 256 })).catch((e: unknown) => e)) as ReckonError;
    expect(err.code).toBe('CONTEXT_FULL');
    const { promptTokens, contextSize } = err.details as { promptTokens: number; contextSize: number };
    expect(contextSize).toBe(256);
    // The prompt is the one the 2048 case answers: it fits there, not here.
    expect(promptTokens).toBeGreaterThan(256);
    expect(promptTokens).toBeLessThan(2048 - 16);
    expect(err.message).toMatch(/context length/);
    expect(engine.events.slice(before).some((e) => e.type === 'answer')).toBe(false);
  });

  it('at 2048 tokens the same conversation answers, in a context of 2048', async () => {
    const r = await engine.call('generate', turn({ requestId: 'c2048', contextSize: 2048 }));
    expect(r.answer.length).toBeGreaterThan(0);
    expect(r.context).toEqual({ size: 2048 });
    expect(r.ledger.prompt + r.ledger.cached).toBeGreaterThan(256);
  });

  it('back at 256 the context is rebuilt small again (the setting is not sticky at its largest)', async () => {
    const err = (await engine.call('generate', turn({ requestId: 'c256b', contextSize: 256 })).catch((e: unknown) => e)) as ReckonError;
    expect(err.code).toBe('CONTEXT_FULL');
    const short = await engine.call('generate', turn({ requestId: 'c256c', chatKey: 'short', history: [], question: 'Lily', contextSize: 256 }));
    expect(short.context).toEqual({ size: 256 });
  });

  it('a length above the trained 2048 is clamped to it, and the clamp is reported', async () => {
    const r = await engine.call('generate', turn({ requestId: 'c8192', contextSize: 8192 }));
    expect(r.answer.length).toBeGreaterThan(0);
    expect(r.context).toEqual({ size: 2048, clampedFrom: 8192 });
  });

  it('no setting = the engine default (the trained length under the 4096 cap)', async () => {
    const r = await engine.call('generate', turn({ requestId: 'cdef' }));
    expect(r.context).toEqual({ size: 2048 });
  });
});
