/**
 * One Reckon per data folder. Every host keeps its documents in memory (settings, the model registry, notices, the
 * conversation list) and writes them whole, so a second host on the same folder - `reckon ask` while `reckon serve`
 * runs, or beside the desktop app - would overwrite what the first acknowledged and never show what the other wrote.
 * The holder writes `host.lock` (created with O_EXCL: of two hosts starting at once exactly one gets it); a second
 * host is refused with DATA_FOLDER_IN_USE naming who holds it. A lock whose process is gone (a crash, SIGKILL) is
 * stale and taken over. So is one whose pid is alive but is another process (the pid was reused after a crash or a
 * reboot): the lock records what identifies its process beyond the pid (`processStart`), compared with what that
 * pid is now.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ReckonError } from '../../common/errors';

export const LOCK_FILE = 'host.lock';

export interface LockHolder {
  pid: number;
  shell: string;
  startedAt: string;
  /**
   * What tells this process from a later one with the same pid (processStartId); absent in locks written before
   * it was recorded, or where the system offers nothing (then the pid alone decides).
   */
  processStart?: string;
}

/**
 * An identity of the process `pid` that a later process reusing the pid does not share, or null when the system
 * tells nothing (or no such process runs). Linux: the boot id and the start time in clock ticks from
 * /proc/<pid>/stat (field 22). macOS and the BSDs: the start time `ps -o lstart=` prints (to the second).
 * Windows: null (the pid alone decides).
 */
export function processStartId(pid: number): string | null {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 2 (the command) is in parentheses and may hold spaces or ')': fields 3.. follow the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = fields[19];
      if (ticks === undefined || !/^\d+$/.test(ticks)) return null;
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      return `linux:${boot}:${ticks}`;
    } catch {
      return null;
    }
  }
  if (process.platform === 'win32') return null;
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    return out === '' ? null : `ps:${out}`;
  } catch {
    return null;
  }
}

/** Whether the lock's process still runs: its pid is alive and, where the lock recorded it, is still that process. */
function holderAlive(h: LockHolder): boolean {
  if (!alive(h.pid)) return false;
  if (h.processStart === undefined) return true;
  const now = processStartId(h.pid);
  // Nothing to compare with (the process just ended, or the system tells nothing now): trust the pid.
  return now === null || now === h.processStart;
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
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return null;
    return { pid: v.pid, shell: String(v.shell ?? '?'), startedAt: String(v.startedAt ?? '?'), ...(typeof v.processStart === 'string' ? { processStart: v.processStart } : {}) };
  } catch {
    return null;
  }
}

const shellName = (shell: string): string => (shell === 'browser' ? '`reckon serve`' : shell === 'electron' ? 'the Reckon desktop app' : 'another `reckon` command');

/** Takes the data folder's lock for this process, or throws DATA_FOLDER_IN_USE. `shell`: who holds it (for the message). */
export async function lockDataFolder(dir: string, shell: string): Promise<FolderLock> {
  const path = join(dir, LOCK_FILE);
  const start = processStartId(process.pid);
  const me: LockHolder = { pid: process.pid, shell, startedAt: new Date().toISOString(), ...(start !== null ? { processStart: start } : {}) };
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
    // A holder still being written reads as null for a moment: only a lock that parses and names a process that is
    // gone (or whose pid is now another process's) is stale.
    if (holder !== null && holderAlive(holder)) {
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
