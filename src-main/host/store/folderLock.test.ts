import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHost } from '../index';
import { fakeEngine } from '../testing/fakeEngine';
import { LOCK_FILE, lockDataFolder, processStartId } from './folderLock';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'reckon-lock-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

/** The pid of a process that has ended (a child that ran and exited). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('data folder lock', () => {
  it('a second holder is refused with DATA_FOLDER_IN_USE naming the first; released, the folder can be taken again', async () => {
    const first = await lockDataFolder(dir, 'browser');
    await expect(lockDataFolder(dir, 'cli')).rejects.toMatchObject({ code: 'DATA_FOLDER_IN_USE', message: expect.stringContaining(`\`reckon serve\` (pid ${process.pid}`) as string });
    await first.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const second = await lockDataFolder(dir, 'cli');
    await second.release();
  });

  it('of two hosts starting at once on one folder exactly one opens it', async () => {
    const results = await Promise.allSettled([lockDataFolder(dir, 'cli'), lockDataFolder(dir, 'cli')]);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((x) => x.status === 'rejected')).toMatchObject({ reason: { code: 'DATA_FOLDER_IN_USE' } });
  });

  it('a lock left by a process that has ended is taken over', async () => {
    const pid = deadPid();
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid, shell: 'browser', startedAt: '2026-01-01T00:00:00.000Z' }));
    const lock = await lockDataFolder(dir, 'cli');
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, shell: 'cli' });
    await lock.release();
  });

  // Where the system tells a process's start (Linux, macOS, BSD); elsewhere the pid alone decides.
  it.runIf(processStartId(process.pid) !== null)('a lock whose pid is alive but is another process (pid reuse) is taken over', async () => {
    // this test process's pid, but not this process: what a lock left by a crash looks like once its pid is reused
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, shell: 'browser', startedAt: '2026-01-01T00:00:00.000Z', processStart: `${processStartId(process.pid)!}-before` }));
    const lock = await lockDataFolder(dir, 'cli');
    const now = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as Record<string, unknown>;
    expect(now).toMatchObject({ pid: process.pid, shell: 'cli', processStart: processStartId(process.pid) });
    await lock.release();
  });

  it.runIf(processStartId(process.pid) !== null)('a live holder, recorded as itself, is still refused and its lock kept', async () => {
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const pid = holder.pid!;
      const lockText = JSON.stringify({ pid, shell: 'electron', startedAt: '2026-01-01T00:00:00.000Z', processStart: processStartId(pid) });
      await writeFile(join(dir, LOCK_FILE), lockText);
      await expect(lockDataFolder(dir, 'cli')).rejects.toMatchObject({ code: 'DATA_FOLDER_IN_USE', message: expect.stringContaining(`the Reckon desktop app (pid ${pid}`) as string });
      expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(lockText);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('release leaves a lock another holder took over alone', async () => {
    const lock = await lockDataFolder(dir, 'cli');
    const other = JSON.stringify({ pid: process.pid, shell: 'browser', startedAt: 'later' });
    await writeFile(join(dir, LOCK_FILE), other);
    await lock.release();
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(other);
  });

  it('an exclusive host holds the lock until it closes; a second one on the folder is refused and changes nothing', async () => {
    const models = await mkdtemp(join(tmpdir(), 'reckon-lock-models-'));
    try {
      const opts = { userDataDir: dir, modelsDir: models, shell: 'browser' as const, spawnEngine: fakeEngine().spawner, exclusive: true };
      const host = await createHost(opts);
      await host.call('settings.update', { systemPrompt: 'kept' });
      const before = await readFile(join(dir, 'settings.json'), 'utf8');
      await expect(createHost({ ...opts, shell: 'cli' })).rejects.toMatchObject({ code: 'DATA_FOLDER_IN_USE' });
      expect(await readFile(join(dir, 'settings.json'), 'utf8')).toBe(before);
      // the refused host released nothing of the first one's
      expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ shell: 'browser' });
      await host.close();
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
      const again = await createHost({ ...opts, shell: 'cli' });
      expect((await again.call('settings.get')).systemPrompt).toBe('kept');
      await again.close();
    } finally {
      await rm(models, { recursive: true, force: true });
    }
  });
});
