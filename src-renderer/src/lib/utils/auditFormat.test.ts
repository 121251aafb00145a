import { describe, expect, it } from 'vitest';
import { makeLedger } from '$common/ledger';
import { checkInfo, countRows, exportFilename, exportJson, formatProbability, groupChecks, shortHex, verdictView } from './auditFormat';

const counts = { thinking: 40, overhead: { probe: 0, trial: 3, draft: 0, distill: 0 }, hidden: 43 };

describe('audit formatting', () => {
  it('formats detection probabilities without rounding up to certainty', () => {
    expect(formatProbability(0.99123)).toBe('99.1 %');
    expect(formatProbability(0.9999)).toBe('> 99.9 %');
    expect(formatProbability(1)).toBe('100 %');
    expect(formatProbability(0.5)).toBe('50 %');
    expect(formatProbability(0.0001)).toBe('< 0.1 %');
    expect(formatProbability(0)).toBe('0 %');
    expect(formatProbability(Number.NaN)).toBe('–');
  });

  it('states the verdict and how sure it is from the sample size', () => {
    const pass = verdictView({ ok: true, checks: [{ name: 'proofs', passed: true, detail: '' }], sampleSize: 45, confidence: { inflation: 0.1, probability: 0.99127 }, treeSize: 300 });
    expect(pass.headline).toBe('Pass: the receipt verifies');
    expect(pass.confidence).toBe('45 opened leaves catch an inflation of 10 % of the hidden count with 99.1 % probability.');
    const fail = verdictView({
      ok: false,
      checks: [{ name: 'receipt', passed: false, detail: 'bad signature' }, { name: 'block-relevance', passed: false, detail: '' }, { name: 'model', passed: true, detail: '' }],
      sampleSize: 0, confidence: { inflation: 0.1, probability: 0 }, treeSize: null,
    });
    expect(fail.headline).toBe('Fail: 2 checks failed');
    expect(fail.failed).toEqual(['Signature and counts', 'Block relevance']);
    expect(fail.confidence).toMatch(/before sampling/);
    expect(verdictView({ ok: true, checks: [], sampleSize: 0, confidence: { inflation: 0.1, probability: 0 }, treeSize: 0 }).confidence).toMatch(/nothing to inflate/);
  });

  it('labels and groups every check the auditor emits, unknown ones too', () => {
    const names = ['receipt', 'model', 'block-count', 'response-binding', 'proofs', 'block-records', 'leaf-structure', 'token-embedding', 'block-sketch', 'filler', 'token-block-consistency', 'block-relevance', 'duplicate-block', 'semantic-summary', 'new-check'];
    const groups = groupChecks(names.map((name) => ({ name, passed: true, detail: name })));
    expect(groups.map((g) => g.group)).toEqual(['commitment', 'sample', 'semantic']);
    expect(groups.flatMap((g) => g.checks).length).toBe(names.length);
    expect(groups[0]!.checks.map((c) => c.name)).toEqual(['receipt', 'model', 'block-count']);
    expect(groups[2]!.checks.map((c) => c.label)).toEqual(['Filler', 'Token in block', 'Block relevance', 'Duplicates', 'Semantic summary']);
    expect(checkInfo('proofs').label).toBe('Inclusion proofs');
    expect(checkInfo('new-check')).toMatchObject({ label: 'New check', group: 'sample' });
  });

  it('compares the receipt counts with the ledger by kind', () => {
    const ledger = makeLedger({ visible: 5, thinking: 40, prompt: 20, cached: 0, overhead: { trial: 3 } });
    const { rows, total } = countRows(counts, ledger);
    expect(rows.map((r) => r.kind)).toEqual(['thinking', 'trial']);
    expect(rows.every((r) => r.match === true)).toBe(true);
    expect(total).toEqual({ kind: 'hidden', receipt: 43, ledger: 43, match: true });
    const off = countRows(counts, makeLedger({ visible: 5, thinking: 41, prompt: 20, cached: 0 }));
    expect(off.rows.find((r) => r.kind === 'thinking')!.match).toBe(false);
    expect(off.rows.find((r) => r.kind === 'trial')).toMatchObject({ receipt: 3, ledger: 0, match: false });
    expect(off.total.match).toBe(false);
    expect(countRows(counts, undefined).total).toEqual({ kind: 'hidden', receipt: 43, ledger: null, match: null });
  });

  it('names and serialises the export', () => {
    expect(exportFilename({ messageId: 'abc-123' }, false)).toBe('reckon-receipt-abc-123.json');
    expect(exportFilename({ messageId: '../x' }, true)).toBe('reckon-receipt-x-with-store.json');
    expect(JSON.parse(exportJson({ messageId: 'm' } as never))).toEqual({ messageId: 'm' });
    expect(shortHex('ab'.repeat(32))).toBe('abababababababab…');
    expect(shortHex('abcd')).toBe('abcd');
  });
});
