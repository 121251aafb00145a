/** Where the tools write their reports: never into the install folder unless asked (`--out`). */
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ReckonError } from '../src-main/common/errors';
import { defaultUserDataDir } from '../src-main/host/paths';

/**
 * The folder a report goes to: `out` when given (resolved against the current directory), else
 * `<data folder>/reports/<kind>-<UTC time>/` ($RECKON_HOME, default ~/.config/reckon), which is writable in a
 * packaged app and keeps a checkout clean.
 */
export function reportDir(kind: string, out?: string, now: Date = new Date()): string {
  if (out !== undefined) {
    if (out.trim() === '') throw new ReckonError('BAD_REQUEST', '--out needs a folder.');
    return resolve(out);
  }
  // 2026-11-23T05-12-53Z: sortable, and valid in file names on every OS (no ':').
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return join(defaultUserDataDir(), 'reports', `${kind}-${stamp}`);
}

/** `p` relative to `root` when it lies inside it (a report names files, not the machine it ran on); else as given. */
export function displayPath(p: string, root: string): string {
  if (!isAbsolute(p)) return p;
  const rel = relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : p;
}
