import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent, GenerateParams } from '../../common/engineProtocol';
import { gatedProxy } from '../../host/testing/llamaServer';
import { LlamaServerClient } from './LlamaServerClient';
import { RemoteEngineService } from './RemoteEngineService';

/**
 * The client and the service against a scripted HTTP server that answers as llama-server does (the model tests in
 * remote.model.test.ts run the real one): real sockets, real SSE framing, a token script instead of a model.
 * Token ids: 1 `<think>`, 2 `</think>`, 3 end of generation, 100-102 the prompt, 10.. thinking, 20.. answer.
 */
const OPEN = 1, CLOSE = 2, EOS = 3;
const PROMPT = [100, 101, 102];

interface Scripted {
  url: string;
  completions: { prompt: number[]; id_slot: number; n_predict: number }[];
  close(): Promise<void>;
}

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
  servers = [];
});

function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((r) => {
    let s = '';
    req.on('data', (d: Buffer) => { s += d.toString(); });
    req.on('end', () => r(s === '' ? {} : JSON.parse(s) as Record<string, unknown>));
  });
}

/** A llama-server stand-in. `thought`: the thinking tokens the "model" produces after `<think>`. */
async function scripted(o: { thought?: number[]; apiKey?: string; dropAfter?: number; model?: string; slots?: number } = {}): Promise<Scripted> {
  const thought = o.thought ?? [10, 11, 12, 13, 14, 15];
  const completions: Scripted['completions'] = [];
  const json = (res: ServerResponse, status: number, v: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
  };
  const server = createServer(async (req, res) => {
    if (o.apiKey !== undefined && req.url !== '/health' && req.headers.authorization !== `Bearer ${o.apiKey}`) {
      json(res, 401, { error: { code: 401, message: 'Invalid API Key', type: 'authentication_error' } });
      return;
    }
    const b = await body(req);
    if (req.url === '/health') return json(res, 200, { status: 'ok' });
    if (req.url === '/props') {
      return json(res, 200, {
        model_path: `/srv/models/${o.model ?? 'reckon-arith.gguf'}`, total_slots: o.slots ?? 4, build_info: 'b1-test',
        chat_template: "{{ '<|im_start|>' }}", default_generation_settings: { n_ctx: 2048 },
      });
    }
    if (req.url === '/slots') return json(res, 200, [{ id: 0, is_processing: false }, { id: 1, is_processing: false }]);
    if (req.url === '/apply-template') return json(res, 200, { prompt: 'formatted' });
    if (req.url === '/tokenize') {
      const c = b['content'];
      return json(res, 200, { tokens: c === '<think>' ? [OPEN] : c === '</think>' ? [CLOSE] : PROMPT });
    }
    if (req.url === '/completion') {
      const prompt = b['prompt'] as number[];
      completions.push({ prompt, id_slot: b['id_slot'] as number, n_predict: b['n_predict'] as number });
      const generated = prompt.slice(PROMPT.length);
      // The "model": <think>, the thought, </think>, then "20 21" and the end; continues wherever the prompt stops.
      const script = [OPEN, ...thought, CLOSE, 20, 21, EOS].slice(generated.length);
      const next = generated.at(-1) === CLOSE && !thought.includes(CLOSE) && generated.indexOf(CLOSE) === generated.length - 1
        ? [20, 21, EOS] : script;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let sent = 0;
      for (const t of next.slice(0, b['n_predict'] as number)) {
        if (o.dropAfter !== undefined && sent >= o.dropAfter) { res.destroy(); return; }
        const content = t >= 20 ? ` a${t}` : t >= 10 ? ` t${t}` : '';
        res.write(`data: ${JSON.stringify({ content, tokens: [t], stop: false, id_slot: 2 })}\n\n`);
        sent++;
        await new Promise((r) => setImmediate(r));
        if (res.destroyed) return;
      }
      const last = next[Math.min(next.length, b['n_predict'] as number) - 1];
      res.end(`data: ${JSON.stringify({
        content: '', tokens: [], stop: true, id_slot: 2, stop_type: last === EOS ? 'eos' : 'limit',
        tokens_evaluated: prompt.length, tokens_predicted: sent, timings: { cache_n: completions.length > 1 ? prompt.length - 1 : 0 },
      })}\n\n`);
      return;
    }
    json(res, 404, { error: { code: 404, message: 'File Not Found' } });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, completions, close: () => new Promise((r) => server.close(() => r())) };
}

function turn(p: Partial<GenerateParams & { requestId: string }> = {}): GenerateParams & { requestId: string } {
  return {
    requestId: 't1', chatKey: 'c1', modelPath: '/local/models/reckon-arith.gguf', systemPrompt: '', history: [],
    question: 'q', maxTokens: 100, temperature: 0, thinkingBudget: null, strategy: 'budget',
    difficulty: { difficulty: 'normal', probabilities: null, expectedThinkingTokens: 100, source: 'fallback', probeTokens: 0 },
    ...p,
  };
}

describe('LlamaServerClient', () => {
  it('names an unreachable server ENGINE_UNREACHABLE', async () => {
    const s = await scripted();
    await s.close(); // nothing listens on that port now
    await expect(new LlamaServerClient({ url: s.url }).props()).rejects.toMatchObject({ code: 'ENGINE_UNREACHABLE', message: expect.stringContaining(s.url) });
  });

  it('names a refused key ENGINE_AUTH_FAILED and sends the right one as a Bearer header', async () => {
    const s = await scripted({ apiKey: 'right' });
    await expect(new LlamaServerClient({ url: s.url, apiKey: 'wrong' }).props()).rejects.toMatchObject({ code: 'ENGINE_AUTH_FAILED' });
    await expect(new LlamaServerClient({ url: s.url, apiKey: 'right' }).props()).resolves.toMatchObject({ totalSlots: 4 });
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => new LlamaServerClient({ url: 'ftp://x' })).toThrow(expect.objectContaining({ code: 'ENGINE_UNREACHABLE' }));
  });

  it('names a stream that breaks off ENGINE_STREAM_DROPPED', async () => {
    const s = await scripted({ dropAfter: 3 });
    const seen: number[] = [];
    const run = async (): Promise<void> => {
      for await (const c of new LlamaServerClient({ url: s.url }).completion({ prompt: PROMPT, n_predict: 50, temperature: 0 })) seen.push(...c.tokens);
    };
    await expect(run()).rejects.toMatchObject({ code: 'ENGINE_STREAM_DROPPED' });
    expect(seen).toEqual([OPEN, 10, 11]);
  });
});

