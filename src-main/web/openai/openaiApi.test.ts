/**
 * The OpenAI-compatible API over real HTTP with the official `openai` client, in front of the real host and the
 * scripted fake engine: auth, origins, error shapes, the queue's 429, stop sequences, history, disconnects and the
 * key kept across restarts. Scripted turns hold at gates the test opens, so nothing depends on timing.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GenerateParams } from '../../common/engineProtocol';
import { makeLedger } from '../../common/ledger';
import { createHost, type Host } from '../../host/index';
import { fakeEngine, type FakeEngineControl, type ScriptIO } from '../../host/testing/fakeEngine';
import { startWebServer, type WebServer } from '../server';

let dir: string;
let engine: FakeEngineControl;
let host: Host | null = null;
let web: WebServer | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reckon-openai-'));
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'models', 'reckon-arith.gguf'), Buffer.from('GGUF-fake-bundled-model'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1, api: { enabled: true, allowedOrigins: ['http://localhost:5173'], maxConcurrent: 1, maxQueued: 0 } }));
  engine = fakeEngine();
  engine.stepMs = 0;
});
afterEach(async () => {
  await web?.close();
  await host?.close();
  web = null;
  host = null;
  await rm(dir, { recursive: true, force: true });
});

async function start(apiKey?: string): Promise<{ client: OpenAI; key: string; base: string }> {
  host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'browser', spawnEngine: engine.spawner, ...(apiKey !== undefined ? { apiKey } : {}) });
  web = await startWebServer({ host, rendererDir: join(dir, 'renderer') });
  const { key } = await host.call('api.key');
  const base = `http://127.0.0.1:${web.port}/v1`;
  return { client: new OpenAI({ apiKey: key, baseURL: base, maxRetries: 0 }), key, base };
}

/** A generate that streams `answer` pieces, waiting at gate `hold` after the first one (when given). */
function scriptedGenerate(answer: string[], hold?: string): (params: unknown, io: ScriptIO) => Promise<unknown> {
  return async (params, io) => {
    const g = params as GenerateParams;
    io.emit({ type: 'thought', text: 'thinking' });
    let text = '';
    for (const [i, piece] of answer.entries()) {
      if (io.signal.aborted) break;
      io.emit({ type: 'answer', text: piece });
      text += piece;
      if (i === 0 && hold !== undefined) await io.gate(hold).catch(() => undefined);
    }
    const ledger = makeLedger({ visible: text.length, thinking: 8, prompt: g.question.length, cached: 0 });
    io.emit({ type: 'ledger', ledger });
    return { answer: text, thinking: 'thinking', thinkingMs: 1, ledger, stopReason: io.signal.aborted ? 'aborted' : 'eos' };
  };
}

