import { expect, test } from '@playwright/test';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

// The real host and web server in front of the scripted engine (scripted/scripts.ts): each turn holds at gate
// `thinking` until the test opens it, so what persists and what the page shows meanwhile are asserted as they are.
let host: ScriptedHost;
test.beforeEach(async () => {
  host = await startScriptedHost();
});
test.afterEach(async () => {
  await host.close();
});

async function answerOne(page: import('@playwright/test').Page): Promise<void> {
  await page.getByTestId('composer-input').fill('What is 37+48?');
  await page.getByTestId('composer-input').press('Enter');
  await host.reached('thinking');
  await host.open('thinking');
  await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'done');
}

test('the open chat, the unsent draft, the strategy and the effort survive a reload', async ({ page }) => {
  await page.goto(host.url);
  await answerOne(page);
  await page.getByTestId('strategy').selectOption('pdr');
  await page.getByTestId('effort').selectOption('0.5');
  await page.getByTestId('composer-input').fill('half a thought, not sent');

  await page.reload();
  await expect(page.getByTestId('message-user')).toHaveCount(1);
  await expect(page.getByTestId('message-user').locator('.bubble')).toHaveText('What is 37+48?');
  await expect(page.getByTestId('composer-input')).toHaveValue('half a thought, not sent');
  await expect(page.getByTestId('strategy')).toHaveValue('pdr');
  await expect(page.getByTestId('effort')).toHaveValue('0.5');

  // a new chat has its own (empty) draft; going back brings the first one back
  await page.getByTestId('new-chat').click();
  await expect(page.getByTestId('composer-input')).toHaveValue('');
  await page.getByTestId('conversation-item').first().click();
  await expect(page.getByTestId('composer-input')).toHaveValue('half a thought, not sent');
});

test('narrow window: the composer keeps its width, Esc closes the drawer, ? lists the shortcuts', async ({ page }) => {
  await page.setViewportSize({ width: 480, height: 760 });
  await page.goto(host.url);
  const input = page.getByTestId('composer-input');
  const box = (await input.boundingBox())!;
  // the choices and Send wrap below the message instead of squashing it
  expect(box.width).toBeGreaterThan(380);

  const sidebar = page.getByTestId('sidebar');
  await page.getByTestId('open-drawer').click();
  await expect(sidebar).toBeInViewport();
  await page.keyboard.press('Escape');
  await expect(sidebar).not.toBeInViewport();
  await expect(page.getByTestId('open-drawer')).toBeFocused();

  await page.keyboard.press('?');
  const sheet = page.getByTestId('shortcuts-dialog');
  await expect(sheet).toBeVisible();
  await expect(sheet).toContainText('Search conversations');
  await expect(sheet).toContainText('New chat');
  await page.keyboard.press('Escape');
  await expect(sheet).toBeHidden();
  // typed into the message, "?" is just a character
  await input.focus();
  await page.keyboard.type('why?');
  await expect(sheet).toBeHidden();
  await expect(input).toHaveValue('why?');
});

test("the top message's ledger tooltip is not clipped under the header", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 420 });
  await page.goto(host.url);
  await answerOne(page);
  const ledger = page.getByTestId('message-assistant').first().getByTestId('ledger');
  // scrolled so the ledger sits at the top edge of the chat: no room above it
  await ledger.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await ledger.hover();
  const details = ledger.getByTestId('ledger-details');
  await expect(details).toBeVisible();
  // nothing hides it: the topmost element at its first row is the tooltip itself, not the header
  const tip = (await details.boundingBox())!;
  expect(tip.y).toBeGreaterThanOrEqual(0);
  expect(tip.y, 'it reaches into the header band').toBeLessThan((await page.getByTestId('chat-view').boundingBox())!.y);
  const onTop = await details.evaluate((el, [x, y]) => {
    (el as HTMLElement).style.pointerEvents = 'auto'; // hit-testing skips elements that take no pointer events
    return document.elementFromPoint(x!, y!)?.closest('[data-testid="ledger-details"]') === el;
  }, [tip.x + 20, tip.y + 12]);
  expect(onTop).toBe(true);
});