describe('RemoteEngineService', () => {
  it('forces the budget: drops the next thinking token and continues with </think> on the same slot', async () => {
    const s = await scripted();
    const events: EngineEvent[] = [];
    const svc = new RemoteEngineService({ url: s.url }, (e) => events.push(e));
    const r = await svc.methods.generate(turn({ thinkingBudget: 3 }));
    expect(s.completions.map((c) => c.prompt)).toEqual([PROMPT, [...PROMPT, OPEN, 10, 11, 12, CLOSE]]);
    expect(s.completions[1]!.id_slot).toBe(2); // pinned to the slot that holds the turn's cache
    expect(s.completions[1]!.n_predict).toBe(100 - 5);
    expect(r.ledger).toMatchObject({ thinking: 5, visible: 2, prompt: 3, cached: 0 });
    expect(r.thinking).toBe('t10 t11 t12');
    expect(r.answer).toBe('a20 a21');
    expect(r.hidden).toEqual([{ kind: 'thinking', tokens: [OPEN, 10, 11, 12, CLOSE] }]);
    expect(r.plan?.thinkingBudget).toBe(3);
    expect(events.filter((e) => e.type === 'answer').map((e) => (e as { text: string }).text).join('')).toBe('a20 a21');
    expect(events.find((e) => e.type === 'thought-end')).toMatchObject({ tokens: 5 });
  });

  it('runs an unbudgeted turn in one completion', async () => {
    const s = await scripted();
    const r = await new RemoteEngineService({ url: s.url }, () => undefined).methods.generate(turn({ strategy: 'long' }));
    expect(s.completions).toHaveLength(1);
    expect(r.ledger).toMatchObject({ thinking: 8, visible: 2 });
    expect(r.stopReason).toBe('eos');
  });

  it('runs early exit as planned; on a one-slot server drafts degrade to one budget-forced path and say so', async () => {
    const s = await scripted({ slots: 1 });
    const svc = new RemoteEngineService({ url: s.url }, () => undefined);
    const ee = await svc.methods.generate(turn({ strategy: 'early-exit', requestId: 'a' }));
    expect(ee.plan).toMatchObject({ requested: 'early-exit', strategy: 'early-exit' });
    expect(ee.plan?.degraded).toBeUndefined();
    const mk = await svc.methods.generate(turn({ strategy: 'short-m@k', requestId: 'b' }));
    expect(mk.plan).toMatchObject({ strategy: 'budget', sampling: null });
    expect(mk.plan?.degraded?.[0]).toMatch(/^short-m@k ran as one budget-forced path: the llama-server has one slot/);
  });

  it('declares no parallel drafts on a one-slot server', async () => {
    const s = await scripted({ slots: 1 });
    const info = await new RemoteEngineService({ url: s.url }, () => undefined).methods.init({ backend: 'auto', threads: null, cachedThreads: null });
    expect(info.capabilities).toMatchObject({ earlyExit: true, parallelDrafts: false });
  });

  it('caps short-m@k at the server\'s slots and says so', async () => {
    const s = await scripted({ slots: 2 });
    const r = await new RemoteEngineService({ url: s.url }, () => undefined).methods.generate(turn({ strategy: 'short-m@k', temperature: 0.7, seed: 3 }));
    expect(r.plan?.sampling).toEqual({ k: 2, m: 2 });
    expect(r.plan?.degraded?.[0]).toMatch(/^short-m@k ran 2 of 2 drafts/);
    expect(r.drafts).toHaveLength(2);
    expect(s.completions).toHaveLength(2);
  });

  it('a dropped stream fails the turn with ENGINE_STREAM_DROPPED', async () => {
    const s = await scripted({ dropAfter: 2 });
    await expect(new RemoteEngineService({ url: s.url }, () => undefined).methods.generate(turn())).rejects.toMatchObject({ code: 'ENGINE_STREAM_DROPPED' });
  });

  it('refuses a turn for another model with ENGINE_MODEL_MISMATCH', async () => {
    const s = await scripted({ model: 'other.gguf' });
    await expect(new RemoteEngineService({ url: s.url }, () => undefined).methods.load({ modelPath: '/m/reckon-arith.gguf' }))
      .rejects.toMatchObject({ code: 'ENGINE_MODEL_MISMATCH', message: expect.stringContaining('runs other.gguf, not reckon-arith.gguf') });
  });

  it('init reports the remote server, its model and its capabilities', async () => {
    const s = await scripted();
    const info = await new RemoteEngineService({ url: s.url }, () => undefined).methods.init({ backend: 'auto', threads: null, cachedThreads: null });
    expect(info.remote).toEqual({ kind: 'llama-server', url: s.url, model: 'reckon-arith.gguf', slots: 4, build: 'b1-test' });
    expect(info.capabilities).toMatchObject({ budgetForcing: true, probe: false, earlyExit: true, parallelDrafts: true, weights: false });
  });

  it('methods that need the weights fail with ENGINE_UNSUPPORTED', async () => {
    const s = await scripted();
    const svc = new RemoteEngineService({ url: s.url }, () => undefined);
    await expect(svc.call('teacherForce', { modelPath: '/m/x.gguf', systemPrompt: '', history: [], question: 'q', tokens: [1], topK: 1 }))
      .rejects.toMatchObject({ code: 'ENGINE_UNSUPPORTED' });
    await expect(svc.call('embeddingRows', { modelPath: '/m/x.gguf', ids: [1] })).rejects.toMatchObject({ code: 'ENGINE_UNSUPPORTED' });
  });
});

