/**
 * Settings > Engine: engine.test against a scripted llama-server over real HTTP, and Apply (settings.update with
 * `engine`) switching the host's engine at runtime - scripted fake engines stand for the built-in and the remote
 * process, so what is checked is which one the host runs, when, and what it tells the UI.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TurnEvent } from '../common/events';
import { createHost, type EngineChoice, type Host, type HostOptions } from './index';
import { fakeEngine, type FakeEngineControl, type ScriptIO } from './testing/fakeEngine';
import { hostFixture, type HostFixture } from './testing/hostFixture';

/** A scripted llama-server: /health, /props, /slots as the real one answers them; `key` = its --api-key. */
async function scriptedServer(o: { key?: string; props?: 'missing' | 'ok' } = {}): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (o.key !== undefined && req.headers.authorization !== `Bearer ${o.key}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 401, message: 'Invalid API Key' } }));
      return;
    }
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (req.url === '/props' && o.props !== 'missing') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        model_path: '/srv/models/reckon-arith.gguf', total_slots: 4, build_info: 'b6000-abc1234', chat_template: '',
        default_generation_settings: { n_ctx: 512 },
      }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":404,"message":"File Not Found"}}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

/** A URL nothing listens at: a port that was just free. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

let fx: HostFixture;
let builtin: FakeEngineControl;
let remote: FakeEngineControl;
let spawnedFor: EngineChoice[];
let servers: Server[];
const hosts: Host[] = [];

beforeEach(async () => {
  fx = await hostFixture({ prefix: 'reckon-engine-settings-' });
  builtin = fx.engine;
  remote = fakeEngine();
  remote.stepMs = 0;
  spawnedFor = [];
  servers = [];
});
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
  for (const s of servers) s.close();
  await fx.dispose();
});

async function open(extra: Partial<HostOptions> = {}): Promise<Host> {
  const h = await createHost({
    userDataDir: fx.data, modelsDir: fx.modelsDir, shell: 'cli',
    spawnEngineFor: (c) => {
      spawnedFor.push(c);
      return c.kind === 'builtin' ? builtin.spawner : remote.spawner;
    },
    ...extra,
  });
  hosts.push(h);
  return h;
}

async function server(o: Parameters<typeof scriptedServer>[0] = {}): Promise<{ url: string; requests: string[] }> {
  const s = await scriptedServer(o);
  servers.push(s.server);
  return s;
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('engine.test', () => {
  it("answers the server's model, slots and build, with the key sent as a Bearer header", async () => {
    const s = await server({ key: 'sekrit' });
    const h = await open();
    expect(await h.call('engine.test', { url: `${s.url}/`, apiKey: 'sekrit' })).toEqual({
      kind: 'llama-server', url: s.url, model: 'reckon-arith.gguf', slots: 4, build: 'b6000-abc1234',
    });
  });

  it('says why it cannot: nothing listening, a wrong key, not a llama-server, not a URL', async () => {
    const h = await open();
    const dead = await deadUrl();
    const down = await rejection(h.call('engine.test', { url: dead }));
    expect(down.code).toBe('ENGINE_UNREACHABLE');
    expect(down.message).toContain(`No llama-server answered at ${dead}`);

    const keyed = await server({ key: 'sekrit' });
    const auth = await rejection(h.call('engine.test', { url: keyed.url, apiKey: 'wrong' }));
    expect(auth.code).toBe('ENGINE_AUTH_FAILED');
    expect(auth.message).toContain(keyed.url);

    const other = await server({ props: 'missing' });
    const notServer = await rejection(h.call('engine.test', { url: other.url }));
    expect(notServer).toMatchObject({ code: 'ENGINE_UNREACHABLE' });
    expect(notServer.message).toContain('not a llama-server');

    expect((await rejection(h.call('engine.test', { url: 'ftp://example.org' }))).code).toBe('ENGINE_UNREACHABLE');
    const bad = await rejection(h.call('engine.test', { url: '' }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toContain('url');
  });
});

describe('Settings > Engine', () => {
  it('Apply switches to the llama-server at runtime, stores the choice, and a restart starts it', async () => {
    const s = await server({ key: 'k1' });
    const h = await open();
    await h.call('system.info'); // the built-in engine is up
    expect((await h.call('system.info')).engineChoice).toEqual({ kind: 'builtin', url: null, source: 'default' });

    await h.call('settings.update', { engine: { kind: 'llama-server', url: s.url, apiKey: 'k1' } });
    expect(spawnedFor).toEqual([{ kind: 'builtin' }, { kind: 'llama-server', url: s.url, apiKey: 'k1' }]);
    expect(s.requests).toContain('GET /props'); // asked before it was applied
    expect(remote.spawned).toBe(1);
    const info = await h.call('system.info');
    expect(info.engineChoice).toEqual({ kind: 'llama-server', url: s.url, source: 'settings' });
    expect(info.engine.state).toBe('ready');
    expect(info.engine.lastCrash).toBeUndefined(); // the stopped built-in engine was no crash
    expect(JSON.parse(await readFile(join(fx.data, 'settings.json'), 'utf8')).engine).toEqual({ kind: 'llama-server', url: s.url, apiKey: 'k1' });

    // the same settings again change nothing; the built-in engine back is one update (no test needed)
    await h.call('settings.update', { engine: { kind: 'llama-server', url: s.url, apiKey: 'k1' } });
    expect(spawnedFor).toHaveLength(2);
    await h.call('settings.update', { engine: { kind: 'builtin', url: s.url, apiKey: 'k1' } });
    expect(spawnedFor.at(-1)).toEqual({ kind: 'builtin' });

    await h.call('settings.update', { engine: { kind: 'llama-server', url: s.url, apiKey: 'k1' } });
    await hosts.pop()!.close();
    spawnedFor = [];
    await open();
    expect(spawnedFor).toEqual([{ kind: 'llama-server', url: s.url, apiKey: 'k1' }]);
  });

  it('a wrong URL or key is refused with its code, nothing saved, the built-in engine kept', async () => {
    const h = await open();
    await h.call('system.info');
    const dead = await deadUrl();
    const err = await rejection(h.call('settings.update', { engine: { kind: 'llama-server', url: dead, apiKey: '' } }));
    expect(err.code).toBe('ENGINE_UNREACHABLE');
    expect(err.message).toContain(dead);
    const keyed = await server({ key: 'right' });
    expect((await rejection(h.call('settings.update', { engine: { kind: 'llama-server', url: keyed.url, apiKey: 'wrong' } }))).code).toBe('ENGINE_AUTH_FAILED');

    expect(spawnedFor).toEqual([{ kind: 'builtin' }]);
    expect((await h.call('settings.get')).engine).toBeUndefined();
    expect((await h.call('system.info')).engineChoice?.kind).toBe('builtin');
    const bad = await rejection(h.call('settings.update', { engine: { kind: 'llama-server', url: 'not a url', apiKey: '' } }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toContain('engine.url');
  });

  it('--engine wins: the setting is stored, the flagged engine keeps running, and system.info says so', async () => {
    const s = await server();
    const h = await open({ engine: { kind: 'llama-server', url: s.url } });
    await h.call('system.info');
    await h.call('settings.update', { engine: { kind: 'builtin', url: '', apiKey: '' } });
    expect(spawnedFor).toEqual([{ kind: 'llama-server', url: s.url }]);
    expect((await h.call('system.info')).engineChoice).toEqual({ kind: 'llama-server', url: s.url, source: 'flags' });
    expect((await h.call('settings.get')).engine).toEqual({ kind: 'builtin', url: '', apiKey: '' });
  });

  it('a running turn is ended (stored as stopped) before the engine switches', async () => {
    const s = await server();
    // A turn that runs until it is aborted, then answers as the engine does: what it had, stopReason 'aborted'.
    builtin.script.generate = async (_params: unknown, io: ScriptIO) => {
      io.emit({ type: 'thought', text: 'thinking ' });
      await io.gate('never').catch(() => undefined);
      return { answer: '', thinking: 'thinking ', thinkingMs: 1, stopReason: 'aborted', ledger: { visible: 0, thinking: 1, prompt: 1, cached: 0, overhead: {}, billed: 2, sequential: 1 }, hidden: [] };
    };
    const h = await open();
    const events: TurnEvent[] = [];
    h.onTurnEvent((e) => events.push(e));
    const sent = await h.call('chat.send', { text: 'What is 37+48?' });
    await builtin.gates.reached('never');
    await h.call('settings.update', { engine: { kind: 'llama-server', url: s.url, apiKey: '' } });
    const end = events.filter((e) => e.turnId === sent.turnId).at(-1);
    expect(end?.type).toBe('done');
    const conv = await h.call('conversations.get', { id: sent.conversationId });
    expect(conv.messages.at(-1)).toMatchObject({ role: 'assistant', status: 'stopped' });
    expect(remote.spawned).toBe(1);
  });
});
