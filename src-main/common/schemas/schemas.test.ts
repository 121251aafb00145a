import { describe, expect, it } from 'vitest';
import shippedProbe from '../../../models/probes/reckon-arith.probe.json';
import { defaultSettings } from '../types';
import { apiSchemas, ApiMethods, checkJsonLimits, controllerSettingsError, isApiMethod, parseApiParams, parseSettings, parseStored, settingsFromFile } from './index';

/** `{"a":{"a":...1...}}` nested n deep, built as text so nothing here recurses. */
function deepJson(n: number): string {
  return '{"a":'.repeat(n) + '1' + '}'.repeat(n);
}

const bad = (method: Parameters<typeof parseApiParams>[0], params: unknown): string => {
  const r = parseApiParams(method, params);
  if (r.ok) throw new Error(`${method} accepted ${JSON.stringify(params)?.slice(0, 200)}`);
  return r.message;
};

describe('JSON limits', () => {
  it('stops a 10,000-deep value at depth 32 without recursing, and names where', () => {
    const v: unknown = JSON.parse(deepJson(10_000));
    const issue = checkJsonLimits(v);
    expect(issue?.message).toMatch(/nested too deeply \(at most 32 levels\)/);
    expect(issue?.path).toHaveLength(32);
    expect(checkJsonLimits(JSON.parse(deepJson(31)))).toBeNull();
  });

  it('rejects long strings and keys, too many values, cycles, __proto__ keys and non-JSON values', () => {
    expect(checkJsonLimits({ s: 'x'.repeat(10 * 1024 * 1024) })).toMatchObject({ path: ['s'], message: expect.stringMatching(/too long/) });
    expect(checkJsonLimits({ ['k'.repeat(1_000_001)]: 1 })?.message).toMatch(/too long/);
    expect(checkJsonLimits({ a: new Array(20_001).fill(0) })?.message).toMatch(/too large/);
    expect(checkJsonLimits(Array.from({ length: 9 }, () => 'y'.repeat(1_000_000)))?.message).toMatch(/too large/);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(checkJsonLimits(cyclic)?.message).toMatch(/nested too deeply/);
    expect(checkJsonLimits(JSON.parse('{"__proto__":{"polluted":1}}'))?.message).toMatch(/__proto__/);
    expect(checkJsonLimits({ d: new Date() })).toMatchObject({ path: ['d'], message: 'is not JSON data' });
    expect(checkJsonLimits({ f: () => 1 })?.message).toBe('is not JSON data');
    expect(checkJsonLimits({ ok: [1, 'two', null, true, { three: 3 }] })).toBeNull();
  });
});

