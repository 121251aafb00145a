import { expect, test } from '@playwright/test';
import { ask, newChat, openApp } from './helpers';
import { startScriptedHost } from './scripted/client';

test('each answer shows its speed and time to first token; Settings shows the threads in use beside the override', async ({ page }) => {
  await openApp(page);
  await newChat(page);
  await ask(page, 'What is 37+48?');
  const msg = page.getByTestId('message-assistant').last();
  await expect(msg).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  const stats = msg.getByTestId('turn-stats');
  // the engine's figures, not the live estimate
  await expect(stats).toHaveAttribute('data-live', 'false');
  await expect(msg.getByTestId('turn-speed')).toHaveText(/^\d+\.\d tok\/s$/);
  expect(parseFloat((await msg.getByTestId('turn-speed').textContent())!)).toBeGreaterThan(0);
  await expect(msg.getByTestId('turn-ttft')).toHaveText(/^\d+\.\d+ s to first token$/);
  // stored with the message: the same after a reload
  const speed = await msg.getByTestId('turn-speed').textContent();
  await page.reload();
  await expect(page.getByTestId('message-assistant').last().getByTestId('turn-speed')).toHaveText(speed!);

  // the e2e server pins threads to 1: Settings says so beside the threads field
  await page.getByTestId('open-settings').click();
  await expect(page.getByTestId('threads-measured')).toContainText('Running with 1 thread (your setting)');
});

test('live: the speed is estimated while streaming; no figures the engine did not give', async ({ page }) => {
  const host = await startScriptedHost();
  try {
    await page.goto(host.url);
    await page.getByTestId('composer-input').fill('What is 37+48?');
    await page.getByTestId('composer-input').press('Enter');
    await host.reached('thinking');
    const msg = page.getByTestId('message-assistant').last();
    const stats = msg.getByTestId('turn-stats');
    await expect(stats).toHaveAttribute('data-live', 'true');
    await expect(msg.getByTestId('turn-ttft')).toHaveText(/s to first token$/);
    await host.open('thinking');
    await expect(msg).toHaveAttribute('data-status', 'done');
    // the scripted engine reports no timings: no made-up figures once the answer ends
    await expect(stats).toHaveCount(0);
  } finally {
    await host.close();
  }
});
