import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReckonError } from '../src-main/common/errors';
import { displayPath, reportDir } from './reportDir';

const saved = process.env['RECKON_HOME'];
afterEach(() => {
  if (saved === undefined) delete process.env['RECKON_HOME'];
  else process.env['RECKON_HOME'] = saved;
});

describe('reportDir', () => {
  it('defaults to a timestamped folder under the data folder, not the install folder', () => {
    process.env['RECKON_HOME'] = resolve('/data/reckon-home');
    const d = reportDir('eval', undefined, new Date('2026-11-23T05:12:53.255Z'));
    expect(d).toBe(join(resolve('/data/reckon-home'), 'reports', 'eval-2026-11-23T05-12-53Z'));
  });

  it('uses --out as given, resolved against the current directory', () => {
    expect(reportDir('audit', 'docs/eval')).toBe(resolve('docs/eval'));
  });

  it('rejects an empty --out with BAD_REQUEST', () => {
    const thrown = (() => { try { reportDir('eval', ' '); return null; } catch (e) { return e; } })();
    expect(thrown).toBeInstanceOf(ReckonError);
    expect((thrown as ReckonError).code).toBe('BAD_REQUEST');
  });
});

describe('displayPath', () => {
  const root = resolve('/pkg/reckon');
  it('names files inside the package relative to it', () => {
    expect(displayPath(join(root, 'models', 'golden', 'heldout.jsonl'), root)).toBe('models/golden/heldout.jsonl');
  });
  it('leaves paths outside the package and non-paths alone', () => {
    expect(displayPath(resolve('/elsewhere/set.jsonl'), root)).toBe(resolve('/elsewhere/set.jsonl'));
    expect(displayPath('generated held-out stand-in (seed 1)', root)).toBe('generated held-out stand-in (seed 1)');
  });
});
