import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { SCREENSHOTS } from './helpers';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

// UI states the real model cannot hold still for: slow visible thinking, an engine crash mid-turn, a dropped
// connection. The real host and web server run in front of the scripted engine (scripted/scripts.ts); each turn
// waits at its gates until the test opens them, so every state below is asserted while it holds.
let host: ScriptedHost;
test.beforeEach(async () => {
  host = await startScriptedHost();
});
test.afterEach(async () => {
  await host.close();
});

test('thinking streams open, collapses when the answer starts; notices show as toasts', async ({ page }) => {
  await page.goto(host.url);
  const toast = page.getByTestId('toast').filter({ hasText: 'set aside' });
  await expect(toast).toBeVisible();
  await toast.getByTestId('toast-dismiss').click();
  await expect(toast).toHaveCount(0);

  await page.getByTestId('composer-input').fill('What is 37+48?');
  await page.getByTestId('composer-input').press('Enter');
  const msg = page.getByTestId('message-assistant').last();
  const block = msg.getByTestId('thinking-block');
  // the engine holds at gate `thinking`: four thoughts streamed, no answer yet
  await host.reached('thinking');
  await expect(block).toHaveAttribute('data-state', 'active');
  await expect(msg.getByTestId('thinking-label')).toContainText('Thinking');
  await expect(msg.getByTestId('thinking-text')).toContainText('carry 1');
  await expect(page.getByTestId('stop-button')).toBeVisible();
  await page.screenshot({ path: join(SCREENSHOTS, 'thinking-live.png') });

  await host.open('thinking');
  await expect(block).toHaveAttribute('data-state', 'done');
  await expect(msg.getByTestId('thinking-text')).toHaveCount(0);
  await expect(msg.getByTestId('thinking-label')).toHaveText('Thought for 1.0 s, 42 tokens');
  await expect(msg.getByTestId('answer')).toContainText('85');
  await expect(msg).toHaveAttribute('data-status', 'done');
  await expect(msg.getByTestId('ledger')).toHaveAttribute('data-billed', '75');
  await expect(msg.getByTestId('turn-difficulty')).toHaveText('easy');
  await expect(msg.getByTestId('turn-receipt')).toHaveText('receipt');
  // the context meter: the turn's prompt (25) and answer (8) of the scripted model's 256-token window
  const meter = page.getByTestId('context-meter');
  await expect(meter).toHaveAttribute('data-used', '33');
  await expect(meter).toHaveAttribute('data-window', '256');
  await expect(meter).toHaveAttribute('data-level', 'ok');
  await expect(meter).toContainText('33 / 256 tokens');
  await expect(meter).toHaveAttribute('title', /peaked at 75 with its thinking/);
});

test('an engine crash shows inline on the message and the app stays usable', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('composer-input').fill('please crash');
  await page.getByTestId('composer-input').press('Enter');
  const msg = page.getByTestId('message-assistant').last();
  // mid-turn: the thoughts are on screen when the engine dies
  await host.reached('crash');
  await expect(msg.getByTestId('thinking-text')).toContainText('carry 1');
  await host.open('crash');
  const err = msg.getByTestId('message-error');
  await expect(err).toHaveAttribute('data-code', 'ENGINE_CRASHED');
  await expect(err).toContainText('The engine running scripted stopped unexpectedly (signal SIGABRT). It has been restarted');

  // the supervisor restarted the engine: the next question is answered
  await host.open('thinking');
  await page.getByTestId('composer-input').fill('What is 37+48?');
  await page.getByTestId('composer-input').press('Enter');
  await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'done');
});

test('a stop button stops the turn', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('composer-input').fill('What is 37+48?');
  await page.getByTestId('composer-input').press('Enter');
  // held at gate `thinking`, which never opens: only the stop can end this turn
  await host.reached('thinking');
  await page.getByTestId('stop-button').click();
  const msg = page.getByTestId('message-assistant').last();
  await expect(msg).toHaveAttribute('data-status', 'stopped');
  await expect(page.getByTestId('send-button')).toBeVisible();
});

test('a dropped connection shows a banner and recovers', async ({ page }) => {
  await page.goto(host.url);
  await expect(page.getByTestId('status-chip')).toHaveAttribute('data-state', 'ready');
  await host.drop();
  await expect(page.getByTestId('connection-banner')).toBeVisible();
  await host.resume();
  // the client retries with a backoff of at most 5 s
  await expect(page.getByTestId('connection-banner')).toHaveCount(0, { timeout: 15_000 });
  await expect(page.getByTestId('status-chip')).toHaveAttribute('data-state', 'ready');
});

test('a failed backend override shows its reason and a one-click "use auto"', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('open-settings').click();
  await page.getByTestId('settings-backend').selectOption('cuda');
  await page.getByTestId('settings-save').click();
  // Save closes the dialog once the host has answered; reopen only then (a click during the close is lost).
  await expect(page.getByTestId('settings-dialog')).not.toBeVisible();
  await page.getByTestId('open-settings').click();
  await expect(page.getByTestId('backend-fallback')).toContainText('CUDA is not available');
  await page.getByTestId('backend-use-auto').click();
  await expect(page.getByTestId('backend-fallback')).toHaveCount(0);
  await expect(page.getByTestId('settings-backend')).toHaveValue('auto');
});

test('on a narrow window the sidebar slides in from a button', async ({ page }) => {
  await page.setViewportSize({ width: 420, height: 760 });
  await page.goto(host.url);
  const sidebar = page.getByTestId('sidebar');
  await expect(sidebar).not.toBeInViewport();
  await page.getByRole('button', { name: 'Conversations' }).click();
  await expect(sidebar).toBeInViewport();
  await page.getByTestId('new-chat').click();
  await expect(sidebar).not.toBeInViewport();
});
