/**
 * One Reckon per data folder. Every host keeps its documents in memory (settings, the model registry, notices, the
 * conversation list) and writes them whole, so a second host on the same folder - `reckon ask` while `reckon serve`
 * runs, or beside the desktop app - would overwrite what the first acknowledged and never show what the other wrote.
 * The holder writes `host.lock` (created with O_EXCL: of two hosts starting at once exactly one gets it); a second
 * host is refused with DATA_FOLDER_IN_USE naming who holds it. A lock whose process is gone (a crash, SIGKILL) is
 * stale and taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ReckonError } from '../../common/errors';

export const LOCK_FILE = 'host.lock';

export interface LockHolder {
  pid: number;
  shell: string;
  startedAt: string;
}

export interface FolderLock {
  readonly path: string;
  /** Removes the lock file if it is still this host's. */
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else - still a holder.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<LockHolder | null> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    return typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 ? { pid: v.pid, shell: String(v.shell ?? '?'), startedAt: String(v.startedAt ?? '?') } : null;
  } catch {
    return null;
  }
}

const shellName = (shell: string): string => (shell === 'browser' ? '`reckon serve`' : shell === 'electron' ? 'the Reckon desktop app' : 'another `reckon` command');

/** Takes the data folder's lock for this process, or throws DATA_FOLDER_IN_USE. `shell`: who holds it (for the message). */
export async function lockDataFolder(dir: string, shell: string): Promise<FolderLock> {
  const path = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, shell, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(`${JSON.stringify(me)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return {
        path,
        release: async () => {
          const h = await readHolder(path);
          if (h?.pid === me.pid && h.startedAt === me.startedAt) await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new ReckonError('IO_ERROR', `Cannot create ${path}: ${(err as Error).message}`);
    }
    const holder = await readHolder(path);
    // A holder still being written reads as null for a moment: only a lock that parses and names a dead process is stale.
    if (holder !== null && alive(holder.pid)) {
      throw new ReckonError(
        'DATA_FOLDER_IN_USE',
        `The data folder ${dir} is in use by ${shellName(holder.shell)} (pid ${holder.pid}, since ${holder.startedAt}); ` +
          'two Reckons on one folder would overwrite each other. Stop it first, use its page or API, or point RECKON_HOME at another folder.',
      );
    }
    if (holder !== null) await unlink(path).catch(() => undefined);
    else await new Promise((r) => setTimeout(r, 50));
  }
  throw new ReckonError('DATA_FOLDER_IN_USE', `The data folder ${dir} is locked (${path}) and the lock could not be taken over; if no Reckon is running, remove that file.`);
}
