/** What every campaign shares: its seeded random source and its command line (`--name value` flags, `--out DIR`). */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mulberry32 } from '../../src-main/common/probe/rng';

/** A seeded uniform [0, 1) source (common/probe/rng.ts's mulberry32): the same seed gives the same campaign. */
export function seeded(seed: number): () => number {
  return mulberry32(seed);
}

/** True when the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function isMain(moduleUrl: string): boolean {
  return moduleUrl === pathToFileURL(process.argv[1] ?? '').href;
}

/** The value after `--name` on the command line, or undefined. */
export function cliArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The folder for a campaign's results: `--out DIR` (created), else a fresh temp folder named after the campaign. */
export async function campaignOutDir(campaign: string): Promise<string> {
  const given = cliArg('out');
  const out = resolve(given ?? (await mkdtemp(join(tmpdir(), `reckon-soak-${campaign}-out-`))));
  await mkdir(out, { recursive: true });
  return out;
}