describe('API schema table', () => {
  it('has a schema for every method, and the method list is the table', () => {
    expect(ApiMethods).toEqual(Object.keys(apiSchemas));
    expect(ApiMethods).toHaveLength(51);
    for (const m of ApiMethods) {
      expect(isApiMethod(m)).toBe(true);
      // Every method rejects an unknown parameter by name (settings.update calls it a setting).
      expect(bad(m, { bogusKey: 1 })).toMatch(new RegExp(`^${m.replace('.', '\\.')}: .*bogusKey`));
    }
    expect(isApiMethod('nope')).toBe(false);
    expect(isApiMethod('toString')).toBe(false);
    expect(isApiMethod('__proto__')).toBe(false);
  });

  it('methods without params take nothing, null or {}; optional params may be absent', () => {
    for (const m of ['system.info', 'settings.get', 'models.list'] as const) {
      for (const p of [undefined, null, {}]) expect(parseApiParams(m, p)).toEqual({ ok: true, value: undefined });
      expect(bad(m, [])).toMatch(/^.+: /);
    }
    expect(parseApiParams('conversations.list', undefined)).toEqual({ ok: true, value: undefined });
    expect(parseApiParams('conversations.list', null)).toEqual({ ok: true, value: undefined });
    expect(parseApiParams('conversations.list', { query: 'sum' })).toEqual({ ok: true, value: { query: 'sum' } });
    expect(parseApiParams('probe.cancel', {})).toEqual({ ok: true, value: {} });
    expect(bad('probe.cancel', { x: 1 })).toMatch(/probe\.cancel: x/);
  });

  it('chat.send keeps its rules: text, effort, strategy, seed, maxTokens, one model', () => {
    expect(parseApiParams('chat.send', { text: 'hi', effort: 0.5, strategy: 'pdr', seed: 3, maxTokens: 10 })).toEqual({
      ok: true, value: { text: 'hi', effort: 0.5, strategy: 'pdr', seed: 3, maxTokens: 10 },
    });
    expect(parseApiParams('chat.send', { text: 'hi', effort: 'auto' }).ok).toBe(true);
    expect(bad('chat.send', {})).toBe('chat.send: text is required.');
    expect(bad('chat.send', { text: 42 })).toBe('chat.send: text must be a string.');
    expect(bad('chat.send', { text: '   ' })).toBe('chat.send: text must not be empty.');
    expect(bad('chat.send', { text: 'hi', extra: 1 })).toBe("chat.send: unknown parameter 'extra'.");
    expect(bad('chat.send', { text: 'hi', effort: 2 })).toBe("chat.send: effort must be 'auto', 'low', 'medium', 'high' or a number 0..1.");
    expect(bad('chat.send', { text: 'hi', effort: 'lots' })).toBe("chat.send: effort must be 'auto', 'low', 'medium', 'high' or a number 0..1.");
    expect(parseApiParams('chat.send', { text: 'hi', effort: 'medium' }).ok).toBe(true);
    expect(bad('chat.send', { text: 'hi', strategy: 'fast' })).toBe('chat.send: strategy must be one of auto, long, budget, early-exit, short-m@k, pdr.');
    expect(bad('chat.send', { text: 'hi', seed: -1 })).toBe('chat.send: seed must be a non-negative integer.');
    expect(bad('chat.send', { text: 'hi', seed: 1.5 })).toBe('chat.send: seed must be a non-negative integer.');
    expect(bad('chat.send', { text: 'hi', maxTokens: -1 })).toBe('chat.send: maxTokens must be an integer 1..1000000.');
    expect(bad('chat.send', { text: 'hi', modelId: 'a', modelPath: '/m.gguf' })).toBe('chat.send: give modelId or modelPath, not both.');
    expect(bad('chat.send', { text: 'x'.repeat(1_000_001) })).toMatch(/^chat\.send: text is too long/);
    expect(bad('chat.send', 'hi')).toBe('chat.send: must be an object.');
  });

  it('message actions: parentId, chat.regenerate and conversations.export name the bad field', () => {
    expect(parseApiParams('chat.send', { text: 'hi', parentId: null })).toEqual({ ok: true, value: { text: 'hi', parentId: null } });
    expect(bad('chat.send', { text: 'hi', parentId: 3 })).toMatch(/^chat\.send: parentId /);
    expect(parseApiParams('chat.regenerate', { conversationId: 'c', messageId: 'm', strategy: 'pdr', effort: 0.2 }).ok).toBe(true);
    expect(bad('chat.regenerate', { conversationId: 'c' })).toBe('chat.regenerate: messageId is required.');
    expect(bad('chat.regenerate', { conversationId: 'c', messageId: 'm', strategy: 'fast' })).toMatch(/^chat\.regenerate: strategy must be one of/);
    expect(bad('conversations.export', { id: 'c', format: 'pdf' })).toBe("conversations.export: format must be 'markdown' or 'json'.");
    expect(bad('conversations.deleteMessage', { id: 'c', messageId: '' })).toBe('conversations.deleteMessage: messageId must not be empty.');
  });

  it('probe.calibrate and receipts keep their ranges', () => {
    expect(parseApiParams('probe.calibrate', { perQuestion: 8, questions: 40, temperature: 0.7, labelFree: true, seed: 2 }).ok).toBe(true);
    expect(bad('probe.calibrate', { perQuestion: 65 })).toBe('probe.calibrate: perQuestion must be a whole number 1..64.');
    expect(bad('probe.calibrate', { questions: 23 })).toBe('probe.calibrate: questions must be a whole number 24..5000: a calibration needs at least 24 questions to hold enough out to judge the probe.');
    expect(parseApiParams('probe.restore', { modelId: 'abc' })).toEqual({ ok: true, value: { modelId: 'abc' } });
    expect(bad('probe.restore', { modelId: 'abc', modelPath: '/m/x.gguf' })).toMatch(/^probe\.restore: /);
    expect(bad('probe.restore', { force: true })).toMatch(/^probe\.restore: /);
    expect(bad('probe.calibrate', { temperature: 0 })).toBe('probe.calibrate: temperature must be a number in (0, 5].');
    expect(bad('probe.calibrate', { labelFree: 'yes' })).toBe('probe.calibrate: labelFree must be a boolean.');
    const challenge = { version: 1, turnId: 't', root: 'ab', treeSize: 4, indices: [0, 3], nonce: 'cd' };
    expect(parseApiParams('receipts.challenge', { messageId: 'm', challenge }).ok).toBe(true);
    expect(bad('receipts.challenge', { messageId: 'm', challenge: { ...challenge, indices: new Array(4097).fill(0) } })).toMatch(/challenge\.indices has too many items \(at most 4096\)/);
    expect(bad('receipts.challenge', { messageId: 'm', challenge: 'x' })).toMatch(/challenge must be \{version, turnId/);
    expect(bad('receipts.audit', {})).toBe('receipts.audit: give messageId or export.');
    expect(bad('receipts.audit', { messageId: 'm', remote: 'ftp://x' })).toBe('receipts.audit: remote must be an http(s) URL.');
    expect(bad('receipts.audit', { export: { receipt: {} } })).toMatch(/^receipts\.audit: export\./);
    expect(bad('receipts.replay', {})).toBe('receipts.replay: give messageId or export.');
  });

  it('settings.update: strict patch, today\'s ranges, the field named in the message', () => {
    expect(parseApiParams('settings.update', { theme: 'dark', threads: null }).ok).toBe(true);
    expect(bad('settings.update', { bogus: 1 })).toBe("settings.update: unknown setting 'bogus'.");
    expect(bad('settings.update', { threads: 'many' })).toBe('settings.update: threads must be null or an integer 1..256.');
    expect(bad('settings.update', { backend: 'gpu' })).toBe('settings.update: backend must be auto, cpu, cuda, vulkan or metal.');
    expect(bad('settings.update', { controller: { strategies: { easy: { budgetFraction: 11 } } } }))
      .toBe('settings.update: controller.strategies.easy.budgetFraction must be null or 0..10.');
    expect(bad('settings.update', { controller: { strategies: { easy: { extra: 1 } } } }))
      .toBe("settings.update: controller.strategies.easy: unknown key 'extra'.");
    expect(bad('settings.update', { systemPrompt: 'x'.repeat(100_001) })).toMatch(/systemPrompt is too long \(at most 100000 characters\)/);
    expect(bad('settings.update', { systemPrompt: 'x'.repeat(10 * 1024 * 1024) })).toMatch(/^settings\.update: systemPrompt is too long/);
    expect(bad('settings.update', JSON.parse(`{"controller":${deepJson(10_000)}}`))).toMatch(/^settings\.update: controller(\.a)+ is nested too deeply/);
    expect(bad('settings.update', null)).toBe('settings.update: must be an object.');
  });
});

describe('controller settings', () => {
  it('accepts a partial patch and checks m <= k against the defaults', () => {
    expect(controllerSettingsError({ shortMK: { k: 5 } })).toBeNull();
    expect(controllerSettingsError({ shortMK: { m: 4 } })).toBe('controller.shortMK needs 1 <= m <= k <= 16');
    expect(controllerSettingsError({ pdr: { rounds: [4, 0] } })).toBe('controller.pdr.rounds[1] must be 1..16');
    expect(controllerSettingsError({ pdr: { rounds: [] } })).toBe('controller.pdr.rounds must be a list of 1..16');
    expect(controllerSettingsError({ earlyExit: { trialTokens: 513 } })).toBe('controller.earlyExit.trialTokens must be 1..512');
    expect(controllerSettingsError({ earlyExit: { at: 'result' } })).toBeNull();
    expect(controllerSettingsError({ earlyExit: { at: 'line' } })).toBe('controller.earlyExit.at must be "step" or "result"');
    expect(controllerSettingsError({ minBudget: -1 })).toBe('controller.minBudget must be an integer >= 0');
  });
});

describe('stored shapes', () => {
  it('settings.json: each invalid field falls back to its default; unknown keys and deep junk are dropped', () => {
    const s = settingsFromFile({ threads: 2, maxTokens: 'lots', bogus: 1, controller: JSON.parse(deepJson(3000)) });
    expect(s).toEqual({ ...defaultSettings, threads: 2 });
    expect(settingsFromFile({ controller: { minBudget: 8 } })?.controller).toEqual({ minBudget: 8 });
    expect(settingsFromFile([])).toBeNull();
    expect(parseSettings({ ...defaultSettings, theme: 'blue' })).toEqual({ ok: false, message: 'theme must be system, light or dark' });
    expect(parseSettings(defaultSettings)).toEqual({ ok: true, value: defaultSettings });
  });

  it('conversations are strict and bounded in depth', () => {
    const now = new Date().toISOString();
    const c = { id: 'c1', title: 'T', createdAt: now, updatedAt: now, messageCount: 1, messages: [{ id: 'm1', role: 'user', text: 'hi', createdAt: now }] };
    expect(parseStored('conversation', c).ok).toBe(true);
    expect(parseStored('conversation', { ...c, messages: [{ ...c.messages[0], role: 'system' }] })).toEqual({ ok: false, message: 'messages[0].role must be one of user, assistant' });
    expect(parseStored('conversation', { ...c, extra: 1 })).toEqual({ ok: false, message: "unknown key 'extra'" });
    expect(parseStored('conversation', { ...c, messages: [{ ...c.messages[0], error: { code: 'INTERNAL', message: 'x', details: JSON.parse(deepJson(100)) } }] }).ok).toBe(false);
  });

  it('the shipped probe file parses; a probe whose layers do not match featureDim does not', () => {
    expect(parseStored('probe', shippedProbe)).toMatchObject({ ok: true });
    expect(parseStored('probe', { ...shippedProbe, featureDim: 3 })).toMatchObject({ ok: false, message: expect.stringMatching(/featureDim/) });
    expect(parseStored('probe', { ...shippedProbe, version: 2 })).toMatchObject({ ok: false, message: 'version must be 1' });
  });
});
