import { expect, test } from '@playwright/test';
import { api } from './api';
import { openApp, serverUrl } from './helpers';

// List management needs no model: conversations are created through the API, then handled in the UI.
test('search, rename and delete conversations', async ({ page }) => {
  const url = serverUrl();
  for (const title of ['Alpha notes', 'Beta plan', 'Gamma ideas']) await api(url, 'conversations.create', { title });
  await openApp(page);
  const items = page.getByTestId('conversation-item');
  await expect(items.filter({ hasText: 'Beta plan' })).toBeVisible();

  // search narrows the list, clearing it brings everything back
  await page.getByTestId('conversation-search').fill('beta');
  await expect(items.filter({ hasText: 'Beta plan' })).toBeVisible();
  await expect(items.filter({ hasText: 'Alpha notes' })).toHaveCount(0);
  await page.getByTestId('conversation-search').fill('');
  await expect(items.filter({ hasText: 'Alpha notes' })).toBeVisible();

  // rename inline
  const alpha = items.filter({ hasText: 'Alpha notes' });
  await alpha.hover();
  await alpha.getByTestId('rename-conversation').click();
  const input = page.getByTestId('rename-input');
  await expect(input).toBeFocused();
  await input.fill('Alpha, renamed');
  await input.press('Enter');
  await expect(items.filter({ hasText: 'Alpha, renamed' })).toBeVisible();

  // delete asks first; cancel keeps it, confirm removes it
  const gamma = items.filter({ hasText: 'Gamma ideas' });
  await gamma.hover();
  await gamma.getByTestId('delete-conversation').click();
  await expect(page.getByTestId('delete-confirm')).toBeVisible();
  await page.getByTestId('delete-confirm').getByRole('button', { name: 'Cancel' }).click();
  await expect(gamma).toBeVisible();
  await gamma.hover();
  await gamma.getByTestId('delete-conversation').click();
  await page.getByTestId('delete-confirm-yes').click();
  await expect(items.filter({ hasText: 'Gamma ideas' })).toHaveCount(0);

  // all of it is stored on the host
  await page.reload();
  await expect(items.filter({ hasText: 'Alpha, renamed' })).toBeVisible();
  await expect(items.filter({ hasText: 'Beta plan' })).toBeVisible();
  await expect(items.filter({ hasText: 'Gamma ideas' })).toHaveCount(0);
});
