import { expect, test, type Page } from '@playwright/test';
import { join } from 'node:path';
import { SCREENSHOTS, ask, newChat, openApp, setTheme } from './helpers';

/**
 * Records what the thinking block showed while the turn streamed. A tiny model thinks in well under a second,
 * faster than polling can see, so a MutationObserver in the page samples every DOM change.
 */
async function watchThinking(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __thinking: { active: number; lengths: number[]; labels: string[] } };
    w.__thinking = { active: 0, lengths: [], labels: [] };
    new MutationObserver(() => {
      const blocks = document.querySelectorAll('[data-testid="message-assistant"]');
      const last = blocks[blocks.length - 1];
      const block = last?.querySelector('[data-testid="thinking-block"]');
      if (!block) return;
      const label = block.querySelector('[data-testid="thinking-label"]')?.textContent ?? '';
      if (!w.__thinking.labels.includes(label.replace(/[\d.]+ s/, 'N s'))) w.__thinking.labels.push(label.replace(/[\d.]+ s/, 'N s'));
      if (block.getAttribute('data-state') === 'active') {
        w.__thinking.active++;
        const len = block.querySelector('[data-testid="thinking-text"]')?.textContent?.length ?? 0;
        if (!w.__thinking.lengths.includes(len)) w.__thinking.lengths.push(len);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
}

async function thinkingSeen(page: Page): Promise<{ active: number; lengths: number[]; labels: string[] }> {
  return page.evaluate(() => (window as unknown as { __thinking: { active: number; lengths: number[]; labels: string[] } }).__thinking);
}

test.describe('turns with the bundled model', () => {
  test('thinks, collapses, answers 85 and shows the ledger; survives a reload', async ({ page }) => {
    await openApp(page);
    await newChat(page);
    await watchThinking(page);
    await ask(page, 'What is 37+48?');

    const msg = page.getByTestId('message-assistant').first();
    await expect(msg).toHaveAttribute('data-status', 'done', { timeout: 90_000 });

    // the thinking streamed live, then collapsed into "Thought for ..."
    const seen = await thinkingSeen(page);
    expect(seen.active, 'the thinking block was seen while active').toBeGreaterThan(0);
    expect(Math.max(...seen.lengths), 'thinking text streamed into the open block').toBeGreaterThan(0);
    expect(seen.labels.some((l) => l.startsWith('Thinking'))).toBe(true);
    const block = msg.getByTestId('thinking-block');
    await expect(block).toHaveAttribute('data-state', 'done');
    await expect(msg.getByTestId('thinking-label')).toHaveText(/^Thought for \d+(\.\d)? m?s, \d+ tokens?$/);
    await expect(msg.getByTestId('thinking-text')).toHaveCount(0);

    await expect(msg.getByTestId('answer')).toContainText('85');

    const ledger = msg.getByTestId('ledger');
    await expect(ledger).toBeVisible();
    const billed = Number(await ledger.getAttribute('data-billed'));
    const visible = Number(await ledger.getAttribute('data-visible'));
    const thinking = Number(await ledger.getAttribute('data-thinking'));
    expect(visible).toBeGreaterThan(0);
    expect(billed).toBeGreaterThanOrEqual(visible);
    expect(thinking).toBeGreaterThan(0);
    await expect(page.getByTestId('conversation-totals')).toHaveAttribute('data-billed', String(billed));

    // click to expand the finished thinking
    await msg.getByTestId('thinking-toggle').click();
    await expect(msg.getByTestId('thinking-text')).not.toBeEmpty();

    // the bundled model's manifest: each question on its own (earlier turns confuse it), said under the composer
    await expect(page.getByTestId('history-hint')).toContainText('answers each question on its own');
    // a second turn, then screenshots in both themes (ledger details on hover)
    await ask(page, 'What is 512+389?');
    const second = page.getByTestId('message-assistant').last();
    await expect(second).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
    await expect(second.getByTestId('answer')).toContainText('901');
    // screenshots for the README: light with both thoughts collapsed, ledger details on hover, dark with a thought open
    await msg.getByTestId('thinking-toggle').click();
    await expect(msg.getByTestId('thinking-text')).toHaveCount(0);
    await setTheme(page, 'light');
    await page.mouse.move(0, 0);
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(SCREENSHOTS, 'chat-light.png') });
    await second.getByTestId('ledger').hover();
    await page.waitForTimeout(400); // the details popover fades in
    await page.screenshot({ path: join(SCREENSHOTS, 'ledger-details.png') });
    await setTheme(page, 'dark');
    await second.getByTestId('thinking-toggle').click();
    await page.mouse.move(0, 0);
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(SCREENSHOTS, 'chat-dark.png') });
    await setTheme(page, 'light');

    // reload: the conversation is in the list with its messages, ledger and thinking
    await page.reload();
    const item = page.getByTestId('conversation-item').filter({ hasText: '37+48' });
    await expect(item).toBeVisible();
    await item.getByRole('button').first().click();
    await expect(page.getByTestId('message-user').first()).toHaveText('What is 37+48?');
    const restored = page.getByTestId('message-assistant').first();
    await expect(restored.getByTestId('answer')).toContainText('85');
    await expect(restored.getByTestId('thinking-label')).toHaveText(/^Thought for/);
    await expect(restored.getByTestId('ledger')).toHaveAttribute('data-billed', String(billed));
  });

  test('Esc stops a generation; the message is marked stopped and the composer works again', async ({ page }) => {
    await openApp(page);
    await newChat(page);
    // Press Esc in the page the moment the answer starts streaming: a tiny model can finish a turn faster
    // than a round trip from the test runner.
    await page.evaluate(() => {
      new MutationObserver((_m, obs) => {
        const live = document.querySelector('[data-testid="message-assistant"][data-status="streaming"]');
        if (!live) return;
        obs.disconnect();
        document.querySelector('[data-testid="composer-input"]')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await ask(page, 'What is 98765+43219+12345+67890+24680+13579+86420+97531?');
    const msg = page.getByTestId('message-assistant').last();
    await expect(msg).toHaveAttribute('data-status', 'stopped', { timeout: 60_000 });
    await expect(msg.getByTestId('message-stopped')).toBeVisible();
    await expect(page.getByTestId('stop-button')).toHaveCount(0);

    await ask(page, 'What is 2+3?');
    const next = page.getByTestId('message-assistant').last();
    await expect(next).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    await expect(next.getByTestId('answer')).toContainText('5');
  });
});
