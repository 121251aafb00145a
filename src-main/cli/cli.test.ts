import { describe, expect, it } from 'vitest';
import { makeLedger } from '../common/ledger';
import { effortFlag, main, parseArgs } from './cli';
import type { EvalCommandOptions } from './toolCommands';
import { humanCount, ledgerLine, planLine, reliabilityLine } from './format';
import { makePlan } from '../common/controller/plan';

describe('cli', () => {
  it('parses commands, value flags and booleans', () => {
    const a = parseArgs(['ask', 'What is', '37+48?', '--json', '--model=x.gguf', '--max-tokens', '9']);
    expect(a.cmd).toBe('ask');
    expect(a.positional).toEqual(['What is', '37+48?']);
    expect(a.flags.get('json')).toBe(true);
    expect(a.flags.get('model')).toBe('x.gguf');
    expect(a.flags.get('max-tokens')).toBe('9');
    expect(() => parseArgs(['ask', '--bogus'])).toThrow(/Unknown option/);
    expect(() => parseArgs(['ask', '--model'])).toThrow(/needs a value/);
  });

  it('formats the ledger line and counts', () => {
    const l = makeLedger({ visible: 3, thinking: 10, prompt: 20, cached: 5, overhead: { trial: 2 } });
    expect(ledgerLine(l)).toBe('visible 3 · thinking 10 · prompt 20 (+5 cached) · overhead 2 · billed 35 · sequential 33');
    expect(humanCount(260_000)).toBe('260K');
    expect(humanCount(null)).toBe('-');
  });

  it('--effort takes auto, a level or a fraction / percentage, and nothing else', () => {
    expect(['auto', 'low', 'Medium', 'high', '0.5', '25%', '0', '1'].map(effortFlag)).toEqual(['auto', 'low', 'medium', 'high', 0.5, 0.25, 0, 1]);
    for (const bad of ['max', '1.5', '150%', '-1', 'half', '']) expect(() => effortFlag(bad)).toThrow(/--effort must be auto, low, medium, high or a fraction/);
  });

  it('eval --effort hands the list of efforts to the eval tool; a bad one is a usage error', async () => {
    let got: EvalCommandOptions | undefined;
    const tools = { eval: (o: EvalCommandOptions): Promise<number> => { got = o; return Promise.resolve(0); } };
    expect(await main(['eval', '--effort', 'low,medium,50%', '--strategy', 'auto'], tools)).toBe(0);
    expect(got).toMatchObject({ efforts: ['low', 'medium', 0.5], strategy: 'auto' });
    got = undefined;
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(['eval', '--effort', 'low,extreme'], tools)).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(got).toBeUndefined();
  });

  it('prints the reliability signal: unsure with its reasons, or reliable', () => {
    expect(reliabilityLine({ level: 'unsure', reasons: ['the drafts disagree', 'the answer stopped at the token limit'] }))
      .toBe('unsure: the drafts disagree; the answer stopped at the token limit');
    expect(reliabilityLine({ level: 'reliable', reasons: [] })).toBe('reliable');
  });
  it('prints the plan with the effort asked and the level used', () => {
    const control = { source: 'manifest', manifest: { levels: { low: { systemLine: 'L' }, high: { systemLine: 'H' } }, default: 'high', thinkingShare: { low: 0.3, high: 1 } } } as const;
    const d = { difficulty: 'easy', probabilities: null, expectedThinkingTokens: 100, source: 'probe', probeTokens: 0 } as const;
    expect(planLine(makePlan({ difficulty: d, effort: 0.25, strategy: 'budget', control }), d)).toBe('easy · budget · effort 25% -> level low · budget 25');
    expect(planLine(makePlan({ difficulty: d, effort: 'auto', strategy: 'long' }))).toBe('long · effort auto · no budget');
  });
});
