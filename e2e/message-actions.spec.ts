import { expect, test, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { ask, newChat, openApp } from './helpers';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

const lastAnswer = (page: Page) => page.getByTestId('message-assistant').last();

async function answered(page: Page, count: number): Promise<void> {
  await expect(page.getByTestId('message-assistant')).toHaveCount(count);
  await expect(lastAnswer(page)).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
}

test.describe('message actions with the bundled model', () => {
  test('copy, regenerate with another strategy, switch versions, survive a reload', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await openApp(page);
    await newChat(page);
    await ask(page, 'What is 37+48?');
    await answered(page, 1);
    const answer = lastAnswer(page);
    await expect(answer.getByTestId('answer')).toContainText('85');

    // the actions are on screen without hovering, and keyboard reachable: Tab from the answer's copy button
    const copy = answer.getByTestId('copy-answer');
    await expect(copy).toBeVisible();
    await copy.focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await answer.getByTestId('answer').innerText());
    await page.getByTestId('message-user').getByTestId('copy-question').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('What is 37+48?');

    // the first answer ran under the controller (a plan badge); 'long' runs without one
    await expect(answer.getByTestId('turn-strategy')).toHaveCount(1);
    await answer.getByTestId('regenerate-with').click();
    const picker = answer.getByTestId('regenerate-picker');
    await picker.getByLabel('Strategy').selectOption('long');
    await picker.getByLabel('Effort').selectOption('0.5');
    await picker.getByTestId('regenerate-go').click();
    await answered(page, 1);
    const regenerated = lastAnswer(page);
    await expect(regenerated.getByTestId('variant-index')).toHaveText('2/2');
    await expect(regenerated.getByTestId('turn-strategy')).toHaveCount(0);
    const secondId = await regenerated.getAttribute('data-id');

    await regenerated.getByTestId('variant-prev').click();
    await expect(lastAnswer(page).getByTestId('variant-index')).toHaveText('1/2');
    await expect(lastAnswer(page)).not.toHaveAttribute('data-id', secondId!);
    await expect(lastAnswer(page).getByTestId('turn-strategy')).toHaveCount(1);

    // the version shown is stored: a reload shows it again
    await page.reload();
    await expect(lastAnswer(page).getByTestId('variant-index')).toHaveText('1/2');
    await expect(lastAnswer(page).getByTestId('answer')).toContainText('85');
    await lastAnswer(page).getByTestId('variant-next').click();
    await expect(lastAnswer(page)).toHaveAttribute('data-id', secondId!);
  });

  test('edit-and-resend branches the question; delete removes a branch; export Markdown and JSON', async ({ page }) => {
    await openApp(page);
    await newChat(page);
    await ask(page, 'What is 37+48?');
    await answered(page, 1);

    const user = page.getByTestId('message-user');
    await user.getByTestId('edit-message').click();
    const input = user.getByTestId('edit-input');
    await expect(input).toBeFocused();
    await expect(input).toHaveValue('What is 37+48?');
    await input.fill('What is 12+30?');
    await input.press('Enter');
    await answered(page, 1);
    await expect(user.locator('.bubble')).toHaveText('What is 12+30?');
    await expect(user.getByTestId('variant-index')).toHaveText('2/2');
    await expect(lastAnswer(page).getByTestId('answer')).toContainText('42');

    // the old question and its answer are still there
    await user.getByTestId('variant-prev').click();
    await expect(user.locator('.bubble')).toHaveText('What is 37+48?');
    await expect(lastAnswer(page).getByTestId('answer')).toContainText('85');

    // export the branch shown as Markdown, every branch as JSON
    await page.getByTestId('export-conversation').click();
    const [md] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-markdown').click()]);
    expect(md.suggestedFilename()).toMatch(/\.md$/);
    const mdText = await readFile((await md.path())!, 'utf8');
    expect(mdText).toContain('## You\n\nWhat is 37+48?');
    expect(mdText).not.toContain('What is 12+30?');
    await page.getByTestId('export-conversation').click();
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    const parsed = JSON.parse(await readFile((await json.path())!, 'utf8')) as { conversation: { messages: { text: string }[] } };
    expect(parsed.conversation.messages.map((m) => m.text)).toEqual(expect.arrayContaining(['What is 37+48?', 'What is 12+30?']));
    expect(parsed.conversation.messages).toHaveLength(4);

    // delete the question shown: its answer goes with it and the other branch is shown, with no switch left
    await user.getByTestId('delete-message').click();
    await user.getByTestId('delete-confirm-go').click();
    await expect(user.locator('.bubble')).toHaveText('What is 12+30?');
    await expect(user.getByTestId('variants')).toHaveCount(0);
    await page.reload();
    await expect(page.getByTestId('message-user').locator('.bubble')).toHaveText('What is 12+30?');
    await expect(page.getByTestId('message-user')).toHaveCount(1);
  });
});

