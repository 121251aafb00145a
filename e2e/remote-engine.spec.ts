import { expect, test } from '@playwright/test';
import { startLlamaServer, type LlamaServer } from '../src-main/host/testing/llamaServer';
import { ask } from './helpers';
import { startServer, type RunningServer } from './server';

// Settings > Engine against a real `reckon serve` and a real llama-server (tools/engines/buildLlamaCpp.sh) started
// here on the bundled model: a wrong URL says ENGINE_UNREACHABLE's sentence and keeps the built-in engine; the right
// one tests (the server's model shown), applies, and the turn runs on the server with the plan chip's
// "limited on this engine" mark.
let llama: LlamaServer;
let reckon: RunningServer;
test.beforeEach(async () => {
  llama = await startLlamaServer();
  reckon = await startServer();
});
test.afterEach(async () => {
  await reckon.stop();
  await llama.kill();
});

test('Settings > Engine: a wrong URL keeps the built-in engine; a llama-server tests, applies and answers 37+48', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(reckon.url);
  await expect(page.getByTestId('composer-input')).toBeVisible();
  await page.getByTestId('open-settings').click();
  const section = page.getByTestId('settings-engine');
  await expect(section.getByTestId('engine-in-use')).toContainText('the built-in engine');
  await section.getByTestId('engine-kind-llama-server').check();

  // Nothing listens on port 9 of 127.0.0.1 (discard): refused at once.
  await section.getByTestId('engine-url').fill('http://127.0.0.1:9');
  await section.getByTestId('engine-test').click();
  await expect(section.getByTestId('engine-error')).toContainText('No llama-server answered at http://127.0.0.1:9');
  await section.getByTestId('engine-apply').click();
  await expect(section.getByTestId('engine-error')).toContainText('No llama-server answered at http://127.0.0.1:9');
  await expect(section.getByTestId('engine-in-use')).toContainText('the built-in engine');

  await section.getByTestId('engine-url').fill(llama.url);
  await section.getByTestId('engine-test').click();
  await expect(section.getByTestId('engine-test-model')).toHaveText('reckon-arith.gguf');
  await section.getByTestId('engine-apply').click();
  await expect(section.getByTestId('engine-in-use')).toContainText(`remote llama-server at ${llama.url}`);
  await page.getByTestId('settings-dialog').getByRole('button', { name: 'Close' }).click();

  await ask(page, 'What is 37+48?');
  const answer = page.getByTestId('message-assistant').last();
  await expect(answer).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  await expect(answer.getByTestId('answer')).toContainText('85');
  const mark = answer.getByTestId('turn-degraded');
  await expect(mark).toHaveText('limited on this engine');
  expect((await mark.getAttribute('data-reasons'))?.length ?? 0).toBeGreaterThan(0);

  await page.getByTestId('status-chip').click();
  await expect(page.getByTestId('status-backend-label')).toContainText(`remote llama-server at ${llama.url}`);
  await expect(page.getByTestId('status-remote-model')).toContainText('reckon-arith.gguf');
});
