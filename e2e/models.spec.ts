import { expect, test } from '@playwright/test';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openApp } from './helpers';
import { repoRoot } from './server';

test('a bad .gguf shows the stable error; a good one is listed with its badges and can be removed', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'reckon-e2e-bad-'));
  const bad = join(dir, 'not-a-model.gguf');
  writeFileSync(bad, 'this is not a gguf file at all, just text'.repeat(10));

  await openApp(page);
  await page.getByTestId('model-picker').click();
  const panel = page.getByTestId('model-panel');
  await expect(panel).toBeVisible();

  await page.getByTestId('model-import-path').fill(bad);
  await page.getByTestId('model-import-submit').click();
  const err = page.getByTestId('model-import-error');
  await expect(err).toBeVisible();
  await expect(err).toHaveAttribute('data-code', 'GGUF_INVALID');
  await expect(err).toContainText('That file is not a GGUF model.');

  const fixture = resolve(repoRoot, '../shared/fixtures/gguf/stories260K.gguf');
  await page.getByTestId('model-import-path').fill(fixture);
  await expect(err).toHaveCount(0);
  await page.getByTestId('model-import-submit').click();
  const row = panel.getByTestId('model-row').filter({ hasText: 'llama' }).filter({ hasNot: page.getByText('bundled') });
  await expect(row.first()).toBeVisible();
  await expect(row.first()).toContainText('llama');
  // file size and the estimated memory: the weights, a KV cache from the header's dims, 512 MiB head-room
  await expect(row.first().getByTestId('model-size')).toHaveText(/^\d+(\.\d+)? (KB|MB)$/);
  await expect(row.first().getByTestId('model-memory')).toHaveText(/^· ~\d+(\.\d+)? MB memory$/);
  const memory = Number(await row.first().getByTestId('model-memory').getAttribute('data-bytes'));
  expect(memory).toBeGreaterThan(statSync(fixture).size + 512 * 1024 ** 2);
  await expect(row.first().getByTestId('model-memory')).toHaveAttribute('title', /KV cache of 4 sequences of [\d,]+ tokens/);

  await row.first().getByTestId('model-remove').click();
  await row.first().getByTestId('model-remove-yes').click();
  await expect(row).toHaveCount(0);
});
