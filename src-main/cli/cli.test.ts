import { describe, expect, it } from 'vitest';
import { makeLedger } from '../common/ledger';
import { parseArgs } from './cli';
import { humanCount, ledgerLine } from './format';

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
});
