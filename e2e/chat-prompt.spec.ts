import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

// The real host and web server (scripted engine: no turn is run here) over one stored conversation written
// without a system prompt: the chat header's prompt dialog, what it stores, and Clear. What reaches the engine's
// generate params is src-main/host/chatSystemPrompt.test.ts.
const chat = { id: '55555555-5555-4555-8555-555555555555', title: 'Pirate chat', updatedAt: new Date().toISOString() };

let host: ScriptedHost;
test.beforeEach(async () => {
  host = await startScriptedHost(60_000, { RECKON_E2E_CONVERSATIONS: JSON.stringify([chat]) });
});
test.afterEach(async () => {
  await host.close();
});

test("a chat's system prompt: set from the header (keyboard), kept after a reload, cleared with Clear", async ({ page }) => {
  await page.goto(host.url);
  await expect(page.getByTestId('chat-system-prompt')).toHaveCount(0); // a new chat has no file to store it in yet
  await page.getByTestId('conversation-item').first().click();
  await expect(page.getByTestId('chat-title')).toHaveText('Pirate chat');

  const button = page.getByTestId('chat-system-prompt');
  await expect(button).toHaveAttribute('data-set', 'false');
  await button.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByTestId('chat-prompt-dialog');
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('chat-prompt-clear')).toBeDisabled();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    // the theme's colour transitions run to their end before axe measures contrast
    await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
    const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).include('[data-testid="chat-prompt-dialog"]').analyze();
    expect(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id), `dialog (${scheme})`).toEqual([]);
  }
  await page.getByTestId('chat-prompt-text').fill('Answer like a pirate.');
  await page.getByTestId('chat-prompt-save').click();
  await expect(dialog).toBeHidden();
  await expect(button).toHaveAttribute('data-set', 'true');
  await expect(button).toHaveAccessibleName('System prompt for this chat (set)');

  await page.reload();
  await page.getByTestId('conversation-item').first().click();
  await expect(page.getByTestId('chat-system-prompt')).toHaveAttribute('data-set', 'true');
  await page.getByTestId('chat-system-prompt').click();
  await expect(page.getByTestId('chat-prompt-text')).toHaveValue('Answer like a pirate.');
  await page.getByTestId('chat-prompt-clear').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('chat-system-prompt')).toHaveAttribute('data-set', 'false');

  await page.reload();
  await page.getByTestId('conversation-item').first().click();
  await page.getByTestId('chat-system-prompt').click();
  await expect(page.getByTestId('chat-prompt-text')).toHaveValue('');
});
