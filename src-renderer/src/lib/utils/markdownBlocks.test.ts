import { describe, expect, it } from 'vitest';
import { markdownBlocks } from './markdownBlocks';

describe('markdownBlocks', () => {
  it('cuts at blank lines and loses no character', () => {
    const src = '# Title\n\nA paragraph\nstill it.\n\n- a\n- b\n\nlast';
    const blocks = markdownBlocks(src);
    expect(blocks).toEqual(['# Title\n\n', 'A paragraph\nstill it.\n\n', '- a\n- b\n\n', 'last']);
    expect(blocks.join('')).toBe(src);
  });

  it('keeps a fenced code block with blank lines in it whole, also while it is still open', () => {
    const closed = 'intro\n\n```ts\nconst a = 1;\n\nconst b = 2;\n```\n\nafter';
    expect(markdownBlocks(closed)).toEqual(['intro\n\n', '```ts\nconst a = 1;\n\nconst b = 2;\n```\n\n', 'after']);
    const open = 'intro\n\n~~~\nx\n\ny\n';
    expect(markdownBlocks(open)).toEqual(['intro\n\n', '~~~\nx\n\ny\n']);
  });

  it('keeps a $$ math block whole', () => {
    expect(markdownBlocks('$$\na\n\nb\n$$\n\nend')).toEqual(['$$\na\n\nb\n$$\n\n', 'end']);
  });

  it('gives one block for text without blank lines, and for the empty string', () => {
    expect(markdownBlocks('one line')).toEqual(['one line']);
    expect(markdownBlocks('')).toEqual(['']);
  });

  it('a finished block stays the same string as the text grows (so it is not rendered again)', () => {
    const a = markdownBlocks('para one\n\npara tw');
    const b = markdownBlocks('para one\n\npara two and more');
    expect(b[0]).toBe(a[0]);
  });
});
