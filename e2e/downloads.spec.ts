import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startFakeHub, type FakeHub } from '../src-main/host/testing/fakeHub';
import { SCREENSHOTS } from './helpers';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

// The Get models view against the real host (scripted engine) with a fake hub as its HF_ENDPOINT: search, a
// repo's GGUF files with quantisation and size, a download held mid-file by the hub (no timing) that the user
// pauses and resumes, the model then in the picker; a gated repo says it needs a token.
let hub: FakeHub;
let host: ScriptedHost;
const q4 = Buffer.concat([Buffer.from('GGUF'), randomBytes(300_000 - 4)]);

test.beforeEach(async () => {
  hub = await startFakeHub({
    repos: [
      { id: 'acme/Tiny-GGUF', files: { 'tiny.Q4_K_M.gguf': q4, 'tiny.Q8_0.gguf': Buffer.concat([Buffer.from('GGUF'), randomBytes(1000)]) }, downloads: 1234 },
      { id: 'corp/Tiny-Gated-GGUF', files: { 'gated.F16.gguf': Buffer.from('GGUF gated') }, gated: true },
    ],
  });
  host = await startScriptedHost(60_000, { HF_ENDPOINT: hub.endpoint, HF_TOKEN: '' });
});
test.afterEach(async () => {
  await host.close();
  await hub.close();
});

test('Get models: search, list files, download with progress, pause, resume, then pick the model', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('model-picker').click();
  await page.getByTestId('model-get-models').click();
  const view = page.getByTestId('get-models');
  await expect(view).toBeVisible();
  await expect(view.getByTestId('hub-endpoint')).toContainText(hub.endpoint);

  await view.getByTestId('hub-search-input').fill('tiny');
  await view.getByTestId('hub-search-submit').click();
  const repos = view.getByTestId('hub-repo');
  await expect(repos).toHaveCount(2);
  await expect(repos.filter({ hasText: 'corp/Tiny-Gated-GGUF' })).toContainText('gated');

  // A gated repo without a token: the view says why.
  await repos.filter({ hasText: 'corp/Tiny-Gated-GGUF' }).click();
  await expect(view.getByTestId('get-models-error')).toHaveAttribute('data-code', 'DOWNLOAD_UNAUTHORIZED');
  await view.getByTestId('hub-back').click();

  await repos.filter({ hasText: 'acme/Tiny-GGUF' }).click();
  const files = view.getByTestId('hub-file');
  await expect(files).toHaveCount(2);
  const q4Row = files.filter({ hasText: 'tiny.Q4_K_M.gguf' });
  await expect(q4Row).toContainText('Q4_K_M');
  await expect(q4Row).toContainText('293 KiB');

  hub.fault('tiny.Q4_K_M.gguf', { kind: 'trickle', afterBytes: 100_000 });
  await q4Row.getByTestId('hub-file-download').click();
  await hub.holding('tiny.Q4_K_M.gguf');
  const row = view.getByTestId('download-row');
  await expect(row).toHaveAttribute('data-state', 'downloading');
  await expect(row.getByTestId('download-progress')).toContainText('98 KiB of 293 KiB');

  await row.getByTestId('download-pause').click();
  await expect(row).toHaveAttribute('data-state', 'paused');
  await expect(row.getByTestId('download-progress')).toHaveText('98 KiB of 293 KiB · paused');
  await page.screenshot({ path: join(SCREENSHOTS, 'get-models.png') });

  hub.release('tiny.Q4_K_M.gguf');
  await row.getByTestId('download-resume').click();
  await expect(row).toHaveAttribute('data-state', 'done');
  await expect(row.getByTestId('download-progress')).toHaveText('293 KiB of 293 KiB · done');
  expect(hub.requests.filter((r) => r.server === 'cdn').map((r) => r.range)).toEqual([null, 'bytes=100000-']);

  await page.keyboard.press('Escape');
  await page.getByTestId('model-picker').click();
  await expect(page.getByTestId('model-panel')).toContainText('tiny.Q4_K_M');
});

test('browser mode: a .gguf uploaded by the file picker or dropped on the models panel is imported', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('model-picker').click();
  const panel = page.getByTestId('model-panel');
  await page.getByTestId('model-upload-input').setInputFiles({ name: 'picked-model.gguf', mimeType: 'application/octet-stream', buffer: Buffer.concat([Buffer.from('GGUF'), randomBytes(200_000)]) });
  await expect(panel.getByRole('option').filter({ hasText: 'picked-model' })).toHaveCount(1);

  const dropped = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new TextEncoder().encode('GGUF dropped stand-in bytes')], 'dropped-model.gguf'));
    return dt;
  });
  await panel.dispatchEvent('dragover', { dataTransfer: dropped });
  await panel.dispatchEvent('drop', { dataTransfer: dropped });
  await expect(panel.getByRole('option').filter({ hasText: 'dropped-model' })).toHaveCount(1);

  // Not a model: the engine's code is shown and nothing is added.
  await page.getByTestId('model-upload-input').setInputFiles({ name: 'notes.gguf', mimeType: 'text/plain', buffer: Buffer.from('just some notes') });
  await expect(panel.getByTestId('model-import-error')).toHaveAttribute('data-code', 'GGUF_INVALID');
  await expect(panel.getByRole('option').filter({ hasText: 'notes' })).toHaveCount(0);
});