describe('gatedProxy (test support for the model tests)', () => {
  it('holds a stream after its first chunk; release lets the rest through, cut breaks it', async () => {
    const s = await scripted();
    const proxy = await gatedProxy(s.url);
    try {
      const svc = new RemoteEngineService({ url: proxy.url }, () => undefined);
      const hold = proxy.holdNextStream();
      const running = svc.methods.generate(turn({ requestId: 'r1', strategy: 'long' }));
      await hold.reached;
      hold.release();
      expect((await running).answer).toBe('a20 a21');
      const cut = proxy.holdNextStream();
      const broken = svc.methods.generate(turn({ requestId: 'r2', chatKey: 'c2', strategy: 'long' }));
      await cut.reached;
      cut.cut();
      await expect(broken).rejects.toMatchObject({ code: 'ENGINE_STREAM_DROPPED' });
    } finally {
      await proxy.close();
    }
  });

  it('an abort while the stream is held ends the turn as aborted', async () => {
    const s = await scripted();
    const proxy = await gatedProxy(s.url);
    try {
      const svc = new RemoteEngineService({ url: proxy.url }, () => undefined);
      const hold = proxy.holdNextStream();
      const running = svc.methods.generate(turn({ requestId: 'a1', strategy: 'long' }));
      await hold.reached;
      await svc.methods.abort({ requestId: 'a1' });
      hold.release();
      const r = await running;
      expect(r.stopReason).toBe('aborted');
      expect(r.answer).toBe('');
    } finally {
      await proxy.close();
    }
  });
});

describe('engine/remote imports', () => {
  it('reaches no node-llama-cpp import through its relative imports', () => {
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
        const spec = m[1]!;
        if (spec === 'node-llama-cpp' || spec.startsWith('node-llama-cpp/')) offenders.push(file);
        if (!spec.startsWith('.')) continue;
        const base = resolve(dirname(file), spec);
        visit(existsSync(`${base}.ts`) ? `${base}.ts` : join(base, 'index.ts'));
      }
    };
    visit(join(__dirname, 'remoteEngineProcess.ts'));
    expect(seen.size).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});
