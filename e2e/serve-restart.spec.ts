import { expect, test } from '@playwright/test';
import { api } from './api';
import { startServer, type RunningServer } from './server';

// A `reckon serve` of its own (not the suite's): it is stopped and started again on the same data folder and port,
// as a user restarting it would, while the page stays open.
let server: RunningServer | null = null;
test.afterEach(async () => {
  await server?.stop();
  server = null;
});

test('after `reckon serve` restarts, the open page reconnects by itself; while it is down Enter says so and keeps the draft', async ({ page }) => {
  server = await startServer();
  const { url, home, port } = server;
  await api(url, 'settings.update', { threads: 1, temperature: 0, maxTokens: 256 });
  await page.goto(url);
  await expect(page.getByTestId('status-chip')).not.toHaveAttribute('data-state', 'offline');
  const input = page.getByTestId('composer-input');
  await expect(input).toHaveAttribute('placeholder', 'Ask anything…');

  await server.stop({ keepHome: true });
  await expect(page.getByTestId('connection-banner')).toBeVisible();
  await input.fill('What is 37+48?');
  await input.press('Enter');
  await expect(page.getByTestId('composer-offline')).toContainText('Reckon is not reachable - retrying');
  await expect(input).toHaveValue('What is 37+48?');
  await expect(page.getByTestId('message-user')).toHaveCount(0);

  // same data folder, same port: the stored token makes the URL the page already has valid again
  server = await startServer({ home, port });
  expect(server.url).toBe(url);
  await expect(page.getByTestId('connection-banner')).toBeHidden();
  await expect(page.getByTestId('composer-offline')).toBeHidden();
  await expect(input).toHaveValue('What is 37+48?');

  // and it works: the kept draft goes out and is answered by the restarted server
  await input.press('Enter');
  await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(page.getByTestId('message-assistant').last()).toContainText('85');
});

test('--new-token replaces the stored token (the old URL is refused); --token wins and is not stored', async () => {
  server = await startServer();
  const { url, home, port } = server;
  await server.stop({ keepHome: true });

  server = await startServer({ home, port, args: ['--new-token'] });
  expect(server.url).not.toBe(url);
  expect((await fetch(url)).status).toBe(401);
  const rotated = server.url;
  await server.stop({ keepHome: true });

  server = await startServer({ home, port, args: ['--token', 'my-own-token-0123456789'] });
  expect(server.url).toBe(`http://127.0.0.1:${port}/?token=my-own-token-0123456789`);
  expect((await fetch(rotated)).status).toBe(401);
  await server.stop({ keepHome: true });

  server = await startServer({ home, port });
  expect(server.url).toBe(rotated);
});
