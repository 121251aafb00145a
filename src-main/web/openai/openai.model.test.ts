/**
 * The OpenAI-compatible API on the bundled model (build first: `npx electron-vite build`), called with the official
 * `openai` client over real HTTP against the same host + web server `reckon serve` runs: chat completions and
 * Responses, streamed and not, usage equal to the stored message's ledger, the receipt fetched with the API key,
 * top_p reaching the sampler, a cancelled stream that stops its turn, and errors in OpenAI's shape.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../common/ledger';
import type { ReceiptExport } from '../../common/receiptApi';
import type { Message } from '../../common/types';
import { createHost, engineEntryPath, repoRoot, type Host } from '../../host/index';
import { startWebServer, type WebServer } from '../server';
import { usageOf } from '../../host/openai/mapping';

let dir: string;
let host: Host;
let web: WebServer;
let client: OpenAI;
let key: string;

interface ReckonPart {
  conversation_id: string;
  message_id: string;
  ledger: Ledger;
  receipt: { id: string; root: string; tree_size: number; fetch: string; challenge: string } | null;
}

beforeAll(async () => {
  if (!existsSync(engineEntryPath())) throw new Error(`${engineEntryPath()} is missing: run \`npx electron-vite build\` first.`);
  dir = await mkdtemp(join(tmpdir(), 'reckon-openai-model-'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu', maxTokens: 200 }));
  host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(repoRoot(), 'models'), shell: 'browser' });
  web = await startWebServer({ host, rendererDir: join(repoRoot(), 'out', 'renderer') });
  key = (await host.call('api.key')).key;
  client = new OpenAI({ apiKey: key, baseURL: `http://127.0.0.1:${web.port}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await web?.close();
  await host?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The stored assistant message an API response names. */
async function stored(r: ReckonPart): Promise<Message> {
  const conv = await host.call('conversations.get', { id: r.conversation_id });
  expect(conv.origin).toBe('api');
  const m = conv.messages.find((x) => x.id === r.message_id);
  if (m === undefined) throw new Error('the API turn was not stored');
  return m;
}

