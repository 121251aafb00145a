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
  it('calibrates the bundled model, installs or keeps aside the result by the install rule, and --restore brings back the shipped probe', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'reckon.mjs'), 'calibrate', ...args, '--json'], {
      cwd: root, env: { ...process.env, RECKON_HOME: home }, encoding: 'utf8', timeout: 170_000,
    });
    const r = cli('--questions', '24', '--per-question', '2');
    expect(r.status, r.stderr).toBe(0);
    type Out = { modelSha256: string; source: string; report: ProbeReport; keptAside: { reason: string; report: ProbeReport } | null };
    const out = JSON.parse(r.stdout.trim()) as Out;
    // Which way it goes depends on the model's samples; either way the files must match the rule's verdict.
    const fresh = out.keptAside?.report ?? out.report;
    expect(fresh).toMatchObject({ questions: 24, samplesPerQuestion: 2, mode: 'answer-key' });
    expect(fresh.confusion).toHaveLength(3);
    const files = readdirSync(join(home, 'probes'));
    if (out.keptAside === null) {
      expect(out.source).toBe('user');
      expect(out.report.heldOutAccuracy).toBeGreaterThan(out.report.majorityBaseline);
      expect(files).toContain(`${out.modelSha256}.json`);
    } else {
      expect(out.source).toBe('shipped');
      expect(out.keptAside.reason).toMatch(/^kept aside: \d+ % held-out accuracy /);
      expect(files).toContain(`${out.modelSha256}.candidate.json`);
    }
    expect(cli('--questions', '12').status).toBe(1);
    const back = cli('--restore');
    expect(back.status, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout.trim())).toMatchObject({ source: 'shipped', keptAside: null });
    expect(readdirSync(join(home, 'probes')).filter((f) => f.startsWith(out.modelSha256))).toEqual([]);
  }, 540_000); // three CLI runs (calibrate, the refused set, restore), each bounded by its spawn timeout

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
