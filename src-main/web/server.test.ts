import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerFrame } from '../common/api';
import { createHost, type Host } from '../host/index';
import { fakeEngine } from '../host/testing/fakeEngine';
import { startWebServer, type WebServer } from './server';

let dir: string;
let host: Host;
let srv: WebServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reckon-web-'));
  const renderer = join(dir, 'renderer');
  await mkdir(join(renderer, 'assets'), { recursive: true });
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>Reckon</title>');
  await writeFile(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'secret');
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1 }));
  host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'browser', spawnEngine: fakeEngine().spawner });
  srv = await startWebServer({ host, port: 0, rendererDir: renderer });
});
afterAll(async () => {
  await srv.close();
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket; resolves with it when open, rejects with the HTTP status when refused. */
function connect(query: string, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/api${query}`, origin ? { origin } : {});
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function rpc(ws: WebSocket, frame: unknown): Promise<ServerFrame> {
  return new Promise((resolve) => {
    const onMsg = (d: WebSocket.RawData): void => {
      const f = JSON.parse(d.toString()) as ServerFrame;
      if (f.kind === 'event') return;
      ws.off('message', onMsg);
      resolve(f);
    };
    ws.on('message', onMsg);
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  });
}

describe('web server (real HTTP + WebSocket)', () => {
  it('listens on 127.0.0.1 with a random token in the URL', () => {
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/?token=${srv.token}`);
    expect(srv.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses HTTP without the token, serves with it (CSP, nosniff, cookie), and blocks path traversal', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
    const ok = await get(`/?token=${srv.token}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<title>Reckon</title>');
    expect(ok.headers['content-security-policy']).toContain(`default-src 'self'; connect-src 'self' ws://127.0.0.1:${srv.port}`);
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toBe(`reckon_token=${srv.token}`);
    const asset = await get('/assets/app.js', { cookie });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect((await get('/assets/app.js')).status).toBe(401);
    expect((await get(`/..%2fsecret.txt?token=${srv.token}`)).status).toBe(403);
    expect((await get(`/?token=${srv.token}`, { host: 'evil.example:80' })).status).toBe(421);
  });

  it('refuses WebSocket upgrades with a missing/wrong token or a foreign Origin', async () => {
    await expect(connect('')).rejects.toThrow(/refused 401/);
    await expect(connect('?token=nope')).rejects.toThrow(/refused 401/);
    await expect(connect(`?token=${srv.token}`, 'http://evil.example')).rejects.toThrow(/refused 403/);
    await expect(connect(`?token=${srv.token}`, `http://127.0.0.1:${srv.port + 1}`)).rejects.toThrow(/refused 403/);
  });

  it('answers calls with the token and its own Origin; malformed frames get an error frame, not a crash', async () => {
    const ws = await connect(`?token=${srv.token}`, `http://127.0.0.1:${srv.port}`);
    const info = await rpc(ws, { kind: 'call', id: 1, method: 'system.info' });
    expect(info).toMatchObject({ kind: 'result', id: 1, result: { shell: 'browser', version: expect.any(String) } });
    expect(await rpc(ws, '{not json')).toMatchObject({ kind: 'error', id: 0, error: { code: 'BAD_REQUEST' } });
    expect(await rpc(ws, { kind: 'call', id: 2 })).toMatchObject({ kind: 'error', id: 2, error: { code: 'BAD_REQUEST' } });
    expect(await rpc(ws, { kind: 'call', id: 3, method: 'nope' })).toMatchObject({ kind: 'error', id: 3, error: { code: 'BAD_REQUEST' } });
    ws.close();
  });

  it('broadcasts turn events and stored-state changes to connected clients', async () => {
    const ws = await connect(`?token=${srv.token}`, `http://localhost:${srv.port}`);
    const other = await connect(`?token=${srv.token}`);
    const seen: string[] = [];
    const changes: string[] = [];
    const done = new Promise<void>((resolve) => {
      other.on('message', (d) => {
        const f = JSON.parse(d.toString()) as ServerFrame;
        if (f.kind === 'event' && f.event.type === 'changed') changes.push(f.event.change.what);
        // A `changed` event (the import, the new conversation) may come before or between a turn's own events.
        else if (f.kind === 'event') {
          seen.push(f.event.type);
          if (f.event.type === 'done' || f.event.type === 'error') resolve();
        }
      });
    });
    await writeFile(join(dir, 'm.gguf'), 'GGUF-web-model');
    const imported = await rpc(ws, { kind: 'call', id: 1, method: 'models.import', params: { path: join(dir, 'm.gguf') } });
    expect(imported.kind).toBe('result');
    const sent = await rpc(ws, { kind: 'call', id: 2, method: 'chat.send', params: { text: 'What is 37+48?' } });
    expect(sent).toMatchObject({ kind: 'result', id: 2, result: { turnId: expect.any(String) } });
    await done;
    expect(seen[0]).toBe('start');
    expect(seen.at(-1)).toBe('done');
    expect(changes).toContain('models');
    ws.close();
    other.close();
  });

  it('bad params change nothing: a 10,000-deep settings.update, unknown keys, long strings and wrong types are BAD_REQUEST', async () => {
    const ws = await connect(`?token=${srv.token}`);
    const file = join(dir, 'data', 'settings.json');
    expect(await rpc(ws, { kind: 'call', id: 1, method: 'settings.update', params: { theme: 'dark' } })).toMatchObject({ kind: 'result', result: { theme: 'dark' } });
    const onDisk = await readFile(file, 'utf8');
    const settings = ((await rpc(ws, { kind: 'call', id: 2, method: 'settings.get' })) as { result: unknown }).result;
    expect(settings).toMatchObject({ theme: 'dark', threads: 1 });

    const unchanged = async (): Promise<void> => {
      expect(await rpc(ws, { kind: 'call', id: 99, method: 'settings.get' })).toEqual({ kind: 'result', id: 99, result: settings });
      expect(await readFile(file, 'utf8')).toBe(onDisk);
    };
    const expectBad = async (frame: unknown, message: RegExp): Promise<void> => {
      const f = await rpc(ws, frame);
      expect(f).toMatchObject({ kind: 'error', error: { code: 'BAD_REQUEST' } });
      expect((f as { error: { message: string } }).error.message).toMatch(message);
      await unchanged();
    };

    // Built as text: 10,000 levels under controller (about 60 kB, well inside one frame).
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    await expectBad(`{"kind":"call","id":3,"method":"settings.update","params":{"controller":${deep}}}`, /^settings\.update: controller(\.a)+ is nested too deeply \(at most 32 levels\)/);
    await expectBad({ kind: 'call', id: 4, method: 'settings.update', params: { theme: 'light', bogus: 1 } }, /^settings\.update: unknown setting 'bogus'\.$/);
    await expectBad({ kind: 'call', id: 5, method: 'settings.update', params: { controller: { strategies: { easy: { budgetFraction: 0.5, junk: { a: 1 } } } } } },
      /^settings\.update: controller\.strategies\.easy: unknown key 'junk'\.$/);
    await expectBad({ kind: 'call', id: 6, method: 'settings.update', params: { controller: { strategies: { easy: { budgetFraction: 'x' } } } } },
      /^settings\.update: controller\.strategies\.easy\.budgetFraction must be null or 0\.\.10\.$/);
    await expectBad({ kind: 'call', id: 7, method: 'settings.update', params: { theme: 3, maxTokens: 64 } }, /^settings\.update: theme must be system, light or dark\.$/);
    // The largest frame the server takes is 8 MiB: a 7 MiB prompt reaches the router and is refused there.
    await expectBad({ kind: 'call', id: 8, method: 'settings.update', params: { systemPrompt: 'x'.repeat(7 * 1024 * 1024) } }, /^settings\.update: systemPrompt is too long/);
    await expectBad({ kind: 'call', id: 9, method: 'chat.send', params: { text: 'hi', seed: 'x' } }, /^chat\.send: seed must be a non-negative integer\.$/);
    await expectBad({ kind: 'call', id: 10, method: 'conversations.rename', params: { id: 'x', title: 5 } }, /^conversations\.rename: title must be a string\.$/);

    // A 10 MiB frame is refused by the socket (1009: too big); the server stays up for everyone else.
    const big = await connect(`?token=${srv.token}`);
    const closed = new Promise<number>((resolve) => big.once('close', (code) => resolve(code)));
    big.send(JSON.stringify({ kind: 'call', id: 1, method: 'settings.update', params: { systemPrompt: 'x'.repeat(10 * 1024 * 1024) } }));
    expect(await closed).toBe(1009);
    // The same 10 MiB string through the in-process door (CLI, Electron) is BAD_REQUEST from the router.
    await expect(host.call('settings.update', { systemPrompt: 'x'.repeat(10 * 1024 * 1024) })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await unchanged();
    ws.close();
    const again = await connect(`?token=${srv.token}`);
    expect(await rpc(again, { kind: 'call', id: 1, method: 'settings.get' })).toEqual({ kind: 'result', id: 1, result: settings });
    again.close();
  });
});
