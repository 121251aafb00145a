import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { ask, newChat, openApp } from './helpers';

/** Serious and critical axe-core violations on the page as it stands, one line each (rule: target). */
async function violations(page: Page, include?: string): Promise<string[]> {
  let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']);
  if (include) builder = builder.include(include);
  const r = await builder.analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} - ${n.failureSummary?.split('\n')[1]?.trim() ?? v.help}`));
}

test('the main views have no serious or critical accessibility violations (axe-core), light and dark', async ({ page }) => {
  await openApp(page);
  await newChat(page);
  // a question of its own: chat.spec.ts later finds its '37+48' conversation by title
  await ask(page, 'What is 14+25?');
  const msg = page.getByTestId('message-assistant').last();
  await expect(msg).toHaveAttribute('data-status', 'done', { timeout: 90_000 });

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    // the theme's colour transitions run to their end before axe measures contrast
    await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
    // chat with an answer, its actions and the regenerate picker open
    await msg.getByTestId('regenerate-with').click();
    expect(await violations(page), `chat (${scheme})`).toEqual([]);
    await msg.getByTestId('regenerate-with').click();

    await page.getByTestId('open-settings').click();
    await expect(page.getByTestId('settings-dialog')).toBeVisible();
    expect(await violations(page, '[data-testid="settings-dialog"]'), `settings (${scheme})`).toEqual([]);
    await page.getByTestId('settings-dialog').getByRole('button', { name: 'Close' }).click();

    await msg.getByTestId('audit-button').click();
    const panel = page.getByTestId('audit-panel');
    await expect(panel).toBeVisible();
    await expect(panel.getByTestId('audit-progress')).toHaveCount(0, { timeout: 60_000 });
    expect(await violations(page, '[data-testid="audit-panel"]'), `audit panel (${scheme})`).toEqual([]);
    await panel.getByRole('button', { name: 'Close' }).first().click();

    await page.keyboard.press('?');
    await expect(page.getByTestId('shortcuts-dialog')).toBeVisible();
    expect(await violations(page, '[data-testid="shortcuts-dialog"]'), `shortcuts (${scheme})`).toEqual([]);
    await page.keyboard.press('Escape');
  }
});
