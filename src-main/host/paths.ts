import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the host keeps its files: $RECKON_HOME, else ~/.config/reckon. */
export function defaultUserDataDir(): string {
  const env = process.env['RECKON_HOME'];
  return env && env.trim() !== '' ? resolve(env) : join(homedir(), '.config', 'reckon');
}

function hereDir(): string {
  // Source (vitest/tsx) and the bundled out/main/*.js both live below the package root; walking up from
  // this module's own location finds it in either case, whatever the current directory is.
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return typeof __dirname === 'string' ? __dirname : process.cwd();
  }
}

function isReckonPackage(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'reckon';
  } catch {
    return false;
  }
}

/** The app version from package.json ('0.0.0' when it cannot be read). */
export function appVersion(): string {
  try {
    const v = (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

let cachedRoot: string | null = null;

/** The package root (the folder holding package.json named "reckon"): models/ and out/ are found from it. */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = hereDir();
  for (;;) {
    if (isReckonPackage(join(dir, 'package.json'))) {
      cachedRoot = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  cachedRoot = process.cwd();
  return cachedRoot;
}
