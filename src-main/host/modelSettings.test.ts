/**
 * Per-model settings on the host: stored per model, validated in sentences, and what reaches generate; and the
 * per-chat system prompt, stored with the conversation, in the same precedence.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiResult } from '../common/api';
import type { GenerateParams } from '../common/engineProtocol';
import type { Host } from './index';
import type { FakeEngineControl } from './testing/fakeEngine';
import { hostFixture, runTurn, type HostFixture } from './testing/hostFixture';

let fx: HostFixture;
let dir: string;
let engine: FakeEngineControl;

beforeEach(async () => {
  fx = await hostFixture({ prefix: 'reckon-model-settings-', settings: { threads: 1, temperature: 0.3, maxTokens: 300, systemPrompt: 'Global prompt.' } });
  ({ dir, engine } = fx);
});
afterEach(() => fx.dispose());

/** A restart: closes the host opened last and starts another on the same folder. */
const open = (): Promise<Host> => fx.reopen();

/** Sends a question, waits for its end, and answers the params the engine's generate got. */
async function generateParams(h: Host, send: () => Promise<ApiResult<'chat.send'>>): Promise<GenerateParams> {
  await runTurn(h, send);
  return engine.calls.filter((c) => c.method === 'generate').at(-1)!.params as GenerateParams;
}

describe('per-model settings', () => {
  it('reach generate over the global settings; a turn override wins; cleared fields fall back', async () => {
    let h = await open();
    const [model] = await h.call('models.list');
    expect(await h.call('models.settings', { id: model!.id })).toEqual({});

    const before = await generateParams(h, () => h.call('chat.send', { text: 'What is 1+1?' }));
    expect(before).toMatchObject({ temperature: 0.3, maxTokens: 300, systemPrompt: 'Global prompt.' });
    for (const k of ['topP', 'topK', 'minP', 'repeatPenalty', 'stop', 'contextSize', 'seed']) expect(before).not.toHaveProperty(k);

    const all = {
      contextSize: 2048, temperature: 0.8, topP: 0.9, topK: 20, minP: 0.05, repeatPenalty: 1.1, seed: 7,
      stop: ['</answer>', 'STOP'], maxTokens: 128, systemPrompt: 'Model prompt.',
    };
    expect(await h.call('models.updateSettings', { id: model!.id, settings: all })).toEqual(all);
    const file = JSON.parse(await readFile(join(dir, 'data', 'model-settings.json'), 'utf8')) as unknown;
    expect(file).toEqual({ version: 1, models: { [model!.id]: all } });

    h = await open(); // kept across a restart
    expect(await h.call('models.settings', { id: model!.id })).toEqual(all);
    const withModel = await generateParams(h, () => h.call('chat.send', { text: 'What is 2+2?' }));
    expect(withModel).toMatchObject(all);

    // the turn's own values win over the model's
    const overridden = await generateParams(h, () => h.call('chat.send', { text: 'What is 3+3?', systemPrompt: 'Turn prompt.', maxTokens: 64, temperature: 0, seed: 1 }));
    expect(overridden).toMatchObject({ systemPrompt: 'Turn prompt.', maxTokens: 64, temperature: 0, seed: 1, topK: 20 });

    // replacing with fewer fields clears the rest; an empty system prompt means the global one
    expect(await h.call('models.updateSettings', { id: model!.id, settings: { topK: 5, systemPrompt: '', stop: [] } })).toEqual({ topK: 5, systemPrompt: '' });
    const cleared = await generateParams(h, () => h.call('chat.send', { text: 'What is 4+4?' }));
    expect(cleared).toMatchObject({ temperature: 0.3, maxTokens: 300, systemPrompt: 'Global prompt.', topK: 5 });
    expect(cleared).not.toHaveProperty('stop');
    await h.call('models.updateSettings', { id: model!.id, settings: {} });
    expect(JSON.parse(await readFile(join(dir, 'data', 'model-settings.json'), 'utf8'))).toEqual({ version: 1, models: {} });
  });

  it('out-of-range values are refused with a sentence naming the field, and nothing is stored', async () => {
    const h = await open();
    const [model] = await h.call('models.list');
    await h.call('models.updateSettings', { id: model!.id, settings: { topK: 10 } });
    const cases: [Record<string, unknown>, string, string][] = [
      [{ topP: 1.5 }, 'topP', 'Top-p must be a number from 0 to 1.'],
      [{ contextSize: 100 }, 'contextSize', 'Context length must be a whole number from 256 to 1,048,576.'],
      [{ seed: 1.5 }, 'seed', 'Seed must be a whole number from 0 to 2,147,483,647.'],
      [{ repeatPenalty: 0.5 }, 'repeatPenalty', 'Repeat penalty must be a number from 1 to 2.'],
      [{ stop: [''] }, 'stop', 'Each stop string must be 1 to 200 characters long.'],
    ];
    for (const [settings, field, message] of cases) {
      await expect(h.call('models.updateSettings', { id: model!.id, settings })).rejects.toMatchObject({ code: 'BAD_REQUEST', message, details: { field } });
    }
    await expect(h.call('models.updateSettings', { id: model!.id, settings: { topP: 'high' as unknown as number } }))
      .rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'models.updateSettings: settings.topP must be a number.' });
    await expect(h.call('models.settings', { id: 'no-such-model' })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(await h.call('models.settings', { id: model!.id })).toEqual({ topK: 10 });
  });

  it('an unreadable settings file is set aside with a notice; every model uses the global settings', async () => {
    await writeFile(join(dir, 'data', 'model-settings.json'), JSON.stringify({ version: 1, models: { x: { topP: 7 } } }));
    const h = await open();
    expect(await h.call('models.settings', { id: (await h.call('models.list'))[0]!.id })).toEqual({});
    expect((await h.call('system.notices')).map((n) => n.message).join('\n')).toMatch(/per-model settings file .* was set aside/);
  });
});

