/**
 * The API's own port (ApiListener, opened by the desktop app and `reckon serve` through HostOptions.serveApi) under
 * Node, over real HTTP, in front of the real host and the scripted engine: it opens, follows settings.api (on/off,
 * port) at once, reports a port another program holds (API_PORT_IN_USE, a notice) and recovers when asked again.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../index';
import { fakeEngine, type FakeEngineControl } from '../testing/fakeEngine';

let dir: string;
let engine: FakeEngineControl;
let host: Host | null = null;
let blocker: Server | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reckon-api-listener-'));
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'models', 'reckon-arith.gguf'), Buffer.from('GGUF-fake-bundled-model'));
  await mkdir(join(dir, 'data'));
  engine = fakeEngine();
  engine.stepMs = 0;
});
afterEach(async () => {
  await host?.close();
  host = null;
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  blocker = null;
  await rm(dir, { recursive: true, force: true });
});

async function open(settings: Record<string, unknown>, serveApi: { port?: number }): Promise<Host> {
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1, ...settings }));
  host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'electron', spawnEngine: engine.spawner, serveApi });
  return host;
}

/** A port some other program holds (a plain TCP listener on 127.0.0.1). */
async function takePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  blocker = s;
  return (s.address() as { port: number }).port;
}

/** A port nobody holds right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function models(baseUrl: string, key: string): Promise<number> {
  const client = new OpenAI({ apiKey: key, baseURL: baseUrl, maxRetries: 0 });
  return (await client.models.list()).data.length;
}

/** GET with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(port: number, hostHeader: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: hostHeader } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ApiListener: the API on its own port', () => {
  it('opens on the port, follows Settings on/off and a new port at once, and serves /audit with the key', async () => {
    const first = await freePort();
    const h = await open({ api: { enabled: true, port: first, allowedOrigins: [], maxConcurrent: 1, maxQueued: 8 } }, {});
    const { key } = await h.call('api.key');
    const on = await h.call('api.status');
    expect(on).toEqual({ state: 'listening', port: first, baseUrl: `http://127.0.0.1:${first}/v1`, error: null });
    expect(await models(on.baseUrl!, key)).toBe(1);
    // DNS rebinding: another Host header is refused.
    expect(await getWithHost(first, `evil.example:${first}`, '/v1/models')).toBe(421);
    // The audit endpoints take the API key; without it, 401.
    expect(await getWithHost(first, `127.0.0.1:${first}`, '/audit/receipt/nope')).toBe(401);
    const missing = await fetch(`http://127.0.0.1:${first}/audit/receipt/nope`, { headers: { Authorization: `Bearer ${key}` } });
    expect(missing.status).toBe(404);

    const api = (await h.call('settings.get')).api;
    await h.call('settings.update', { api: { ...api, enabled: false } });
    expect(await h.call('api.status')).toMatchObject({ state: 'off', baseUrl: null });
    await expect(fetch(`${on.baseUrl!}/models`, { headers: { Authorization: `Bearer ${key}` } })).rejects.toThrow();

    const second = await freePort();
    await h.call('settings.update', { api: { ...api, enabled: true, port: second } });
    expect(await h.call('api.status')).toMatchObject({ state: 'listening', port: second });
    expect(await models(`http://127.0.0.1:${second}/v1`, key)).toBe(1);
    await expect(fetch(`${on.baseUrl!}/models`, { headers: { Authorization: `Bearer ${key}` } })).rejects.toThrow();

    // Closing the host closes the port.
    await h.close();
    host = null;
    await expect(fetch(`http://127.0.0.1:${second}/v1/models`, { headers: { Authorization: `Bearer ${key}` } })).rejects.toThrow();
  });

  it('a port another program holds: API_PORT_IN_USE in the status and a notice; the next sync retries', async () => {
    const taken = await takePort();
    const h = await open({ api: { enabled: true, port: taken, allowedOrigins: [], maxConcurrent: 1, maxQueued: 8 } }, {});
    const status = await h.call('api.status');
    expect(status).toMatchObject({ state: 'error', port: taken, baseUrl: null, error: { code: 'API_PORT_IN_USE' } });
    expect(status.error!.message).toContain(String(taken));
    expect((await h.call('system.notices')).map((n) => n.message)).toContain(status.error!.message);

    // The other program lets go; saving the API settings again opens the port.
    await new Promise<void>((r) => blocker!.close(() => r()));
    blocker = null;
    await h.call('settings.update', { api: (await h.call('settings.get')).api });
    const now = await h.call('api.status');
    expect(now).toMatchObject({ state: 'listening', port: taken });
    expect(await models(now.baseUrl!, (await h.call('api.key')).key)).toBe(1);
  });

  it('off in Settings: no port at start; a settings.json from before the port setting keeps its other API fields', async () => {
    const h = await open({ api: { enabled: false, allowedOrigins: ['http://localhost:3000'], maxConcurrent: 2, maxQueued: 3 } }, { port: 0 });
    expect((await h.call('settings.get')).api).toEqual({ enabled: false, port: 8147, allowedOrigins: ['http://localhost:3000'], maxConcurrent: 2, maxQueued: 3 });
    expect(await h.call('api.status')).toEqual({ state: 'off', port: null, baseUrl: null, error: null });
    // The override (reckon serve --api-port 0) picks a free port once turned on.
    await h.call('settings.update', { api: { ...(await h.call('settings.get')).api, enabled: true } });
    const on = await h.call('api.status');
    expect(on.state).toBe('listening');
    expect(on.port).not.toBe(8147);
    expect(await models(on.baseUrl!, (await h.call('api.key')).key)).toBe(1);
  });

  it('a host without serveApi opens no port (the terminal, tests)', async () => {
    await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1 }));
    host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'cli', spawnEngine: engine.spawner });
    expect(await host.call('api.status')).toEqual({ state: 'unserved', port: null, baseUrl: null, error: null });
  });
});
