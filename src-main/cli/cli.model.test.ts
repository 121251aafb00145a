/**
 * The CLI end to end (bin/reckon.mjs -> out/main/cli.js -> host -> engine process). Build first:
 * `npx electron-vite build`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerAddsUp, type Ledger } from '../common/ledger';
import { repoRoot } from '../host/paths';

let home: string;
const root = repoRoot();

beforeAll(async () => {
  for (const f of ['cli.js', 'engine.js']) {
    if (!existsSync(join(root, 'out', 'main', f))) throw new Error(`out/main/${f} is missing: run \`npx electron-vite build\` first.`);
  }
  home = await mkdtemp(join(tmpdir(), 'reckon-cli-'));
  await writeFile(join(home, 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu' }));
});
afterAll(async () => { if (home) await rm(home, { recursive: true, force: true }); });

function reckon(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'reckon.mjs'), ...args], {
    cwd: root, env: { ...process.env, RECKON_HOME: home }, encoding: 'utf8', timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('reckon ask --json', () => {
  it('prints one JSON object whose ledger adds up (fixture by path)', () => {
    const r = reckon(['ask', 'Once upon a time', '--model', '../shared/fixtures/gguf/stories260K.gguf', '--json', '--max-tokens', '32']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!) as { answer: string; thinking: string; model: string; backend: string; backendLabel: string; ledger: Ledger; reliability: unknown };
    // the documented fields (README); the controller and receipts add more (difficulty, plan, receipt...)
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['answer', 'backend', 'ledger', 'model', 'thinking']));
    expect(out.answer.length).toBeGreaterThan(0);
    expect(out.model).toMatch(/^[0-9a-f]{16}$/);
    expect(out.backend).toBe('cpu');
    expect(out.backendLabel).toBe('cpu');
    expect(ledgerAddsUp(out.ledger)).toBe(true);
    expect(out.ledger.visible).toBeGreaterThan(0);
    expect(out.ledger.visible + out.ledger.thinking).toBeLessThanOrEqual(32);
    expect(out.ledger.prompt + out.ledger.cached).toBeGreaterThan(0);
    // a controlled turn (the host's default strategy is auto): the reliability signal is part of the object
    expect(out.reliability).toMatchObject({ level: expect.stringMatching(/^(reliable|unsure)$/), reasons: expect.any(Array) });
  });

  it('fails with {error:{code,message}} and a non-zero exit code', async () => {
    const missing = reckon(['ask', 'hi', '--model', '/nonexistent/x.gguf', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout.trim())).toMatchObject({ error: { code: 'MODEL_NOT_FOUND', message: expect.any(String) } });
    const bogus = join(home, 'bogus.gguf');
    await writeFile(bogus, 'this is not a gguf file at all');
    const bad = reckon(['ask', 'hi', '--model', bogus, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout.trim()).error.code).toMatch(/^GGUF_/);
  });
});
