import { describe, expect, it, vi } from 'vitest';
import { main } from './cli';
import type { EvalCommandOptions } from './toolCommands';

describe('reckon eval through the tools the launcher hands in', () => {
  it('passes --out and the other flags to the tools entry and returns its exit code', async () => {
    const seen: EvalCommandOptions[] = [];
    const code = await main(['eval', '--strategy', 'long', '--n', '2', '--out', 'some/dir', '--audit'], {
      eval: async (o) => { seen.push(o); return 7; },
    });
    expect(code).toBe(7);
    expect(seen).toEqual([expect.objectContaining({ strategy: 'long', n: 2, outDir: 'some/dir', audit: true })]);
  });

  it('says the command is missing from the build instead of crashing when no tools entry is given', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['eval'])).toBe(1);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/not part of this build/);
    } finally {
      err.mockRestore();
    }
  });
});