describe('OpenAI-compatible API (fake engine)', () => {
  it('lists models, answers with usage from the ledger, and stores the turn as an API conversation with its history', async () => {
    const { client } = await start();
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toHaveLength(1);
    const r = await client.chat.completions.create({
      model: models.data[0]!.id,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is 2+2?' }, { role: 'assistant', content: '4' }, { role: 'user', content: 'What is 37+48?' }],
      reasoning_effort: 'low',
      top_p: 0.9,
      seed: 7,
    });
    expect(r.choices[0]!.message.content).toBe('The answer is 85.');
    expect((r.choices[0]!.message as unknown as { reasoning_content: string }).reasoning_content).toBe('37+48: 7+8=15 carry 1; 3+4+1=8');
    const reckon = (r as unknown as { reckon: { conversation_id: string; message_id: string; ledger: { thinking: number; visible: number } } }).reckon;
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(reckon.ledger.thinking);
    expect(r.usage?.completion_tokens).toBe(reckon.ledger.thinking + reckon.ledger.visible);
    const gen = engine.calls.find((c) => c.method === 'generate')!.params as GenerateParams;
    expect(gen.systemPrompt).toBe('Be brief.');
    expect(gen.history).toEqual([{ role: 'user', text: 'What is 2+2?' }, { role: 'assistant', text: '4' }]);
    expect(gen.effort).toBe('low');
    // Sampling reaches the engine's generate: top_p as node-llama-cpp's topP, and the seed.
    expect(gen.topP).toBe(0.9);
    expect(gen.seed).toBe(7);
    const conv = await host!.call('conversations.get', { id: reckon.conversation_id });
    expect(conv.origin).toBe('api');
    expect(conv.messages.map((m) => m.text)).toEqual(['What is 2+2?', '4', 'What is 37+48?', 'The answer is 85.']);
    expect((await host!.call('conversations.list')).find((c) => c.id === conv.id)?.origin).toBe('api');
    // A caller's history only starts a new conversation.
    await expect(host!.call('chat.send', { conversationId: conv.id, text: 'q', history: [] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('refuses a wrong key, a foreign browser origin and bad bodies in OpenAI\'s error shape with the Reckon code', async () => {
    const { base, key } = await start();
    const wrong = new OpenAI({ apiKey: 'rk-wrong', baseURL: base, maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED', type: 'authentication_error' });
    const foreign = await fetch(`${base}/models`, { headers: { Authorization: `Bearer ${key}`, Origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const allowed = await fetch(`${base}/models`, { headers: { Authorization: `Bearer ${key}`, Origin: 'http://localhost:5173' } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const client = new OpenAI({ apiKey: key, baseURL: base, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }))
      .rejects.toMatchObject({ status: 404, code: 'MODEL_NOT_FOUND' });
    await expect(client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: 'hi' }], reasoning_effort: 'extreme' } as never))
      .rejects.toMatchObject({ status: 400, code: 'BAD_REQUEST', message: expect.stringContaining('reasoning_effort') as string });
    await expect(client.chat.completions.create({ model: 'reckon', messages: [{ role: 'assistant', content: 'hi' }] } as never))
      .rejects.toMatchObject({ status: 400, code: 'BAD_REQUEST', message: expect.stringContaining("user's question") as string });
    const junk = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body: '{not json' });
    expect(junk.status).toBe(400);
    expect(await junk.json()).toMatchObject({ error: { code: 'BAD_REQUEST', type: 'invalid_request_error' } });
    const huge = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body: 'x'.repeat(5 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    // a model id that is not valid percent-encoding (found by `npm run soak:fuzz`: it was INTERNAL "URI malformed")
    const badId = await fetch(`${base}/models/%E0%A4%A`, { headers: { Authorization: `Bearer ${key}` } });
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ error: { code: 'BAD_REQUEST', param: 'model' } });
    // Nothing was started by any of them.
    expect(engine.calls.filter((c) => c.method === 'generate')).toHaveLength(0);
  });

  it('answers 429 with Retry-After when a turn runs and the queue is full, then serves again', async () => {
    engine.script.generate = scriptedGenerate(['one', ' two'], 'hold');
    const { client } = await start();
    const first = client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: 'first' }] });
    await engine.gates.reached('hold');
    const over = await client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: 'second' }] }).catch((e: unknown) => e);
    expect(over).toMatchObject({ status: 429, code: 'RATE_LIMITED', type: 'rate_limit_error' });
    expect(Number((over as { headers: Headers }).headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    engine.gates.open('hold');
    expect((await first).choices[0]!.message.content).toBe('one two');
    const again = await client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: 'third' }] });
    expect(again.choices[0]!.message.content).toBe('one two');
  });

  it('a stop sequence ends the answer before it and stops the turn', async () => {
    engine.script.generate = scriptedGenerate(['Sum: 8', '5. END', ' more'], 'hold');
    const { client } = await start();
    const p = client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: 'q' }], stop: ['. E'] });
    await engine.gates.reached('hold');
    engine.gates.open('hold');
    const r = await p;
    expect(r.choices[0]!.message.content).toBe('Sum: 85');
    expect(r.choices[0]!.finish_reason).toBe('stop');
  });

  it('a client that disconnects mid-stream stops its turn (the stored message ends stopped)', async () => {
    engine.script.generate = scriptedGenerate(['first', ' second'], 'hold');
    const { client } = await start();
    const ctrl = new AbortController();
    const stream = await client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: 'q' }], stream: true }, { signal: ctrl.signal });
    let conversationId = '';
    const done = new Promise<string>((resolve) => {
      const off = host!.onTurnEvent((e) => {
        if (e.type === 'start') conversationId = e.conversationId;
        if (e.type === 'done') { off(); resolve(e.status); }
      });
    });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content === 'first') break; // leaves the loop: the SDK aborts the request
    }
    ctrl.abort();
    expect(await done).toBe('stopped');
    expect(engine.calls.some((c) => c.method === 'abort')).toBe(true);
    const conv = await host!.call('conversations.get', { id: conversationId });
    expect(conv.messages.at(-1)?.status).toBe('stopped');
  });

  it('keeps a generated key across restarts, rotates it, and a fixed key cannot be rotated', async () => {
    const { key } = await start();
    expect(key).toMatch(/^rk-/);
    await web!.close();
    await host!.close();
    const again = await start();
    expect(again.key).toBe(key);
    const rotated = await host!.call('api.rotateKey');
    expect(rotated.key).not.toBe(key);
    await expect(again.client.models.list()).rejects.toMatchObject({ status: 401 });
    await web!.close();
    await host!.close();
    const fixed = await start('fixed-key-123');
    expect(fixed.key).toBe('fixed-key-123');
    expect((await fixed.client.models.list()).data).toHaveLength(1);
    await expect(host!.call('api.rotateKey')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('is off when Settings turn it off', async () => {
    const { client } = await start();
    const s = await host!.call('settings.get');
    await host!.call('settings.update', { api: { ...s.api, enabled: false } });
    await expect(client.models.list()).rejects.toMatchObject({ status: 404 });
  });
});
