import { describe, expect, it } from 'vitest';
import { textChunks } from './textChunks';

describe('textChunks', () => {
  it('joins back to the text, cuts only after line breaks, and keeps finished chunks as the text grows', () => {
    const line = 'Ones: 7 + 8 = 15, carry 1.\n';
    const text = line.repeat(40);
    const chunks = textChunks(text, 100);
    expect(chunks.join('')).toBe(text);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks.slice(0, -1)) expect(c.endsWith('\n')).toBe(true);
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeGreaterThanOrEqual(100);
    // every prefix of the growing text keeps the chunks already finished unchanged
    for (let n = 0; n <= text.length; n += 7) {
      const part = textChunks(text.slice(0, n), 100);
      expect(part.join('')).toBe(text.slice(0, n));
      expect(part.slice(0, -1)).toEqual(chunks.slice(0, part.length - 1));
    }
  });

  it('a text without line breaks is cut at a space after 8 x size, and one without spaces stays whole', () => {
    const words = 'word '.repeat(400);
    const chunks = textChunks(words, 100);
    expect(chunks.join('')).toBe(words);
    expect(chunks[0]!.length).toBe(805);
    expect(textChunks('x'.repeat(5000), 100)).toEqual(['x'.repeat(5000)]);
    expect(textChunks('')).toEqual(['']);
  });
});
