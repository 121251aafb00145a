import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGguf } from '../../src-main/engine/ggufCheck';
import { startTestEngine, type TestEngineSession } from '../../src-main/host/testing/testEngineClient';
import { ensureTestModel, testShapes } from './testModels';

// The small variant of the realistic test models: the real 151,936-token Qwen2 vocabulary and the Qwen3 template
// around 2 random layers, so it loads and decodes in seconds; the 0.6B shape is the same writer with bigger numbers.
let session: TestEngineSession;
let path: string;

beforeAll(async () => {
  path = ensureTestModel('qwen3-small', 'F16');
  session = await startTestEngine({ tmpPrefix: 'reckon-test-models-' });
});

afterAll(() => session?.close());

describe('test models', () => {
  it('writes a qwen3 file the header check accepts with the whole vocabulary and every layer', () => {
    const s = checkGguf(path);
    expect(s.architecture).toBe('qwen3');
    expect(s.vocabSize).toBe(151_936);
    expect(s.blockCount).toBe(testShapes['qwen3-small'].layers);
    expect(s.dataEnd).toBe(s.fileSize);
    // the same seed is the same file: reused from the cache, not rewritten
    expect(ensureTestModel('qwen3-small', 'F16')).toBe(path);
  });

  it('loads through the engine with the Qwen3 template and decodes the asked number of tokens', async () => {
    const m = await session.engine.call('inspect', { path });
    expect(m.architecture).toBe('qwen3');
    expect(m.chatTemplate).not.toBe('none');
    // random weights: no end-of-turn is likely within 24 tokens of 151,936; the answer is whatever they say
    const r = await session.engine.call('generate', {
      requestId: 'small', chatKey: 'small', modelPath: path, systemPrompt: '', history: [], question: 'What is 2 + 2?',
      maxTokens: 24, temperature: 0, thinkingBudget: null, seed: 1, strategy: 'long',
    });
    expect(r.ledger.prompt).toBeGreaterThan(5);
    expect(r.ledger.thinking + r.ledger.visible).toBeGreaterThan(0);
    expect(r.ledger.thinking + r.ledger.visible).toBeLessThanOrEqual(24);
  });
});
