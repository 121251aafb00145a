import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DownloadInfo } from '../../common/downloads';
import type { ErrorCode } from '../../common/errors';
import { createHost, type Host } from '../index';
import { fakeEngine } from '../testing/fakeEngine';
import { startFakeHub, type FakeHub } from '../testing/fakeHub';
import type { HubOptions } from './DownloadsService';
import { quantizationFromName, splitPart } from '../../common/downloads';

/** A file the fake engine's inspect accepts (GGUF magic), with enough bytes for many chunks. */
const gguf = (n: number): Buffer => Buffer.concat([Buffer.from('GGUF'), randomBytes(n - 4)]);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const q4 = gguf(300_000);
const q8 = gguf(400_000);
const parts = [gguf(120_000), gguf(120_000), gguf(50_000)];
const gatedModel = gguf(80_000);

let dir: string;
let hub: FakeHub;
const hosts: Host[] = [];
let free = Number.MAX_SAFE_INTEGER;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reckon-dl-'));
  await mkdir(join(dir, 'models'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1 }));
  free = Number.MAX_SAFE_INTEGER;
  hub = await startFakeHub({
    repos: [
      { id: 'acme/Tiny-GGUF', files: { 'README.md': Buffer.from('# tiny'), 'tiny.Q4_K_M.gguf': q4, 'tiny.Q8_0.gguf': q8 }, downloads: 10 },
      { id: 'acme/Big-GGUF', files: { 'big-Q4_K_M-00001-of-00003.gguf': parts[0]!, 'big-Q4_K_M-00002-of-00003.gguf': parts[1]!, 'big-Q4_K_M-00003-of-00003.gguf': parts[2]! } },
      { id: 'corp/Gated-GGUF', files: { 'gated-F16.gguf': gatedModel }, gated: true },
      { id: 'acme/no-gguf', files: { 'model.safetensors': Buffer.from('x') } },
    ],
  });
});

afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
  await hub.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(hubOpts: HubOptions = {}): Promise<{ host: Host; events: DownloadInfo[]; until: (pred: (d: DownloadInfo) => boolean) => Promise<DownloadInfo> }> {
  const engine = fakeEngine();
  const host = await createHost({
    userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'cli', spawnEngine: engine.spawner,
    hub: { endpoint: hub.endpoint, retryDelayMs: 0, freeBytes: async () => free, ...hubOpts },
  });
  hosts.push(host);
  const events: DownloadInfo[] = [];
  const waiters: { pred: (d: DownloadInfo) => boolean; resolve: (d: DownloadInfo) => void }[] = [];
  host.onTurnEvent((e) => {
    if (e.type !== 'download') return;
    events.push(e.download);
    for (const w of [...waiters]) if (w.pred(e.download)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e.download); }
  });
  // Waits for an event matching pred, counting the ones already seen.
  const until = (pred: (d: DownloadInfo) => boolean): Promise<DownloadInfo> => {
    const seen = events.find(pred);
    return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ pred, resolve }));
  };
  return { host, events, until };
}

const expectCode = (p: Promise<unknown>, code: ErrorCode): Promise<void> => expect(p).rejects.toMatchObject({ code });
const cdnGets = (path: string): { range: string | null; ifRange: string | null; authorization: string | null }[] =>
  hub.requests.filter((r) => r.server === 'cdn' && r.url.endsWith(sha(path === 'q4' ? q4 : gatedModel)));

describe('file names', () => {
  it('reads split parts and quantisations from GGUF names', () => {
    expect(splitPart('a/big-Q4_K_M-00002-of-00003.gguf')).toEqual({ stem: 'a/big-Q4_K_M', index: 2, count: 3 });
    expect(splitPart('tiny.Q4_K_M.gguf')).toBeNull();
    expect(quantizationFromName('tiny.Q4_K_M.gguf')).toBe('Q4_K_M');
    expect(quantizationFromName('sub/model-IQ3_XXS-00001-of-00002.gguf')).toBe('IQ3_XXS');
    expect(quantizationFromName('model-f16.gguf')).toBe('F16');
    expect(quantizationFromName('model.gguf')).toBeNull();
  });
});

