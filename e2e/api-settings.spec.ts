import { expect, test, type Page } from '@playwright/test';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

// Settings > API against the real host (scripted engine) and the API's own port, checked over real HTTP from the
// test: the base URL and key the section shows work, Rotate refuses the old key at once, off closes the API.
let host: ScriptedHost;
test.beforeEach(async () => {
  host = await startScriptedHost();
});
test.afterEach(async () => {
  await host.close();
});

async function status(base: string, key: string): Promise<number> {
  const r = await fetch(`${base}/models`, { headers: { Authorization: `Bearer ${key}` } });
  return r.status;
}

async function shownKey(page: Page): Promise<string> {
  const section = page.getByTestId('settings-api');
  if ((await section.getByTestId('api-show-key').getAttribute('aria-pressed')) !== 'true') await section.getByTestId('api-show-key').click();
  await expect(section.getByTestId('api-key')).toHaveText(/^rk-[A-Za-z0-9_-]{20,}$/);
  return (await section.getByTestId('api-key').textContent())!;
}

test('Settings > API: the shown URL and key work; Rotate refuses the old key; off refuses, on serves again', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('open-settings').click();
  const section = page.getByTestId('settings-api');
  await expect(section).toContainText('OpenAI-compatible API');
  await expect(section.getByTestId('api-enabled')).toBeChecked();

  const url = section.getByTestId('api-base-url');
  await expect(url).toHaveText(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  const base = (await url.textContent())!;
  // Masked until shown.
  await expect(section.getByTestId('api-key')).toContainText('•');
  const oldKey = await shownKey(page);
  expect(await status(base, oldKey)).toBe(200);

  await section.getByTestId('api-rotate-key').click();
  await expect(section.getByTestId('api-key')).not.toHaveText(oldKey);
  const newKey = await shownKey(page);
  expect(await status(base, oldKey)).toBe(401);
  expect(await status(base, newKey)).toBe(200);

  // An allowed browser origin is added to the list and applies to the API at once.
  await section.getByTestId('api-origin-input').fill('http://localhost:5173');
  await section.getByTestId('api-origin-add').click();
  await expect(section.getByTestId('api-origins')).toContainText('http://localhost:5173');
  const cors = await fetch(`${base}/models`, { headers: { Authorization: `Bearer ${newKey}`, Origin: 'http://localhost:5173' } });
  expect(cors.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  // A bad origin is refused by the host, told through the error alert.
  await section.getByTestId('api-origin-input').fill('not an origin');
  await section.getByTestId('api-origin-add').click();
  await expect(section.getByTestId('api-error')).toHaveAttribute('data-code', 'BAD_REQUEST');

  await section.getByTestId('api-enabled').uncheck();
  await expect(section.getByTestId('api-base-url')).toHaveCount(0);
  await expect(fetch(`${base}/models`, { headers: { Authorization: `Bearer ${newKey}` } })).rejects.toThrow();
  // The page's own port refuses /v1 too.
  expect(await status(`${new URL(host.url).origin}/v1`, newKey)).toBe(404);

  await section.getByTestId('api-enabled').check();
  await expect(section.getByTestId('api-base-url')).toHaveText(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  expect(await status((await section.getByTestId('api-base-url').textContent())!, newKey)).toBe(200);
  await expect(section.getByTestId('api-error')).toHaveCount(0);
});