/** The system prompt the engine's generate got for one sent question. */
async function promptOf(h: Host, send: () => Promise<ApiResult<'chat.send'>>): Promise<string> {
  return (await generateParams(h, send)).systemPrompt;
}

describe('conversations.setSystemPrompt', () => {
  it('the chat prompt wins over the model and global ones, a turn override over it; clearing falls back; kept across a restart', async () => {
    let h = await open();
    const [model] = await h.call('models.list');
    await h.call('models.updateSettings', { id: model!.id, settings: { systemPrompt: 'Model prompt.' } });
    const chat = await h.call('conversations.create', { title: 'Pirate chat' });
    const other = await h.call('conversations.create', { title: 'Plain chat' });

    expect(await promptOf(h, () => h.call('chat.send', { conversationId: chat.id, text: 'What is 1+1?' }))).toBe('Model prompt.');

    const set = await h.call('conversations.setSystemPrompt', { id: chat.id, systemPrompt: 'Answer like a pirate.' });
    expect(set.systemPrompt).toBe('Answer like a pirate.');
    expect(set.updatedAt).toBe((await h.call('conversations.list')).find((c) => c.id === chat.id)!.updatedAt);
    const file = JSON.parse(await readFile(join(dir, 'data', 'conversations', `${chat.id}.json`), 'utf8')) as { systemPrompt?: string };
    expect(file.systemPrompt).toBe('Answer like a pirate.');

    h = await open(); // kept across a restart
    expect((await h.call('conversations.get', { id: chat.id })).systemPrompt).toBe('Answer like a pirate.');
    expect(await promptOf(h, () => h.call('chat.send', { conversationId: chat.id, text: 'What is 2+2?' }))).toBe('Answer like a pirate.');
    // only that chat: another one still uses the model's prompt
    expect(await promptOf(h, () => h.call('chat.send', { conversationId: other.id, text: 'What is 2+2?' }))).toBe('Model prompt.');
    // the turn's own override wins over the chat's
    expect(await promptOf(h, () => h.call('chat.send', { conversationId: chat.id, text: 'What is 3+3?', systemPrompt: 'Turn prompt.' }))).toBe('Turn prompt.');

    // clearing (white space only) drops the field: the model's prompt, then the global one
    const cleared = await h.call('conversations.setSystemPrompt', { id: chat.id, systemPrompt: '  \n' });
    expect(cleared).not.toHaveProperty('systemPrompt');
    expect(JSON.parse(await readFile(join(dir, 'data', 'conversations', `${chat.id}.json`), 'utf8'))).not.toHaveProperty('systemPrompt');
    expect(await promptOf(h, () => h.call('chat.send', { conversationId: chat.id, text: 'What is 4+4?' }))).toBe('Model prompt.');
    await h.call('models.updateSettings', { id: model!.id, settings: {} });
    expect(await promptOf(h, () => h.call('chat.send', { conversationId: chat.id, text: 'What is 5+5?' }))).toBe('Global prompt.');
  });

  it('an unknown chat or a bad prompt is refused and nothing changes', async () => {
    const h = await open();
    const chat = await h.call('conversations.create');
    await h.call('conversations.setSystemPrompt', { id: chat.id, systemPrompt: 'Be brief.' });
    await expect(h.call('conversations.setSystemPrompt', { id: 'no-such-chat', systemPrompt: 'x' })).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    await expect(h.call('conversations.setSystemPrompt', { id: chat.id, systemPrompt: 7 as unknown as string }))
      .rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^conversations\.setSystemPrompt: systemPrompt /) as unknown });
    await expect(h.call('conversations.setSystemPrompt', { id: chat.id, systemPrompt: 'y'.repeat(100_001) })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await h.call('conversations.get', { id: chat.id })).systemPrompt).toBe('Be brief.');
  });

  it('a conversation file from before per-chat prompts still opens, with none set', async () => {
    const id = '22222222-2222-4222-8222-222222222222';
    const now = new Date().toISOString();
    await mkdir(join(dir, 'data', 'conversations'), { recursive: true });
    await writeFile(join(dir, 'data', 'conversations', `${id}.json`), JSON.stringify({ id, title: 'Old', createdAt: now, updatedAt: now, messageCount: 0, messages: [] }));
    const h = await open();
    expect(await h.call('conversations.get', { id })).not.toHaveProperty('systemPrompt');
    expect(await promptOf(h, () => h.call('chat.send', { conversationId: id, text: 'What is 1+1?' }))).toBe('Global prompt.');
  });
});
