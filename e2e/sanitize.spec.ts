import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { SANITIZE_CONFIG } from '../src-renderer/src/lib/utils/sanitizeConfig';
import { repoRoot } from './server';

// DOMPurify needs a faithful DOM: run the renderer's exact configuration in real Chromium.
test('the answer sanitiser removes scripts, handlers and javascript: links', async ({ page }) => {
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ path: join(repoRoot, 'node_modules/dompurify/dist/purify.min.js') });
  const dirty = [
    '<script>alert(1)</script>',
    '<img src=x onerror="alert(2)">',
    '<a href="javascript:alert(3)">a</a>',
    '<div onclick="alert(4)">d</div>',
    '<svg><script>alert(5)</script></svg>',
    '<iframe src="https://example.com"></iframe>',
    '<div class="code-block"><button class="code-copy" data-copy-code>Copy</button></div>',
  ].join('');
  const clean = await page.evaluate(
    ([html, cfg]) => (window as unknown as { DOMPurify: { sanitize(h: string, c: unknown): string } }).DOMPurify.sanitize(html, cfg),
    [dirty, SANITIZE_CONFIG] as const,
  );
  expect(clean).not.toMatch(/<script|onerror|onclick|javascript:|<iframe|<img/i);
  expect(clean).toContain('data-copy-code');
  expect(clean).toContain('class="code-block"');
});
