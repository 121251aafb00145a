import { describe, expect, it } from 'vitest';
import { contextUse, contextWindowOf, ENGINE_MAX_CONTEXT, ENGINE_SEQUENCES, estimateModelMemory, MEMORY_MARGIN_BYTES } from './contextWindow';
import { makeLedger } from './ledger';

describe('contextWindowOf', () => {
  it('is the trained length capped at the engine maximum, the maximum when unknown', () => {
    expect(contextWindowOf(256)).toBe(256);
    expect(contextWindowOf(32_768)).toBe(ENGINE_MAX_CONTEXT);
    expect(contextWindowOf(null)).toBe(ENGINE_MAX_CONTEXT);
    expect(contextWindowOf(0)).toBe(ENGINE_MAX_CONTEXT);
  });

  it('an asked size wins, clamped to the trained length (never to the default cap)', () => {
    expect(contextWindowOf(2048, 256)).toBe(256);
    expect(contextWindowOf(2048, 8192)).toBe(2048);
    expect(contextWindowOf(32_768, 8192)).toBe(8192);
    expect(contextWindowOf(null, 512)).toBe(512);
    expect(contextWindowOf(2048, null)).toBe(2048);
  });
});

describe('contextUse', () => {
  it('counts the last answered turn: prompt, cached and answer; the peak adds its thinking', () => {
    const first = makeLedger({ visible: 5, thinking: 10, prompt: 20, cached: 0 });
    const second = makeLedger({ visible: 8, thinking: 42, prompt: 10, cached: 15 });
    const u = contextUse([undefined, first, undefined, second, undefined], 256);
    expect(u).toEqual({ used: 33, peak: 75, window: 256, level: 'ok' });
  });

  it('warns from 80 % of the window and says full from 95 % (thinking counts for the peak)', () => {
    expect(contextUse([makeLedger({ visible: 0, thinking: 0, prompt: 204, cached: 0 })], 256)?.level).toBe('ok');
    expect(contextUse([makeLedger({ visible: 0, thinking: 0, prompt: 205, cached: 0 })], 256)?.level).toBe('warn');
    expect(contextUse([makeLedger({ visible: 10, thinking: 200, prompt: 40, cached: 0 })], 256)?.level).toBe('full');
  });

  it('is null before any turn has a ledger', () => {
    expect(contextUse([undefined, undefined], 4096)).toBeNull();
    expect(contextUse([], 4096)).toBeNull();
  });
});

describe('estimateModelMemory', () => {
  it('adds the KV cache of every sequence at the window and the margin to the weights', () => {
    const m = { sizeBytes: 1_000_000, contextLength: 256, kvBytesPerToken: 1024 };
    expect(estimateModelMemory(m)).toBe(1_000_000 + 1024 * 256 * ENGINE_SEQUENCES + MEMORY_MARGIN_BYTES);
  });

  it('caps the window at the engine maximum, and counts no KV cache when the header had no dims', () => {
    expect(estimateModelMemory({ sizeBytes: 10, contextLength: 131_072, kvBytesPerToken: 2 })).toBe(10 + 2 * ENGINE_MAX_CONTEXT * ENGINE_SEQUENCES + MEMORY_MARGIN_BYTES);
    expect(estimateModelMemory({ sizeBytes: 10, contextLength: 256 })).toBe(10 + MEMORY_MARGIN_BYTES);
  });
});
