/**
 * Downloads against the real engine (build first: `npx electron-vite build`): the bundled model's bytes pulled
 * from the fake hub are inspected by the engine, registered and chatted with; `reckon pull` (the built CLI, its own
 * process) pulls a fixture with its progress line and registers it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadInfo } from '../../common/downloads';
import type { TurnEvent } from '../../common/events';
import { createHost, engineEntryPath, repoRoot, type Host } from '../index';
import { startFakeHub, type FakeHub } from '../testing/fakeHub';

const root = repoRoot();
let dir: string;
let hub: FakeHub;
let arith: Buffer;

beforeAll(async () => {
  if (!existsSync(engineEntryPath())) throw new Error(`${engineEntryPath()} is missing: run \`npx electron-vite build\` first.`);
  dir = await mkdtemp(join(tmpdir(), 'reckon-pull-'));
  arith = await readFile(join(root, 'models', 'reckon-arith.gguf'));
  const stories = await readFile(resolve(root, '../shared/fixtures/gguf/stories260K.gguf'));
  hub = await startFakeHub({
    repos: [
      { id: 'reckon/Arith-GGUF', files: { 'reckon-arith.Q8_0.gguf': arith, 'README.md': Buffer.from('# arith') } },
      { id: 'karpathy/stories-GGUF', files: { 'stories260K.F32.gguf': stories } },
    ],
  });
});
afterAll(async () => {
  await hub?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('model downloads (real engine)', () => {
  it('pulls the bundled model from the hub, registers what the engine inspected and chats with it', async () => {
    const data = join(dir, 'host');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu', temperature: 0 }));
    await mkdir(join(dir, 'no-bundled'), { recursive: true });
    const host: Host = await createHost({ userDataDir: data, modelsDir: join(dir, 'no-bundled'), shell: 'cli', hub: { endpoint: hub.endpoint } });
    try {
      expect(await host.call('models.list')).toEqual([]);
      const events: TurnEvent[] = [];
      let finished!: (d: DownloadInfo) => void;
      const done = new Promise<DownloadInfo>((r) => { finished = r; });
      host.onTurnEvent((e) => {
        events.push(e);
        if (e.type === 'download' && (e.download.state === 'done' || e.download.state === 'error')) finished(e.download);
      });
      await host.call('downloads.start', { repo: 'reckon/Arith-GGUF', file: 'Q8_0' });
      const d = await done;
      expect(d.error).toBeNull();
      const [model] = await host.call('models.list');
      expect(model).toMatchObject({ id: d.modelId, bundled: false, architecture: 'llama', sha256: hub.sha256('reckon/Arith-GGUF', 'reckon-arith.Q8_0.gguf') });
      expect(model!.path.startsWith(join(data, 'models'))).toBe(true);

      const turn = await host.call('chat.send', { text: 'What is 37+48?', modelId: model!.id, strategy: 'long', maxTokens: 400, systemPrompt: '', seed: 1 });
      const end = await new Promise<TurnEvent>((r) => {
        const check = (): void => {
          const e = events.find((x) => x.turnId === turn.turnId && (x.type === 'done' || x.type === 'error'));
          if (e) r(e); else setTimeout(check, 50);
        };
        check();
      });
      expect(end.type).toBe('done');
      if (end.type === 'done') {
        expect(end.message.modelId).toBe(model!.id);
        expect(end.message.text).toContain('85');
      }
    } finally {
      await host.close();
    }
  });

  it('reckon pull owner/repo:quant prints progress and the registered model; pulling again is a no-op', async () => {
    const home = join(dir, 'cli');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu' }));
    const reckon = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => new Promise((res) => {
      // Not spawnSync: the fake hub answers from this process's event loop.
      const child = spawn(process.execPath, [join(root, 'bin', 'reckon.mjs'), ...args], {
        cwd: root, env: { ...process.env, RECKON_HOME: home, HF_ENDPOINT: hub.endpoint, HF_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '', stderr = '';
      child.stdout.on('data', (b: Buffer) => { stdout += b.toString('utf8'); });
      child.stderr.on('data', (b: Buffer) => { stderr += b.toString('utf8'); });
      child.on('exit', (code) => res({ code, stdout, stderr }));
    });
    const r = await reckon(['pull', 'karpathy/stories-GGUF:F32']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Pulling karpathy/stories-GGUF stories260K.F32.gguf');
    expect(r.stderr).toMatch(/1\.1 MiB \/ 1\.1 MiB \(100 %\)/);
    const m = /model ([0-9a-f]{16})/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const again = await reckon(['pull', 'karpathy/stories-GGUF:F32', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout.trim())).toMatchObject({ download: { state: 'done', modelId: m![1] }, model: { id: m![1] } });
    const list = await reckon(['models']);
    expect(list.stdout).toContain(m![1]);
    const missing = await reckon(['pull', 'karpathy/stories-GGUF:Q2_K', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout.trim())).toMatchObject({ error: { code: 'DOWNLOAD_NOT_FOUND' } });
  });
});