describe('OpenAI-compatible API on the bundled model', () => {
  it('chat completions, not streamed: the answer, its reasoning and usage equal to the stored ledger; the receipt fetches with the key', async () => {
    const model = (await client.models.list()).data[0]!.id;
    const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'What is 37+48?' }], seed: 1 });
    const reckon = (r as unknown as { reckon: ReckonPart }).reckon;
    const m = await stored(reckon);
    expect(r.choices[0]!.message.content).toBe(m.text);
    expect((r.choices[0]!.message as unknown as { reasoning_content: string }).reasoning_content).toBe(m.thinking);
    expect(m.text).toContain('85');
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(m.ledger!.thinking);
    expect(r.usage?.prompt_tokens_details?.cached_tokens).toBe(m.ledger!.cached);
    expect(r.usage?.prompt_tokens).toBe(usageOf(m.ledger!).prompt);
    expect(r.usage?.completion_tokens).toBe(usageOf(m.ledger!).completion);
    expect(r.usage?.total_tokens).toBe(m.ledger!.billed + m.ledger!.cached);
    expect(reckon.ledger).toEqual(m.ledger);
    expect(r.choices[0]!.finish_reason).toBe(m.stopReason === 'maxTokens' ? 'length' : 'stop');
    expect(reckon.receipt?.root).toBe(m.receipt!.root);
    const res = await fetch(`http://127.0.0.1:${web.port}${reckon.receipt!.fetch}`, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as ReceiptExport).receipt.root).toBe(m.receipt!.root);
  });

  it('chat completions, streamed: reasoning and content deltas add up to the stored message; include_usage sends the ledger\'s usage', async () => {
    const stream = await client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: 'What is 12+29?' }], stream: true, stream_options: { include_usage: true }, seed: 1 });
    let content = '', reasoning = '', finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let reckon: ReckonPart | undefined;
    for await (const c of stream) {
      const d = c.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      content += d?.content ?? '';
      reasoning += d?.reasoning_content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
      reckon = (c as unknown as { reckon?: ReckonPart }).reckon ?? reckon;
    }
    const m = await stored(reckon!);
    expect(content).toBe(m.text);
    expect(reasoning).toBe(m.thinking);
    expect(finish).not.toBeNull();
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(m.ledger!.thinking);
    expect(usage?.total_tokens).toBe(m.ledger!.billed + m.ledger!.cached);
  });

  it('Responses, not streamed and streamed (the SDK\'s own accumulator): output_text, reasoning and usage from the ledger', async () => {
    const r = await client.responses.create({ input: 'What is 23+19?', reasoning: { effort: 'high' } });
    const m = await stored((r as unknown as { reckon: ReckonPart }).reckon);
    expect(r.output_text).toBe(m.text);
    expect(r.usage?.output_tokens_details.reasoning_tokens).toBe(m.ledger!.thinking);
    expect(r.usage?.input_tokens).toBe(usageOf(m.ledger!).prompt);
    expect(m.plan?.effort).toBe('high');

    const s = client.responses.stream({ input: 'What is 44+17?', instructions: 'Answer with the number.' });
    let deltas = '';
    s.on('response.output_text.delta', (e) => { deltas += e.delta; });
    const final = await s.finalResponse();
    const m2 = await stored((final as unknown as { reckon: ReckonPart }).reckon);
    expect(deltas).toBe(m2.text);
    const message = final.output.find((o) => o.type === 'message');
    expect(message?.type === 'message' ? message.content.map((c) => (c.type === 'output_text' ? c.text : '')).join('') : null).toBe(m2.text);
    expect(final.usage?.output_tokens).toBe(usageOf(m2.ledger!).completion);
    expect(final.usage?.output_tokens_details.reasoning_tokens).toBe(m2.ledger!.thinking);
  });

  it('reasoning_effort none answers without thinking (budget 0)', async () => {
    const r = await client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: 'What is 5+6?' }], reasoning_effort: 'none' });
    const m = await stored((r as unknown as { reckon: ReckonPart }).reckon);
    expect(m.plan?.thinkingBudget).toBe(0);
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(m.ledger!.thinking);
    // thinking_budget_tokens caps the plan's budget, whatever the effort asked for.
    const capped = await client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: 'What is 66+77?' }], reasoning_effort: 'high', thinking_budget_tokens: 3 } as never);
    const mc = await stored((capped as unknown as { reckon: ReckonPart }).reckon);
    expect(mc.plan?.thinkingBudget).toBe(3);
  });

  it('top_p is applied: nothing changes under greedy, and a nucleus that keeps one token makes a hot sampler greedy', async () => {
    const ask = async (extra: Record<string, unknown>): Promise<string> => {
      const r = await client.chat.completions.create({
        model: 'reckon', messages: [{ role: 'user', content: 'What is 23+58?' }], max_tokens: 40, seed: 5, reckon: { strategy: 'long' }, ...extra,
      } as never) as unknown as OpenAI.ChatCompletion;
      const msg = r.choices[0]!.message as { content: string | null; reasoning_content?: string };
      return `${msg.reasoning_content ?? ''}|${msg.content ?? ''}`;
    };
    const greedy = await ask({ temperature: 0 });
    expect(await ask({ temperature: 0, top_p: 0.5 })).toBe(greedy);
    // At temperature 1.5 only a top_p that reaches the sampler keeps it on the most likely token each step.
    expect(await ask({ temperature: 1.5, top_p: 1e-6 })).toBe(greedy);
  });

  it('a cancelled stream stops its turn at once: the stored message ends stopped', async () => {
    const ctrl = new AbortController();
    const stream = await client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: 'What is 987+654?' }], stream: true, reasoning_effort: 'high' }, { signal: ctrl.signal });
    let conversationId = '';
    const done = new Promise<string>((resolve) => {
      const off = host.onTurnEvent((e) => {
        if (e.type === 'start') conversationId = e.conversationId;
        if (e.type === 'done' || e.type === 'error') { off(); resolve(e.type === 'done' ? e.status : 'error'); }
      });
    });
    for await (const c of stream) {
      if ((c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content) break;
    }
    ctrl.abort();
    expect(await done).toBe('stopped');
    const conv = await host.call('conversations.get', { id: conversationId });
    expect(conv.messages.at(-1)?.status).toBe('stopped');
  });

  it('errors come in OpenAI\'s shape with the Reckon code', async () => {
    const bad = new OpenAI({ apiKey: 'wrong-key', baseURL: `http://127.0.0.1:${web.port}/v1`, maxRetries: 0 });
    await expect(bad.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }], model: 'x' }))
      .rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED', type: 'authentication_error' });
    await expect(client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: 'hi' }], temperature: 9 } as never))
      .rejects.toMatchObject({ status: 400, code: 'BAD_REQUEST', message: expect.stringContaining('temperature') as string });
  });
});
