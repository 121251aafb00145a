import { describe, expect, it } from 'vitest';
import { markdownToHtml as renderMarkdown } from './markdown';

// The marked stage is tested here; DOMPurify itself is exercised in real Chromium by e2e/sanitize.spec.ts.

describe('renderMarkdown', () => {
  it('never turns script tags, event handlers or javascript: links into markup', () => {
    const html = renderMarkdown('hi <script>alert(1)</script> <img src=x onerror="alert(2)"> [a](javascript:alert(3))');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<[^>]*\sonerror=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it('shows raw HTML as text instead of interpreting it', () => {
    const html = renderMarkdown('<b onclick="x()">bold</b>');
    expect(html).toContain('&lt;b');
    expect(html).not.toMatch(/<b[\s>]/);
  });

  it('highlights fenced code and adds a copy button', () => {
    const html = renderMarkdown('```js\nconst a = 1;\n```');
    expect(html).toContain('class="code-block"');
    expect(html).toContain('data-copy-code');
    expect(html).toContain('hljs-keyword');
  });

  it('renders inline and display math with KaTeX', () => {
    const html = renderMarkdown('Inline $a^2+b^2$ and\n\n$$\\frac{1}{2}$$\n');
    expect(html).toContain('class="katex"');
    expect(html).toContain('katex-display');
  });

  it('drops images (offline app, no remote loads)', () => {
    const html = renderMarkdown('![alt text](https://example.com/x.png)');
    expect(html).not.toContain('<img');
    expect(html).toContain('alt text');
  });

  it('leaves prices alone', () => {
    const html = renderMarkdown('It costs $5 and $6.');
    expect(html).not.toContain('katex');
    expect(html).toContain('$5 and $6');
  });

  it('keeps http links and drops other schemes', () => {
    const html = renderMarkdown('[x](https://example.com) [y](file:///etc/passwd)');
    expect(html).toContain('<a href="https://example.com">x</a>');
    expect(html).not.toContain('file:');
  });
});
