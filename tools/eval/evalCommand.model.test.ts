/** `reckon eval` end to end on the bundled model (host -> engine process), 1 thread; moved from the controller's model test. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evalCommand } from './evalCommand';

const bundled = resolve(__dirname, '../../models/reckon-arith.gguf');
const tmp = mkdtempSync(join(tmpdir(), 'reckon-evalcmd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('eval harness', () => {
  it('runs a 3-question set and writes a report and a plot into --out', async () => {
    if (!existsSync(bundled)) throw new Error(`The bundled model is missing: ${bundled}`);
    const set = join(tmp, 'set.jsonl');
    writeFileSync(set, ['What is 37+48?|85|add1-3', 'What is 12+7?|19|add1-3', 'What is 4821+3977?|8798|add4-5']
      .map((l) => { const [question, answer, tier] = l.split('|'); return JSON.stringify({ question, answer, tier }); }).join('\n'));
    const out = join(tmp, 'eval');
    const code = await evalCommand({ set, strategy: 'long,early-exit', n: 5, json: true, outDir: out, threads: 1, modelPath: bundled });
    expect(code).toBe(0);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/long CoT/);
    expect(report).toMatch(/sha256/);
    expect(readFileSync(join(out, 'pareto.svg'), 'utf8')).toMatch(/^<svg/);
  }, 120_000);
});
