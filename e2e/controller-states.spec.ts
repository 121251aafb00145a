import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { SCREENSHOTS } from './helpers';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

// Controller views held still: the real host in front of the scripted engine (scripted/scripts.ts), whose turns
// wait at named gates until the test opens them. The real model fills a budget and drafts in well under a second,
// too fast to look at; its real behaviour is in controller.spec.ts.
let host: ScriptedHost;
test.beforeEach(async () => {
  host = await startScriptedHost();
});
test.afterEach(async () => {
  await host.close();
});

test('the thinking budget bar fills live, marks where trials start and where early exit fired, then goes compact', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('toast-dismiss').first().click();
  await page.getByTestId('composer-input').fill('What is 37+48? (early exit)');
  await page.getByTestId('composer-input').press('Enter');
  const msg = page.getByTestId('message-assistant').last();
  const bar = msg.getByTestId('budget-bar');
  // gate `thinking`: 25 thought tokens streamed, no early exit yet
  await host.reached('thinking');
  await expect(bar).toHaveAttribute('data-variant', 'live');
  await expect(bar).toHaveAttribute('data-budget', '48');
  await expect(bar.getByTestId('budget-mark-trials-start')).toHaveAttribute('data-at', '24');
  await expect.poll(async () => Number(await bar.getAttribute('data-spent'))).toBeGreaterThan(12);
  await expect(bar).toHaveAttribute('data-exact', 'false');
  await expect(bar).toContainText('thinking budget');
  await expect(bar.getByTestId('budget-mark-early-exit')).toHaveCount(0);
  await page.screenshot({ path: join(SCREENSHOTS, 'budget-live.png') });

  // gate `answer`: early exit fired, the answer not started
  await host.open('thinking');
  await expect(bar.getByTestId('budget-mark-early-exit')).toHaveAttribute('data-at', '30');
  await expect(msg).toHaveAttribute('data-status', 'streaming');

  await host.open('answer');
  await expect(msg).toHaveAttribute('data-status', 'done');
  await expect(bar).toHaveAttribute('data-variant', 'compact');
  await expect(bar).toHaveAttribute('data-outcome', 'early-exit');
  await expect(bar).toHaveAttribute('data-spent', '30');
  await expect(bar.getByTestId('budget-outcome')).toHaveText('early exit @ 30');
  await expect(bar).toHaveAttribute('title', /30 of 48 thinking tokens; early exit fired at 30 \(confidence 0\.96\)/);
});

test('PDR drafts stream round by round into the drafts view, in the dark theme', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('toast-dismiss').first().click();
  await page.getByTestId('open-settings').click();
  await page.getByTestId('theme-dark').click();
  await page.getByTestId('settings-dialog').getByRole('button', { name: 'Close' }).click();

  await page.getByTestId('composer-input').fill('What is 37+48? (drafts)');
  await page.getByTestId('composer-input').press('Enter');
  const msg = page.getByTestId('message-assistant').last();
  const view = msg.getByTestId('drafts-view');
  // gate `round-0`: the three round-0 drafts are thinking
  await host.reached('round-0');
  await expect(view).toHaveAttribute('data-state', 'drafting');
  // open by itself while drafting, cells streaming
  await expect(msg.getByTestId('drafts-panel')).toBeVisible();
  await expect(msg.locator('[data-testid="draft-cell"][data-state="thinking"]')).toHaveCount(3);
  await expect(msg.getByTestId('drafts-label')).toHaveText('Drafting… 0/4');

  // gate `round-1`: round 0 answered and distilled, the round-1 draft thinking
  await host.open('round-0');
  await expect(msg.getByTestId('drafts-workspace')).toHaveText(/Candidate answers from earlier drafts: 85, 85, 86/);
  await expect(msg.getByTestId('drafts-votes').first()).toContainText('85×2');
  await expect(msg.getByTestId('drafts-leader')).toContainText('leading 85');
  await expect(msg.locator('[data-testid="draft-cell"][data-round="1"]')).toHaveAttribute('data-state', 'thinking');
  await page.screenshot({ path: join(SCREENSHOTS, 'drafts-live-dark.png') });

  await host.open('round-1');
  await expect(msg).toHaveAttribute('data-status', 'done');
  await expect(view).toHaveAttribute('data-state', 'done');
  await expect(msg.getByTestId('drafts-panel')).toHaveCount(0);
  await expect(msg.getByTestId('drafts-leader')).toContainText('winner 85');
  await msg.getByTestId('drafts-toggle').click();
  await expect(msg.locator('[data-testid="draft-cell"][data-winner="true"]')).toHaveAttribute('data-round', '1');
  // the live thinking text stays on the cells after the stored records settled them
  await expect(msg.locator('[data-testid="draft-cell"][data-round="0"][data-index="2"]')).toHaveAttribute('data-answer', '86');
  await expect(msg.getByTestId('drafts-workspace')).toHaveAttribute('data-rebuilt', 'false');
  await expect(msg.getByTestId('budget-bar')).toHaveAttribute('data-spent', '19');
  // round 0 disagreed (85, 85, 86): the answer is marked unsure and no draft shows its raw 97 %
  const unsure = msg.getByTestId('turn-unsure');
  await expect(unsure).toHaveText('unsure');
  await expect(unsure).toHaveAttribute('data-reasons', 'the drafts disagree: 2 different answers among 3 drafts (2 gave the winning answer)');
  await expect(msg.getByTestId('turn-badges').locator('[title^="This answer may be wrong: the drafts disagree"]')).toHaveCount(1);
  const shown = (round: number, index: number) => msg.locator(`[data-testid="draft-cell"][data-round="${round}"][data-index="${index}"]`).getByTestId('draft-confidence');
  await expect(shown(0, 0)).toHaveText('65%');
  await expect(shown(0, 2)).toHaveText('20%');
  await expect(shown(1, 0)).toHaveText('99%');
});
