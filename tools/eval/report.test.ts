import { describe, expect, it } from 'vitest';
import { markdownReport } from './report';
import { probeConfusion, reasonKind, reasonRows, reliabilityRows, summarise, type EvalResult } from './runEval';

const base: Omit<EvalResult, 'config' | 'question' | 'correct'> = {
  tier: 'add1-3', expected: '5', answer: '', billed: 100, thinking: 60, overhead: 0, sequential: 100, latencyTokens: 100,
  ms: 10, difficulty: null, earlyExit: false, group: 'plain', effortLevel: null, unsure: null, reasons: [],
};
const r = (config: string, question: string, correct: boolean, more: Partial<EvalResult> = {}): EvalResult => ({ ...base, config, question, correct, ...more });

describe('eval report', () => {
  const results: EvalResult[] = [
    r('long CoT', 'q1', true), r('long CoT', 'q2', false), r('long CoT', 'q3', true, { group: 'phrasing' }), r('long CoT', 'q4', false, { group: 'phrasing' }),
    r('Auto', 'q1', true, { difficulty: 'easy', effortLevel: 'low', unsure: false }),
    r('Auto', 'q2', false, { difficulty: 'easy', effortLevel: 'low', unsure: true, reasons: ['a step of the thinking does not hold: 3+4=8', 'the thinking never uses 48 from the question'] }),
    r('Auto', 'q3', true, { difficulty: 'hard', effortLevel: 'high', unsure: true, group: 'phrasing', reasons: ['a step of the thinking does not hold: 2*6=10'] }),
    r('Auto', 'q4', false, { difficulty: 'hard', effortLevel: 'high', unsure: false, group: 'phrasing' }),
  ];

  it('the unsure flag: share of wrong and of right answers marked, and precision, over turns with a signal', () => {
    expect(reliabilityRows(results)).toEqual([{ config: 'Auto', n: 4, wrong: 2, right: 2, wrongFlagged: 0.5, rightFlagged: 0.5, precision: 0.5 }]);
  });

  it('counts the wrong and right answers each kind of reason marked', () => {
    expect(reasonKind('the thinking was cut at its budget (100 tokens) before it reached the answer given')).toBe('the thinking was cut at its budget before it reached the answer given');
    expect(reasonKind('the answer (1,200) is not the result its thinking stated (85)')).toBe('the answer is not the result its thinking stated');
    expect(reasonRows(results)).toEqual([
      { config: 'Auto', reason: 'a step of the thinking does not hold', wrong: 1, right: 1 },
      { config: 'Auto', reason: 'the thinking never uses N from the question', wrong: 1, right: 0 },
    ]);
    const md = markdownReport(summarise(results), { model: 'm', modelSha256: 's', setSource: 'x', questions: 4, seed: 1, threads: 1, date: 'd', plotFile: 'p.svg' }, results);
    expect(md).toContain('| Auto | a step of the thinking does not hold | 1 | 1 |');
  });

  it('the probe confusion matrix labels each question from its long-CoT run', () => {
    expect(probeConfusion(results, 'Auto')).toEqual({ easy: { easy: 1, hard: 1 }, hard: { easy: 1, hard: 1 } });
    expect(probeConfusion(results, 'long CoT')).toBeNull();
    expect(probeConfusion(results.filter((x) => x.config === 'Auto'), 'Auto')).toBeNull();
  });

  it('rows per phrasing group and per effort level used, in the summary and the report', () => {
    const rows = summarise(results);
    const get = (config: string, tier: string) => rows.find((x) => x.config === config && x.tier === tier);
    expect(get('long CoT', 'group phrasing')).toMatchObject({ n: 2, accuracy: 0.5 });
    expect(get('Auto', 'effort low')).toMatchObject({ n: 2, accuracy: 0.5 });
    expect(get('long CoT', 'effort low')).toBeUndefined();
    const md = markdownReport(rows, { model: 'm', modelSha256: 's', setSource: 'x', questions: 4, seed: 1, threads: 1, date: 'd', plotFile: 'p.svg' }, results);
    expect(md).toContain('## By phrasing group');
    expect(md).toContain('| Auto | effort high | 2 | 50.0 |');
    expect(md).toContain('| Auto | 4 | 2 | 50.0 | 50.0 | 50.0 |');
    expect(md).toContain('| easy | 1 | 1 |');
    expect(md).toContain('Auto:\n');
    // a tier section is not made of the slice rows
    expect(md).not.toContain('## Tier group');
  });

  it('one probe matrix for arms that predicted alike; the long-CoT fallback is no prediction', () => {
    const more = [...results, ...results.filter((x) => x.config === 'Auto').map((x) => ({ ...x, config: 'Auto + early exit' })),
      { ...results[0]!, config: 'long CoT', difficulty: 'normal' }];
    const md = markdownReport(summarise(more), { model: 'm', modelSha256: 's', setSource: 'x', questions: 4, seed: 1, threads: 1, date: 'd', plotFile: 'p.svg' }, more);
    expect(md).toContain('Auto, Auto + early exit:');
    expect(md.match(/\| predicted \|/g)).toHaveLength(1);
  });

  it('one phrasing group and no levels: no slice sections', () => {
    const plain = results.filter((x) => x.group === 'plain').map((x) => ({ ...x, effortLevel: null }));
    const md = markdownReport(summarise(plain), { model: 'm', modelSha256: 's', setSource: 'x', questions: 2, seed: 1, threads: 1, date: 'd', plotFile: 'p.svg' }, plain);
    expect(md).not.toContain('## By phrasing group');
    expect(md).not.toContain('## By effort level');
  });
});
