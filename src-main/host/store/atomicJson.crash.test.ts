/**
 * A crash between writing the temp file and renaming it: the rename is made to never return, which is what a
 * process that died at that moment looks like from the file system (the temp file complete, the rename not done).
 */
import * as fsp from 'node:fs/promises';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Store } from './Store';

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, rename: vi.fn(real.rename) };
});

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'reckon-crash-')); });
afterEach(async () => {
  vi.mocked(fsp.rename).mockClear();
  await rm(dir, { recursive: true, force: true });
});

describe('atomic writes and crashes', () => {
  it('a crash between the temp file and the rename leaves the old file, and the next start reads it', async () => {
    const s = await Store.open(dir);
    const now = new Date().toISOString();
    const conv = { id: 'c1', title: 'old', createdAt: now, updatedAt: now, messageCount: 0, messages: [] };
    await s.writeConversation(conv);

    let reachedRename!: () => void;
    const atRename = new Promise<void>((r) => { reachedRename = r; });
    // The process "dies" at the rename: it never happens and never returns.
    vi.mocked(fsp.rename).mockImplementationOnce(() => {
      reachedRename();
      return new Promise<void>(() => undefined);
    });
    void s.writeConversation({ ...conv, title: 'new' });
    await atRename;

    const folder = join(dir, 'conversations');
    const names = await readdir(folder);
    const temps = names.filter((n) => n.startsWith('.c1.json.') && n.endsWith('.tmp'));
    expect(temps).toHaveLength(1);
    // The new version was complete in the temp file; the target still holds the old one.
    expect(JSON.parse(await readFile(join(folder, temps[0]!), 'utf8'))).toMatchObject({ title: 'new' });
    expect(JSON.parse(await readFile(join(folder, 'c1.json'), 'utf8'))).toMatchObject({ title: 'old' });

    // A fresh start (another Store on the same folder) lists the old conversation and ignores the stray temp file.
    const after = await Store.open(dir);
    expect((await after.readAllConversations()).map((c) => c.title)).toEqual(['old']);
    expect(after.notices()).toEqual([]);
  });
});
