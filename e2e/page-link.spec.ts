import { expect, test } from '@playwright/test';
import { api } from './api';
import { startServer, type RunningServer } from './server';
import { WebSocket } from 'ws';

/** The HTTP status of a WebSocket upgrade to /api with the token of `pageUrl`: 101 = opened. */
function upgradeStatus(pageUrl: string): Promise<number> {
  const u = new URL(pageUrl);
  const ws = new WebSocket(`ws://${u.host}/api?token=${u.searchParams.get('token') ?? ''}`);
  return new Promise((res) => {
    ws.once('open', () => {
      ws.close();
      res(101);
    });
    ws.once('unexpected-response', (_req, r) => res(r.statusCode ?? 0));
  });
}

// Settings > Page link over a `reckon serve` of its own: the tab that asks moves to the new link and keeps working,
// the old link is refused over HTTP and WebSocket, and another tab still on it says why it lost the connection.
let server: RunningServer | null = null;
test.afterEach(async () => {
  await server?.stop();
  server = null;
});

test('New page link: this tab moves and keeps working; the old URL is refused; another old tab says the link was replaced', async ({ context }) => {
  server = await startServer();
  const old = server.url;
  await api(old, 'settings.update', { threads: 1, temperature: 0, maxTokens: 256 });
  const asker = await context.newPage();
  const other = await context.newPage();
  await asker.goto(old);
  await other.goto(old);
  for (const p of [asker, other]) await expect(p.getByTestId('status-chip')).not.toHaveAttribute('data-state', 'offline');

  await asker.getByTestId('open-settings').click();
  const section = asker.getByTestId('settings-page-link');
  await expect(section).toContainText('Page link');
  await section.getByTestId('page-rotate-token').click();

  // The asking tab is on the new link; the old one is refused, the new one served.
  await expect(asker).not.toHaveURL(old);
  const fresh = asker.url();
  expect(new URL(fresh).searchParams.get('token')).toMatch(/^[0-9a-f]{64}$/);
  expect(new URL(fresh).origin).toBe(new URL(old).origin);
  expect((await fetch(old)).status).toBe(401);
  expect((await fetch(fresh)).status).toBe(200);
  expect(await upgradeStatus(old)).toBe(401);
  expect(await upgradeStatus(fresh)).toBe(101);

  // The other tab, still on the old link, tells the truth instead of retrying silently.
  await expect(other.getByTestId('connection-banner')).toContainText('access token was replaced');

  // And the asking tab works on the new link: a question is answered.
  await expect(asker.getByTestId('connection-banner')).toBeHidden();
  const input = asker.getByTestId('composer-input');
  await input.fill('What is 37+48?');
  await input.press('Enter');
  await expect(asker.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(asker.getByTestId('message-assistant').last()).toContainText('85');
  await expect(other.getByTestId('connection-banner')).toBeVisible();
});
