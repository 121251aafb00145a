import { expect, test, type Page } from '@playwright/test';
import { api } from './api';
import { startServer, type RunningServer } from './server';

// Two tabs on one `reckon serve`: what one tab (or another client of the same host) changes shows in the other
// at once, without a reload - a rename, a pin, new settings, a deleted conversation the other tab has open.
let server: RunningServer | null = null;
test.afterEach(async () => {
  await server?.stop();
  server = null;
});

const item = (p: Page, title: string) => p.getByTestId('conversation-item').filter({ hasText: title });

test('a rename, pin, settings change or delete in one tab shows in the other without a reload', async ({ context }) => {
  server = await startServer();
  const url = server.url;
  const a = await context.newPage();
  const b = await context.newPage();
  for (const p of [a, b]) {
    await p.goto(url);
    await expect(p.getByTestId('status-chip')).not.toHaveAttribute('data-state', 'offline');
  }

  // Created by another client of the host: both tabs list it.
  await api(url, 'conversations.create', { title: 'Two tabs plan' });
  for (const p of [a, b]) await expect(item(p, 'Two tabs plan')).toBeVisible();
  await item(b, 'Two tabs plan').click();

  // Renamed in tab A's sidebar: tab B's list follows.
  await item(a, 'Two tabs plan').hover();
  await item(a, 'Two tabs plan').getByTestId('rename-conversation').click();
  await a.getByTestId('rename-input').fill('Two tabs, renamed');
  await a.getByTestId('rename-input').press('Enter');
  await expect(item(b, 'Two tabs, renamed')).toBeVisible();
  await expect(item(b, 'Two tabs plan')).toHaveCount(0);

  // Pinned in tab A: pinned in tab B.
  await item(a, 'Two tabs, renamed').hover();
  await item(a, 'Two tabs, renamed').getByTestId('pin-conversation').click();
  await expect(item(b, 'Two tabs, renamed')).toHaveAttribute('data-pinned', 'true');

  // Settings changed by another client: tab B applies the theme at once.
  const before = await b.evaluate(() => document.documentElement.dataset.theme);
  const theme = before === 'dark' ? 'light' : 'dark';
  await api(url, 'settings.update', { theme });
  await expect(b.locator('html')).toHaveAttribute('data-theme', theme);
  await expect(a.locator('html')).toHaveAttribute('data-theme', theme);

  // Deleted in tab A while tab B has it open: B says so and leaves it; A, which deleted it, is not told of it.
  await item(a, 'Two tabs, renamed').hover();
  await item(a, 'Two tabs, renamed').getByTestId('delete-conversation').click();
  await a.getByTestId('delete-confirm-yes').click();
  await expect(b.getByTestId('toast').filter({ hasText: 'deleted in another window' })).toBeVisible();
  await expect(item(b, 'Two tabs, renamed')).toHaveCount(0);
  await expect(b.locator('[data-testid="conversation-item"].active')).toHaveCount(0);
  // A's reply came after its event on the same socket: once A's list has dropped it, A has seen the event too.
  await expect(item(a, 'Two tabs, renamed')).toHaveCount(0);
  await expect(a.getByTestId('toast').filter({ hasText: 'deleted in another window' })).toHaveCount(0);
});