describe('hub', () => {
  it('searches GGUF repos and lists their models with size, quantisation and sha256; a split GGUF is one model', async () => {
    const { host } = await open();
    const found = await host.call('hub.search', { query: 'gguf' });
    expect(found.map((r) => r.id).sort()).toEqual(['acme/Big-GGUF', 'acme/Tiny-GGUF', 'corp/Gated-GGUF']);
    expect(found.find((r) => r.id === 'corp/Gated-GGUF')?.gated).toBe(true);
    const files = await host.call('hub.files', { repo: 'acme/Tiny-GGUF' });
    expect(files).toEqual([
      { path: 'tiny.Q4_K_M.gguf', sizeBytes: q4.length, quantization: 'Q4_K_M', parts: [{ path: 'tiny.Q4_K_M.gguf', sizeBytes: q4.length, sha256: sha(q4) }] },
      { path: 'tiny.Q8_0.gguf', sizeBytes: q8.length, quantization: 'Q8_0', parts: [{ path: 'tiny.Q8_0.gguf', sizeBytes: q8.length, sha256: sha(q8) }] },
    ]);
    const big = await host.call('hub.files', { repo: 'acme/Big-GGUF' });
    expect(big).toHaveLength(1);
    expect(big[0]).toMatchObject({ path: 'big-Q4_K_M-00001-of-00003.gguf', sizeBytes: 290_000, quantization: 'Q4_K_M' });
    expect(big[0]!.parts.map((p) => p.sha256)).toEqual(parts.map(sha));
  });

  it('404s are DOWNLOAD_NOT_FOUND and register nothing; bad params are BAD_REQUEST', async () => {
    const { host } = await open();
    await expectCode(host.call('hub.files', { repo: 'nobody/nothing' }), 'DOWNLOAD_NOT_FOUND');
    await expectCode(host.call('downloads.start', { repo: 'nobody/nothing' }), 'DOWNLOAD_NOT_FOUND');
    await expectCode(host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'Q2_K' }), 'DOWNLOAD_NOT_FOUND');
    await expectCode(host.call('downloads.start', { repo: 'acme/no-gguf' }), 'DOWNLOAD_NOT_FOUND');
    // Two models and no choice: the error names them.
    await expect(host.call('downloads.start', { repo: 'acme/Tiny-GGUF' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('tiny.Q8_0.gguf') });
    await expectCode(host.call('downloads.start', {} as never), 'BAD_REQUEST');
    await expectCode(host.call('downloads.start', { repo: 'not a repo' }), 'BAD_REQUEST');
    expect(await host.call('downloads.list')).toEqual([]);
    expect((await host.call('models.list')).filter((m) => !m.bundled)).toEqual([]);
  });
});

