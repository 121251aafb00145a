/**
 * The model registry against the real engine (build first: `npx electron-vite build`): bundled models are
 * registered by `inspect`, a bad file is refused with the engine's code and nothing is registered, removal
 * never deletes a file.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, engineEntryPath, repoRoot, type Host } from './index';

const fixtures = resolve(repoRoot(), '../shared/fixtures/gguf');
let dir: string;
let host: Host;

beforeAll(async () => {
  if (!existsSync(engineEntryPath())) throw new Error(`${engineEntryPath()} is missing: run \`npx electron-vite build\` first.`);
  dir = await mkdtemp(join(tmpdir(), 'reckon-models-'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu' }));
  // The shared fixtures folder stands in for the bundled models/ folder (read only: nothing is written there).
  host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: fixtures, shell: 'cli' });
});
afterAll(async () => {
  await host?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('model registry (real engine)', () => {
  it('registers bundled models, refuses a bad import, hides instead of deleting', async () => {
    const list = await host.call('models.list');
    const names = list.map((m) => m.path.split('/').pop()).sort();
    expect(names).toEqual(['llama-2-tiny-random.gguf', 'stories260K.gguf']);
    for (const m of list) {
      expect(m.bundled).toBe(true);
      expect(m.id).toMatch(/^[0-9a-f]{16}$/);
      expect(m.sha256.startsWith(m.id)).toBe(true);
      expect(m.architecture).toBe('llama');
    }

    const bad = join(dir, 'bad.gguf');
    await writeFile(bad, Buffer.from('GGUF\u0003\u0000\u0000\u0000 truncated header'));
    await expect(host.call('models.import', { path: bad })).rejects.toMatchObject({ code: expect.stringMatching(/^GGUF_/) });
    expect(await host.call('models.list')).toHaveLength(2);

    const stories = list.find((m) => m.path.endsWith('stories260K.gguf'))!;
    await host.call('models.remove', { id: stories.id });
    expect(await host.call('models.list')).toHaveLength(1);
    expect(existsSync(stories.path)).toBe(true);
  });
});
