import { expect, test, type Page } from '@playwright/test';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

// The real host and web server (scripted engine: no turn is run here) over a data folder holding conversations
// last active today, yesterday, four days ago and a year ago, written without the `pinned` field.
const day = 86_400_000;
const seeded = [
  { id: '11111111-1111-4111-8111-111111111111', title: 'Last year', updatedAt: new Date(Date.now() - 365 * day).toISOString() },
  { id: '22222222-2222-4222-8222-222222222222', title: 'Four days ago', updatedAt: new Date(Date.now() - 4 * day).toISOString() },
  { id: '33333333-3333-4333-8333-333333333333', title: 'Yesterday', updatedAt: yesterdayNoon() },
  { id: '44444444-4444-4444-8444-444444444444', title: 'This morning', updatedAt: new Date().toISOString() },
];

function yesterdayNoon(): string {
  const d = new Date();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - 1, 12).toISOString();
}

let host: ScriptedHost;
test.beforeEach(async () => {
  host = await startScriptedHost(60_000, { RECKON_E2E_CONVERSATIONS: JSON.stringify(seeded) });
});
test.afterEach(async () => {
  await host.close();
});

/** [group label, titles in it] as the sidebar shows them, top to bottom. */
async function sidebarGroups(page: Page): Promise<[string, string[]][]> {
  return page.getByTestId('conversation-group').evaluateAll((groups) =>
    groups.map((g) => [
      g.getAttribute('data-label') ?? '',
      [...g.querySelectorAll('[data-testid="conversation-item"]')].map((i) => i.getAttribute('data-title') ?? ''),
    ] as [string, string[]]));
}

test('the sidebar groups by last activity; a pin (keyboard only) moves a chat to the top and survives a reload', async ({ page }) => {
  await page.goto(host.url);
  await expect(page.getByTestId('conversation-item')).toHaveCount(4);
  expect(await sidebarGroups(page)).toEqual([
    ['Today', ['This morning']],
    ['Yesterday', ['Yesterday']],
    ['Previous 7 days', ['Four days ago']],
    ['Older', ['Last year']],
  ]);

  // keyboard only: focus the old chat's entry, Tab to its actions, Enter on "Pin to top"
  const old = page.locator('[data-testid="conversation-item"][data-title="Last year"]');
  await old.locator('button.open').focus();
  await page.keyboard.press('Tab');
  const pin = old.getByTestId('pin-conversation');
  await expect(pin).toBeFocused();
  await expect(pin).toHaveAccessibleName('Pin to top');
  await page.keyboard.press('Enter');
  await expect(page.locator('[data-testid="conversation-item"][data-title="Last year"]')).toHaveAttribute('data-pinned', 'true');
  expect(await sidebarGroups(page)).toEqual([
    ['Pinned', ['Last year']],
    ['Today', ['This morning']],
    ['Yesterday', ['Yesterday']],
    ['Previous 7 days', ['Four days ago']],
  ]);

  await page.reload();
  await expect(page.getByTestId('conversation-item')).toHaveCount(4);
  expect((await sidebarGroups(page))[0]).toEqual(['Pinned', ['Last year']]);

  // unpin: back to its date group (pinning is not activity)
  const pinned = page.locator('[data-testid="conversation-item"][data-title="Last year"]');
  await pinned.hover();
  await expect(pinned.getByTestId('pin-conversation')).toHaveAccessibleName('Unpin');
  await pinned.getByTestId('pin-conversation').click();
  await expect(pinned).toHaveAttribute('data-pinned', 'false');
  expect((await sidebarGroups(page)).at(-1)).toEqual(['Older', ['Last year']]);
  await page.reload();
  await expect(page.getByTestId('conversation-item')).toHaveCount(4);
  expect((await sidebarGroups(page)).map((g) => g[0])).toEqual(['Today', 'Yesterday', 'Previous 7 days', 'Older']);
});
