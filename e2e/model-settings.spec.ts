import { expect, test } from '@playwright/test';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

// The real host and web server in front of the scripted engine: the model's settings dialog, its sentences and
// what is stored (what reaches the engine's generate params is src-main/host/modelSettings.test.ts).
let host: ScriptedHost;
test.beforeEach(async () => {
  host = await startScriptedHost();
});
test.afterEach(async () => {
  await host.close();
});

test("a model's settings: the precedence is stated, a bad value gets a sentence, saved values come back after a reload", async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('model-picker').click();
  await page.getByTestId('model-row').first().getByTestId('model-settings').click();
  const dialog = page.getByTestId('model-settings-dialog');
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('model-settings-precedence')).toContainText("a turn's own override > this chat's (the chat header's prompt button) > this model's > the global one in Settings");

  // The context length: the engine default shown, and a length above the trained one said to be cut to it.
  await expect(page.getByTestId('model-setting-contextSize')).toHaveAttribute('placeholder', 'engine default: 256');
  await page.getByTestId('model-setting-contextSize').fill('8192');
  await expect(page.getByTestId('model-setting-hint-contextSize')).toHaveText('This model was trained on 256 tokens: the engine uses 256, not 8,192.');
  await page.getByTestId('model-setting-contextSize').fill('');

  await page.getByTestId('model-setting-topP').fill('2');
  await page.getByTestId('model-setting-temperature').fill('0.5');
  await page.getByTestId('model-settings-save').click();
  await expect(page.getByTestId('model-setting-error-topP')).toHaveText('Top-p must be a number from 0 to 1.');
  await expect(page.getByTestId('model-setting-topP')).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog).toBeVisible();

  await page.getByTestId('model-setting-topP').fill('0.9');
  await expect(page.getByTestId('model-setting-error-topP')).toHaveCount(0);
  await page.getByTestId('model-setting-stop').fill('END\n</answer>');
  await page.getByTestId('model-setting-systemPrompt').fill('Answer in one line.');
  await page.getByTestId('model-settings-save').click();
  await expect(dialog).toBeHidden();

  await page.reload();
  await page.getByTestId('model-picker').click();
  await page.getByTestId('model-row').first().getByTestId('model-settings').click();
  await expect(page.getByTestId('model-setting-topP')).toHaveValue('0.9');
  await expect(page.getByTestId('model-setting-temperature')).toHaveValue('0.5');
  await expect(page.getByTestId('model-setting-stop')).toHaveValue('END\n</answer>');
  await expect(page.getByTestId('model-setting-systemPrompt')).toHaveValue('Answer in one line.');
  await expect(page.getByTestId('model-setting-topK')).toHaveValue('');
});