describe('downloads', () => {
  it('downloads a quantisation through a redirect to another host, checks its sha256 and registers it', async () => {
    const { host, until, events } = await open();
    const started = await host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'q4_k_m' });
    expect(started).toMatchObject({ repo: 'acme/Tiny-GGUF', file: 'tiny.Q4_K_M.gguf', state: 'downloading', totalBytes: q4.length, parts: 1 });
    const done = await until((d) => d.id === started.id && d.state === 'done');
    expect(done.receivedBytes).toBe(q4.length);
    const model = (await host.call('models.list')).find((m) => m.id === done.modelId);
    expect(model?.sha256).toBe(sha(q4));
    expect(model?.path).toBe(join(dir, 'data', 'models', 'acme--Tiny-GGUF', 'tiny.Q4_K_M.gguf'));
    expect(sha(await readFile(model!.path))).toBe(sha(q4)); // (toEqual on 300 KB buffers is slow)
    // The bytes came from the CDN (another port), after a redirect from the hub.
    expect(hub.requests.some((r) => r.server === 'hub' && r.status === 302)).toBe(true);
    expect(cdnGets('q4')).toHaveLength(1);
    expect(events.some((e) => e.state === 'verifying')).toBe(true);
    // The partial folder is gone; the state says done.
    expect(await readdir(join(dir, 'data', 'downloads'))).toEqual([]);
    const stored = JSON.parse(await readFile(join(dir, 'data', 'downloads.json'), 'utf8')) as { downloads: { state: string }[] };
    expect(stored.downloads.map((d) => d.state)).toEqual(['done']);
    // Starting it again answers the finished download.
    expect(await host.call('downloads.start', { url: `${hub.endpoint}/acme/Tiny-GGUF/resolve/main/tiny.Q4_K_M.gguf` })).toMatchObject({ id: started.id, state: 'done' });
  });

  it('a connection dropped mid-file resumes from the byte it had (Range + If-Range) and the sha256 is right', async () => {
    const { host, until } = await open();
    hub.fault('tiny.Q4_K_M.gguf', { kind: 'drop', afterBytes: 123_457 });
    const d = await host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'tiny.Q4_K_M.gguf' });
    const done = await until((x) => x.id === d.id && (x.state === 'done' || x.state === 'error'));
    expect(done.state).toBe('done');
    const gets = cdnGets('q4');
    expect(gets).toHaveLength(2);
    expect(gets[0]!.range).toBeNull();
    expect(gets[1]).toMatchObject({ range: 'bytes=123457-', ifRange: `"${sha(q4)}"` });
    expect((await host.call('models.list')).find((m) => m.id === done.modelId)?.sha256).toBe(sha(q4));
  });

  it('a slow transfer is paused and resumed by the caller, continuing from the bytes on disk', async () => {
    const { host, until } = await open();
    hub.fault('tiny.Q4_K_M.gguf', { kind: 'trickle', afterBytes: 100_000 });
    const d = await host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'Q4_K_M' });
    await hub.holding('tiny.Q4_K_M.gguf');
    await until((x) => x.receivedBytes === 100_000);
    const paused = await host.call('downloads.pause', { id: d.id });
    expect(paused).toMatchObject({ state: 'paused', receivedBytes: 100_000, bytesPerSecond: null });
    expect((await stat(join(dir, 'data', 'downloads', d.id, 'tiny.Q4_K_M.gguf.part'))).size).toBe(100_000);
    expect((await host.call('downloads.list'))[0]?.state).toBe('paused');
    hub.release('tiny.Q4_K_M.gguf');
    await host.call('downloads.resume', { id: d.id });
    const done = await until((x) => x.state === 'done');
    expect(cdnGets('q4').map((g) => g.range)).toEqual([null, 'bytes=100000-']);
    expect((await host.call('models.list')).find((m) => m.id === done.modelId)?.sha256).toBe(sha(q4));
  });

  it('corrupted bytes fail with DOWNLOAD_CHECKSUM, register nothing and keep nothing; a resume fetches them again', async () => {
    const { host, until } = await open();
    hub.fault('tiny.Q4_K_M.gguf', { kind: 'corrupt' });
    const d = await host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'Q4_K_M' });
    const failed = await until((x) => x.state === 'error');
    expect(failed.error?.code).toBe('DOWNLOAD_CHECKSUM');
    expect((await host.call('models.list')).filter((m) => !m.bundled)).toEqual([]);
    expect(await readdir(join(dir, 'data', 'downloads', d.id))).toEqual([]);
    await expect(stat(join(dir, 'data', 'models', 'acme--Tiny-GGUF', 'tiny.Q4_K_M.gguf'))).rejects.toMatchObject({ code: 'ENOENT' });
    hub.clearFaults();
    await host.call('downloads.resume', { id: d.id });
    const done = await until((x) => x.state === 'done');
    expect((await host.call('models.list')).find((m) => m.id === done.modelId)?.sha256).toBe(sha(q4));
  });

  it('a gated repo answers 401 (DOWNLOAD_UNAUTHORIZED) until a token is set, which goes to the hub and never to the CDN', async () => {
    const { host, until } = await open();
    await expectCode(host.call('hub.files', { repo: 'corp/Gated-GGUF' }), 'DOWNLOAD_UNAUTHORIZED');
    await expectCode(host.call('downloads.start', { repo: 'corp/Gated-GGUF' }), 'DOWNLOAD_UNAUTHORIZED');
    await expectCode(host.call('hub.configure', { token: 'has spaces' }), 'BAD_REQUEST');
    const cfg = await host.call('hub.configure', { token: hub.token });
    expect(cfg).toEqual({ endpoint: hub.endpoint, endpointSource: 'environment', hasToken: true, tokenSource: 'setting' });
    expect(JSON.stringify(await host.call('hub.config'))).not.toContain(hub.token);
    expect((await stat(join(dir, 'data', 'hub.json'))).mode & 0o777).toBe(0o600);
    expect(await host.call('hub.files', { repo: 'corp/Gated-GGUF' })).toHaveLength(1);
    await host.call('downloads.start', { repo: 'corp/Gated-GGUF' });
    const done = await until((x) => x.state === 'done');
    expect((await host.call('models.list')).find((m) => m.id === done.modelId)?.sha256).toBe(sha(gatedModel));
    expect(hub.requests.filter((r) => r.server === 'hub' && r.url.includes('/resolve/')).every((r) => r.authorization === `Bearer ${hub.token}`)).toBe(true);
    expect(cdnGets('gated').map((g) => g.authorization)).toEqual([null]);
  });

  it('a restart between attempts: a new host on the same data folder resumes from the bytes on disk', async () => {
    const first = await open();
    hub.fault('tiny.Q4_K_M.gguf', { kind: 'trickle', afterBytes: 77_777 });
    const d = await first.host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'Q4_K_M' });
    await hub.holding('tiny.Q4_K_M.gguf');
    await first.until((x) => x.receivedBytes === 77_777);
    await first.host.close();
    hub.release('tiny.Q4_K_M.gguf');
    const second = await open();
    const done = await second.until((x) => x.id === d.id && x.state === 'done');
    expect(cdnGets('q4').map((g) => g.range)).toEqual([null, 'bytes=77777-']);
    expect((await second.host.call('models.list')).find((m) => m.id === done.modelId)?.sha256).toBe(sha(q4));
  });

  it('checks the free disk before starting (DOWNLOAD_NO_SPACE, nothing stored) and again when a paused download resumes', async () => {
    const { host, until } = await open();
    free = 1000;
    await expect(host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'Q8_0' })).rejects.toMatchObject({
      code: 'DOWNLOAD_NO_SPACE', details: { neededBytes: q8.length, freeBytes: 1000 },
    });
    expect(await host.call('downloads.list')).toEqual([]);
    expect(hub.requests.filter((r) => r.server === 'cdn')).toEqual([]);

    free = Number.MAX_SAFE_INTEGER;
    hub.fault('tiny.Q4_K_M.gguf', { kind: 'trickle', afterBytes: 10_000 });
    const d = await host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'Q4_K_M' });
    await hub.holding('tiny.Q4_K_M.gguf');
    await until((x) => x.receivedBytes === 10_000);
    await host.call('downloads.pause', { id: d.id });
    hub.release('tiny.Q4_K_M.gguf');
    free = 5000; // the disk filled up meanwhile
    await expectCode(host.call('downloads.resume', { id: d.id }), 'DOWNLOAD_NO_SPACE');
    expect((await host.call('downloads.list'))[0]).toMatchObject({ state: 'error', receivedBytes: 10_000, error: { code: 'DOWNLOAD_NO_SPACE' } });
    free = Number.MAX_SAFE_INTEGER;
    await host.call('downloads.resume', { id: d.id });
    await until((x) => x.state === 'done');
    expect(cdnGets('q4').map((g) => g.range)).toEqual([null, 'bytes=10000-']);
  });

  it('a split GGUF downloads every part, checks each and registers one model at its first part', async () => {
    const { host, until } = await open();
    const d = await host.call('downloads.start', { repo: 'acme/Big-GGUF' });
    expect(d).toMatchObject({ parts: 3, totalBytes: 290_000, file: 'big-Q4_K_M-00001-of-00003.gguf' });
    const done = await until((x) => x.state === 'done');
    const models = (await host.call('models.list')).filter((m) => !m.bundled);
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ id: done.modelId, path: join(dir, 'data', 'models', 'acme--Big-GGUF', 'big-Q4_K_M-00001-of-00003.gguf') });
    const folder = join(dir, 'data', 'models', 'acme--Big-GGUF');
    expect((await readdir(folder)).sort()).toEqual(['big-Q4_K_M-00001-of-00003.gguf', 'big-Q4_K_M-00002-of-00003.gguf', 'big-Q4_K_M-00003-of-00003.gguf']);
    for (let i = 0; i < 3; i++) expect(sha(await readFile(join(folder, `big-Q4_K_M-0000${i + 1}-of-00003.gguf`)))).toBe(sha(parts[i]!));
  });

  it('cancel stops a transfer and deletes its partial bytes; the download is forgotten', async () => {
    const { host, until } = await open();
    hub.fault('tiny.Q4_K_M.gguf', { kind: 'trickle', afterBytes: 5_000 });
    const d = await host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'Q4_K_M' });
    await hub.holding('tiny.Q4_K_M.gguf');
    await until((x) => x.receivedBytes === 5_000);
    await host.call('downloads.cancel', { id: d.id });
    await until((x) => x.state === 'cancelled');
    expect(await host.call('downloads.list')).toEqual([]);
    await expect(stat(join(dir, 'data', 'downloads', d.id))).rejects.toMatchObject({ code: 'ENOENT' });
    await expectCode(host.call('downloads.resume', { id: d.id }), 'DOWNLOAD_NOT_FOUND');
    expect((await host.call('models.list')).filter((m) => !m.bundled)).toEqual([]);
  });

  it('a network failure that retries cannot get past stops with DOWNLOAD_NETWORK, keeping the bytes', async () => {
    const { host, until } = await open({ maxRetries: 1 });
    hub.fault('tiny.Q4_K_M.gguf', { kind: 'trickle', afterBytes: 1_000 });
    const d = await host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'Q4_K_M' });
    await hub.holding('tiny.Q4_K_M.gguf');
    await until((x) => x.receivedBytes === 1_000);
    // Closing the hub drops the held connection and makes every retry fail to connect.
    await hub.close();
    const failed = await until((x) => x.id === d.id && x.state === 'error');
    expect(failed.error?.code).toBe('DOWNLOAD_NETWORK');
    expect(failed.receivedBytes).toBe(1_000);
    expect((await stat(join(dir, 'data', 'downloads', d.id, 'tiny.Q4_K_M.gguf.part'))).size).toBe(1_000);
    hub = await startFakeHub({ repos: [] }); // afterEach closes this one
  });
});

describe('stored state', () => {
  it('a downloads.json whose folder would leave the data folder is set aside with a notice, not used', async () => {
    await writeFile(join(dir, 'data', 'downloads.json'), JSON.stringify({ downloads: [{
      id: '0123456789abcdef', repo: 'a/b', file: 'x.gguf', url: 'http://127.0.0.1:1/a/b/resolve/main/x.gguf', state: 'paused',
      parts: [{ path: 'x.gguf', url: 'http://127.0.0.1:1/a/b/resolve/main/x.gguf', sizeBytes: 1, sha256: null, etag: null, done: false }],
      folder: '../../escape', modelId: null, error: null, createdAt: '2026-01-01T00:00:00.000Z',
    }] }));
    const { host } = await open();
    expect(await host.call('downloads.list')).toEqual([]);
    expect((await host.call('system.notices')).some((n) => n.message.includes('downloads.json'))).toBe(true);
  });
});
