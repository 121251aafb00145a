import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../host/index';
import { fakeEngine } from '../host/testing/fakeEngine';
import { startWebServer, type WebServer } from './server';

let dir: string;
let host: Host;
let srv: WebServer;
let free = Number.MAX_SAFE_INTEGER;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reckon-upload-'));
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Reckon</title>');
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1 }));
  host = await createHost({
    userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'browser', spawnEngine: fakeEngine().spawner,
    hub: { freeBytes: async () => free },
  });
  srv = await startWebServer({ host, port: 0, rendererDir: join(dir, 'renderer') });
});
afterAll(async () => {
  await srv.close();
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

function post(path: string, body: Buffer, headers: Record<string, string> = {}, method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, method, headers: { 'content-length': String(body.length), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const gguf = (n: number): Buffer => Buffer.concat([Buffer.from('GGUF'), randomBytes(n - 4)]);
const leftovers = async (): Promise<string[]> => (await readdir(join(dir, 'data', 'downloads')).catch(() => [] as string[]));

describe('browser-mode upload (POST /upload)', () => {
  it('streams a .gguf to disk and imports it; a second file of the same name gets its own', async () => {
    const a = await post(`/upload?name=my%20model.gguf&token=${srv.token}`, gguf(3 * 1024 * 1024 + 17), { origin: `http://127.0.0.1:${srv.port}` });
    expect(a.status, a.body).toBe(200);
    const m = JSON.parse(a.body) as { id: string; path: string; bundled: boolean };
    expect(m.path).toBe(join(dir, 'data', 'models', 'uploads', 'my_model.gguf'));
    expect(m.bundled).toBe(false);
    expect((await host.call('models.list')).map((x) => x.id)).toContain(m.id);
    const b = await post(`/upload?name=my%20model.gguf&token=${srv.token}`, gguf(1000));
    expect(JSON.parse(b.body).path).toBe(join(dir, 'data', 'models', 'uploads', 'my_model-2.gguf'));
    expect(await leftovers()).toEqual([]);
  });

  it('refuses without the token, from a foreign origin, other methods, and names that are not .gguf', async () => {
    expect((await post('/upload?name=m.gguf', gguf(100))).status).toBe(401);
    expect((await post(`/upload?name=m.gguf&token=${srv.token}`, gguf(100), { origin: 'http://evil.example' })).status).toBe(403);
    expect((await post(`/upload?name=m.gguf&token=${srv.token}`, Buffer.alloc(0), {}, 'PUT')).status).toBe(405);
    const bad = await post(`/upload?name=notes.txt&token=${srv.token}`, gguf(100));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('BAD_REQUEST');
  });

  it('a file the engine refuses, or one with no room, leaves nothing behind', async () => {
    const before = (await host.call('models.list')).length;
    const notGguf = await post(`/upload?name=fake.gguf&token=${srv.token}`, Buffer.from('this is not a model'));
    expect(notGguf.status).toBe(422);
    expect(JSON.parse(notGguf.body).error.code).toBe('GGUF_INVALID');
    free = 1000;
    const full = await post(`/upload?name=big.gguf&token=${srv.token}`, gguf(5000));
    free = Number.MAX_SAFE_INTEGER;
    expect(full.status).toBe(507);
    expect(JSON.parse(full.body).error.code).toBe('DOWNLOAD_NO_SPACE');
    expect((await host.call('models.list')).length).toBe(before);
    expect((await readdir(join(dir, 'data', 'models', 'uploads'))).sort()).toEqual(['my_model-2.gguf', 'my_model.gguf']);
    expect(await leftovers()).toEqual([]);
  });

  it('a body that breaks off or ends short imports nothing and keeps nothing', async () => {
    const before = (await host.call('models.list')).length;
    async function* breaks(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('GGUF');
      yield randomBytes(2 * 1024 * 1024);
      throw new Error('aborted');
    }
    await expect(host.importUpload('cut.gguf', breaks(), 10 * 1024 * 1024)).rejects.toMatchObject({ code: 'IO_ERROR' });
    async function* short(): AsyncGenerator<Uint8Array> {
      yield gguf(500);
    }
    await expect(host.importUpload('short.gguf', short(), 1000)).rejects.toMatchObject({ code: 'IO_ERROR', details: { bytes: 500, sizeBytes: 1000 } });
    expect((await host.call('models.list')).length).toBe(before);
    expect(await leftovers()).toEqual([]);
  });
});