test.describe('message actions in slow motion (scripted engine)', () => {
  let host: ScriptedHost;
  test.beforeEach(async () => {
    host = await startScriptedHost();
  });
  test.afterEach(async () => {
    await host.close();
  });

  test('retry after a failed turn replaces it; actions wait while a turn streams', async ({ page }) => {
    await page.goto(host.url);
    await host.failNext('generate', 'MODEL_LOAD_FAILED', 'the scripted model would not load');
    await page.getByTestId('composer-input').fill('What is 37+48?');
    await page.getByTestId('composer-input').press('Enter');
    const failed = page.getByTestId('message-assistant').last();
    await expect(failed.getByTestId('message-error')).toHaveAttribute('data-code', 'MODEL_LOAD_FAILED');
    const failedId = await failed.getAttribute('data-id');

    await failed.getByTestId('retry').click();
    await host.reached('thinking');
    const retried = page.getByTestId('message-assistant').last();
    await expect(retried).toHaveAttribute('data-status', 'streaming');
    await expect(page.getByTestId('message-assistant')).toHaveCount(1);
    // while the turn streams, the question's actions are disabled (the host would answer BUSY)
    await expect(page.getByTestId('message-user').getByTestId('edit-message')).toBeDisabled();
    await expect(page.getByTestId('message-user').getByTestId('delete-message')).toBeDisabled();
    await host.open('thinking');
    await expect(retried).toHaveAttribute('data-status', 'done');
    await expect(retried).not.toHaveAttribute('data-id', failedId!);
    await expect(retried.getByTestId('answer')).toContainText('85');
    // the failed answer was replaced, not kept as a version
    await expect(retried.getByTestId('variants')).toHaveCount(0);
    await page.reload();
    await expect(page.getByTestId('message-assistant')).toHaveCount(1);
    await expect(page.getByTestId('message-assistant').getByTestId('variants')).toHaveCount(0);
  });

  test('"Answer now" closes the thinking where it is and the budget bar says so', async ({ page }) => {
    await page.goto(host.url);
    await page.getByTestId('composer-input').fill('Please think long about this');
    await page.getByTestId('composer-input').press('Enter');
    await host.reached('thinking');
    const msg = page.getByTestId('message-assistant').last();
    const bar = msg.getByTestId('budget-bar');
    await expect(bar).toHaveAttribute('data-outcome', 'thinking');
    const button = msg.getByTestId('answer-now');
    await expect(button).toBeVisible();
    await button.click();
    await expect(button).toBeDisabled();
    await host.open('thinking');
    await expect(msg).toHaveAttribute('data-status', 'done');
    await expect(msg.getByTestId('answer')).toContainText('It depends on the case.');
    await expect(msg.getByTestId('answer-now')).toHaveCount(0);
    await expect(bar).toHaveAttribute('data-outcome', 'answer-now');
    await expect(msg.getByTestId('budget-outcome')).toHaveText('answered now @ 30');
    await expect(msg.getByTestId('budget-mark-answer-now')).toHaveAttribute('data-at', '30');
    // billed honestly: the 32 thinking tokens (tags included) the turn spent are on the ledger
    await expect(msg.getByTestId('ledger')).toHaveAttribute('data-thinking', '32');
    await page.reload();
    await expect(page.getByTestId('message-assistant').last().getByTestId('budget-outcome')).toHaveText('answered now @ 30');
  });

  test('the crash card: one message naming the model, Retry, true about restarts; two crashes mark the model broken until "Try again"', async ({ page }) => {
    await page.goto(host.url);
    await page.getByTestId('composer-input').fill('please crash');
    await page.getByTestId('composer-input').press('Enter');
    await host.reached('crash');
    await host.open('crash');
    const card = page.getByTestId('message-assistant').last().getByTestId('message-error');
    await expect(card).toHaveAttribute('data-code', 'ENGINE_CRASHED');
    const text = card.getByTestId('crash-text');
    // told once the fresh engine answered: "restarted" is true when it is shown
    await expect(text).toHaveText('The engine running scripted stopped unexpectedly (signal SIGABRT). It has been restarted; your conversation is safe - ask again.');
    expect((await card.innerText()).split('stopped unexpectedly').length).toBe(2);
    // the gate stays open: the retry crashes again at once, and the second crash marks the model broken
    const before = await page.getByTestId('message-assistant').last().getAttribute('data-id');
    await card.getByTestId('retry').click();
    await expect(page.getByTestId('message-assistant').last()).not.toHaveAttribute('data-id', before!);
    await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'error');
    await expect(text).toContainText('scripted has crashed the engine twice and is marked broken: pick another model until you choose "Try again" in the model picker.');
    await expect(page.getByTestId('message-assistant')).toHaveCount(1);
    // the picker shows it with the reason; "Try again" clears it
    await page.getByTestId('model-picker').click();
    const row = page.getByTestId('model-row').filter({ hasText: 'scripted' });
    await expect(row).toHaveAttribute('data-broken', 'true');
    await expect(row.getByTestId('model-broken')).toContainText('It crashed the engine twice (signal SIGABRT)');
    await row.getByTestId('model-retry').click();
    await expect(row).not.toHaveAttribute('data-broken', 'true');
    await expect(row.getByTestId('model-retry')).toHaveCount(0);
  });
});
