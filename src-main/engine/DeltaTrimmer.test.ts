import { describe, expect, it } from 'vitest';
import { DeltaTrimmer } from './DeltaTrimmer';

function run(parts: string[]): string[] {
  const t = new DeltaTrimmer();
  return parts.map((p) => t.push(p));
}

describe('DeltaTrimmer', () => {
  it('streams the trimmed text as deltas', () => {
    const parts = ['\n', ' 3', '7+4', '8', '\n', '\n', '= 85', '\n'];
    expect(run(parts).join('')).toBe(parts.join('').trim());
  });
  it('keeps inner whitespace and holds trailing whitespace until more text comes', () => {
    expect(run(['a', ' ', '\n', 'b', '  '])).toEqual(['a', '', '', ' \nb', '']);
  });
  it('emits nothing for whitespace only', () => {
    expect(run([' ', '\n']).join('')).toBe('');
  });
});
