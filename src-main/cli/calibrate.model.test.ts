/**
 * `reckon calibrate` end to end on the bundled model (bin/reckon.mjs -> out/main/cli.js -> host -> engine).
 * Build first: `npx electron-vite build`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeReport } from '../common/probe/types';
import { repoRoot } from '../host/paths';

let home: string;
const root = repoRoot();

beforeAll(async () => {
  for (const f of ['cli.js', 'engine.js']) {
    if (!existsSync(join(root, 'out', 'main', f))) throw new Error(`out/main/${f} is missing: run \`npx electron-vite build\` first.`);
  }
  home = await mkdtemp(join(tmpdir(), 'reckon-cal-'));
  await writeFile(join(home, 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu' }));
});
afterAll(async () => { if (home) await rm(home, { recursive: true, force: true }); });

describe('reckon calibrate', () => {
  it('calibrates the bundled model and stores probes/<sha256>.json', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'reckon.mjs'), 'calibrate', '--questions', '6', '--per-question', '2', '--json'], {
      cwd: root, env: { ...process.env, RECKON_HOME: home }, encoding: 'utf8', timeout: 170_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { modelSha256: string; source: string; report: ProbeReport };
    expect(out.source).toBe('user');
    expect(out.report).toMatchObject({ questions: 6, samplesPerQuestion: 2, mode: 'answer-key' });
    expect(out.report.confusion).toHaveLength(3);
    expect(readdirSync(join(home, 'probes'))).toContain(`${out.modelSha256}.json`);
  });

  it('Ctrl-C cancels with exit code 130', async () => {
    const child = spawn(process.execPath, [join(root, 'bin', 'reckon.mjs'), 'calibrate', '--questions', '200', '--json'], {
      cwd: root, env: { ...process.env, RECKON_HOME: home },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    await new Promise((r) => setTimeout(r, 3000));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(130);
    expect(JSON.parse(stdout.trim())).toMatchObject({ error: { code: 'TURN_ABORTED' } });
  });
});
