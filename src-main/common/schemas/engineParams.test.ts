import { describe, expect, it } from 'vitest';
import { engineSchemas } from './engineParams';
import { safeParseJson } from './parse';

const generate = {
  requestId: 't1', chatKey: 'c1', modelPath: '/m.gguf', systemPrompt: '', history: [], question: 'What is 2+2?',
  maxTokens: 64, temperature: 0, thinkingBudget: null, strategy: 'auto', effort: 'auto', probePath: null,
};

describe('engine params schemas', () => {
  it('accept what the host sends and name the field of what it must not', () => {
    expect(safeParseJson(engineSchemas.generate, generate)).toMatchObject({ ok: true });
    expect(safeParseJson(engineSchemas.generate, { ...generate, effort: 2 })).toMatchObject({ ok: false, message: expect.stringMatching(/^effort /) });
    expect(safeParseJson(engineSchemas.generate, { ...generate, strategy: 'fastest' })).toMatchObject({ ok: false, message: expect.stringMatching(/^strategy must be one of/) });
    expect(safeParseJson(engineSchemas.generate, { ...generate, history: [{ role: 'robot', text: 'x' }] })).toMatchObject({ ok: false, message: expect.stringMatching(/history\[0\]\.role/) });
    expect(safeParseJson(engineSchemas.generate, { ...generate, receipt: { modelSha256: 'abc' } })).toMatchObject({ ok: false });
    expect(safeParseJson(engineSchemas.init, { backend: 'quantum', threads: null })).toMatchObject({ ok: false, message: expect.stringMatching(/^backend/) });
  });

  it('stop a deep object before any schema walks it', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(safeParseJson(engineSchemas.generate, { ...generate, controller: deep })).toMatchObject({ ok: false });
  });
});
