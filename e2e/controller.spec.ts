import { expect, test, type Page } from '@playwright/test';
import { join } from 'node:path';
import { answerKey } from '../src-main/common/controller/vote';
import { defaultControllerSettings } from '../src-main/common/controller/defaults';
import { api } from './api';
import { SCREENSHOTS, ask, newChat, openApp, serverUrl, setTheme } from './helpers';

/**
 * The controller's views against the real host and the bundled model: the drafts view of a PDR turn (live, then
 * rebuilt after a reload), the thinking budget bar of an effort-25 % turn, and Settings (strategies editor with
 * the host's validation, probe status, calibration started and cancelled).
 */

interface Seen {
  draftStates: string[];
  cellStates: string[];
  budget: { variant: string; spent: number; budget: number; outcome: string }[];
}

/** A tiny model drafts in well under a second: a MutationObserver in the page records what the views showed. */
async function watch(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __seen: Seen };
    w.__seen = { draftStates: [], cellStates: [], budget: [] };
    const push = <T>(a: T[], v: T) => {
      if (!a.includes(v)) a.push(v);
    };
    new MutationObserver(() => {
      const msgs = document.querySelectorAll('[data-testid="message-assistant"]');
      const last = msgs[msgs.length - 1];
      if (!last) return;
      const view = last.querySelector('[data-testid="drafts-view"]');
      if (view) push(w.__seen.draftStates, view.getAttribute('data-state') ?? '');
      for (const c of last.querySelectorAll('[data-testid="draft-cell"]')) push(w.__seen.cellStates, c.getAttribute('data-state') ?? '');
      const bar = last.querySelector('[data-testid="budget-bar"]');
      if (bar) {
        const b = {
          variant: bar.getAttribute('data-variant') ?? '',
          spent: Number(bar.getAttribute('data-spent')),
          budget: Number(bar.getAttribute('data-budget')),
          outcome: bar.getAttribute('data-outcome') ?? '',
        };
        const prev = w.__seen.budget[w.__seen.budget.length - 1];
        if (!prev || prev.variant !== b.variant || prev.spent !== b.spent || prev.outcome !== b.outcome) w.__seen.budget.push(b);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
}

async function seen(page: Page): Promise<Seen> {
  return page.evaluate(() => (window as unknown as { __seen: Seen }).__seen);
}

test.describe('controller views with the bundled model', () => {
  test('PDR: the drafts view streams 3 rounds (4, 2, 1) with workspaces and a winner, and is rebuilt after a reload', async ({ page }) => {
    await openApp(page);
    await newChat(page);
    await page.getByTestId('strategy').selectOption('pdr');
    await watch(page);
    await ask(page, 'What is 37+48?');

    const msg = page.getByTestId('message-assistant').last();
    await expect(msg).toHaveAttribute('data-status', 'done', { timeout: 110_000 });
    const s = await seen(page);
    expect(s.draftStates, 'the drafts view was seen while drafting').toContain('drafting');
    expect(s.cellStates.some((x) => x === 'thinking' || x === 'answering'), 'draft cells streamed live').toBe(true);

    const view = msg.getByTestId('drafts-view');
    await expect(view).toHaveAttribute('data-strategy', 'pdr');
    await expect(view).toHaveAttribute('data-rounds', '3');
    await expect(view).toHaveAttribute('data-state', 'done');
    await expect(msg.getByTestId('turn-strategy')).toContainText('pdr');
    // collapsed once done; the winner is in the header
    await expect(msg.getByTestId('drafts-panel')).toHaveCount(0);
    await expect(msg.getByTestId('drafts-leader')).toContainText('winner');
    await msg.getByTestId('drafts-toggle').click();

    const rounds = msg.getByTestId('drafts-round');
    await expect(rounds).toHaveCount(3);
    expect(await rounds.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-drafts')))).toEqual(['4', '2', '1']);
    const cells = msg.getByTestId('draft-cell');
    await expect(cells).toHaveCount(7);
    for (const c of await cells.all()) {
      await expect(c).toHaveAttribute('data-state', /^(finished|stopped)$/);
      expect(Number(await c.getAttribute('data-tokens'))).toBeGreaterThan(0);
    }
    const winner = msg.locator('[data-testid="draft-cell"][data-winner="true"]');
    await expect(winner).toHaveCount(1);
    await expect(winner).toHaveAttribute('data-round', '2');
    await expect(winner.getByTestId('draft-winner')).toBeVisible();
    const answer = (await msg.getByTestId('answer').innerText()).trim();
    expect(answer.length).toBeGreaterThan(0);
    expect(await winner.getAttribute('data-answer')).toBe(answerKey(answer));
    await expect(msg.getByTestId('drafts-leader')).toContainText(answerKey(answer));

    // PDR workspaces: what rounds 2 and 3 were conditioned on, exact from the stream
    const ws = msg.getByTestId('drafts-workspace');
    await expect(ws).toHaveCount(2);
    const streamed: string[] = [];
    for (const w of await ws.all()) {
      await expect(w).toContainText('Candidate answers from earlier drafts:');
      await expect(w).toHaveAttribute('data-rebuilt', 'false');
      streamed.push(await w.innerText());
    }
    // drafting is overhead: billed exceeds the accepted path
    const ledger = msg.getByTestId('ledger');
    expect(Number(await ledger.getAttribute('data-billed'))).toBeGreaterThan(Number(await ledger.getAttribute('data-sequential')));

    await setTheme(page, 'light');
    await page.mouse.move(0, 0);
    await msg.scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SCREENSHOTS, 'drafts.png') });

    // after a reload the view is rebuilt from the stored Message.drafts
    await page.reload();
    const item = page.getByTestId('conversation-item').filter({ hasText: '37+48' }).first();
    await item.getByRole('button').first().click();
    const restored = page.getByTestId('message-assistant').last();
    await expect(restored.getByTestId('answer')).toContainText(answer);
    await expect(restored.getByTestId('drafts-view')).toHaveAttribute('data-rounds', '3');
    await restored.getByTestId('drafts-toggle').click();
    await expect(restored.getByTestId('draft-cell')).toHaveCount(7);
    const w2 = restored.locator('[data-testid="draft-cell"][data-winner="true"]');
    await expect(w2).toHaveAttribute('data-round', '2');
    await expect(w2).toHaveAttribute('data-answer', answerKey(answer));
    const ws2 = restored.getByTestId('drafts-workspace');
    await expect(ws2).toHaveCount(2);
    // the workspaces were stored with the message: exactly what the model saw, not rebuilt
    for (const [i, w] of (await ws2.all()).entries()) {
      await expect(w).toHaveAttribute('data-rebuilt', 'false');
      expect(await w.innerText()).toBe(streamed[i]);
    }
  });

  test('effort 25 %: the thinking budget bar fills live, then stays compact with spent <= budget beside the answer', async ({ page }) => {
    await openApp(page);
    await newChat(page);
    await page.getByTestId('effort').selectOption('0.25');
    await watch(page);
    await ask(page, 'What is 512+389?');
    const msg = page.getByTestId('message-assistant').last();
    await expect(msg).toHaveAttribute('data-status', 'done', { timeout: 90_000 });

    const s = await seen(page);
    const live = s.budget.filter((b) => b.variant === 'live');
    expect(live.length, 'the budget bar was seen while the turn streamed').toBeGreaterThan(0);
    expect(Math.max(...live.map((b) => b.spent)), 'it filled as thoughts arrived').toBeGreaterThan(0);

    const bar = msg.getByTestId('budget-bar');
    await expect(bar).toHaveAttribute('data-variant', 'compact');
    await expect(bar).toHaveAttribute('data-exact', 'true');
    const budget = Number(await bar.getAttribute('data-budget'));
    const spent = Number(await bar.getAttribute('data-spent'));
    expect(budget).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(budget);
    // the same budget as the plan (badge), 25 % of the probe's expected length
    await expect(msg.getByTestId('turn-strategy')).toContainText(`budget ${budget}`);
    // thinking on the ledger = <think> + content + </think>
    expect(Number(await msg.getByTestId('ledger').getAttribute('data-thinking'))).toBe(spent + 2);
    const outcome = await bar.getAttribute('data-outcome');
    expect(['forced', 'early-exit', 'natural']).toContain(outcome);
    if (outcome === 'forced') await expect(bar.getByTestId('budget-mark-forced')).toHaveCount(1);
    if (outcome === 'early-exit') await expect(bar.getByTestId('budget-mark-early-exit')).toHaveCount(1);
    await expect(msg.getByTestId('answer')).not.toBeEmpty();
  });
});

test.describe('Settings: strategies and the difficulty probe', () => {
  test.afterAll(async () => {
    await api(serverUrl(), 'settings.update', { controller: defaultControllerSettings });
  });

  test('strategies: the host validates, edits persist, reset restores the defaults', async ({ page }) => {
    await openApp(page);
    await page.getByTestId('open-settings').click();
    const dialog = page.getByTestId('settings-dialog');
    const table = dialog.getByTestId('strategy-settings');
    await expect(table.getByTestId('strategy-row')).toHaveCount(3);
    const defaults = defaultControllerSettings.strategies;
    await expect(table.getByTestId('strategy-normal-budget')).toHaveValue(String(defaults.normal.budgetFraction));
    await expect(table.getByTestId('strategy-easy-threshold')).toHaveValue(String(defaults.easy.earlyExitThreshold));
    await expect(table.getByTestId('strategy-easy-effort')).toHaveValue(defaults.easy.effortLevel);

    // an out-of-range value: the host's message, the field marked
    const temp = table.getByTestId('strategy-easy-temperature');
    await temp.fill('9');
    await temp.press('Enter');
    await expect(table.getByTestId('strategy-error')).toContainText('controller.strategies.easy.temperature must be 0..5');
    await expect(temp).toHaveClass(/invalid/);
    await temp.fill('0.2');
    await temp.press('Enter');
    await expect(table.getByTestId('strategy-error')).toHaveCount(0);
    await expect(table.getByTestId('strategy-saved')).toBeVisible();

    const budget = table.getByTestId('strategy-normal-budget');
    await budget.fill('1.2');
    await budget.press('Enter');
    await table.getByTestId('strategy-hard-parallel').selectOption('pdr');
    await table.getByTestId('strategy-easy-effort').selectOption('medium');
    await expect(table.getByTestId('strategy-saved')).toBeVisible();
    await expect
      .poll(async () => (await api(serverUrl(), 'settings.get')).controller?.strategies)
      .toMatchObject({ easy: { temperature: 0.2, effortLevel: 'medium' }, normal: { budgetFraction: 1.2 }, hard: { parallel: 'pdr' } });

    // persisted: reopen the dialog after a reload
    await page.reload();
    await page.getByTestId('open-settings').click();
    await expect(table.getByTestId('strategy-normal-budget')).toHaveValue('1.2');
    await expect(table.getByTestId('strategy-hard-parallel')).toHaveValue('pdr');
    await expect(table.getByTestId('strategy-easy-effort')).toHaveValue('medium');
    await page.getByTestId('settings-dialog').getByTestId('calibration').evaluate((e) => e.scrollIntoView({ block: 'end' }));
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-controller.png') });

    await table.getByTestId('strategy-reset').click();
    await expect(table.getByTestId('strategy-normal-budget')).toHaveValue(String(defaults.normal.budgetFraction));
    await expect(table.getByTestId('strategy-hard-parallel')).toHaveValue('none');
    await expect.poll(async () => (await api(serverUrl(), 'settings.get')).controller).toEqual(defaultControllerSettings);
  });

  test('calibration: shows the shipped probe, starts with progress, cancels and keeps the probe', async ({ page }) => {
    await openApp(page);
    await page.getByTestId('open-settings').click();
    const cal = page.getByTestId('settings-dialog').getByTestId('calibration');
    await expect(cal).toHaveAttribute('data-source', 'shipped');
    await expect(cal.getByTestId('probe-source')).toHaveText('Shipped with the model');
    await expect(cal.getByTestId('probe-accuracy')).toContainText('held-out accuracy');
    await expect(cal.getByTestId('probe-confusion').locator('td')).toHaveCount(9);

    await cal.getByTestId('calibration-start').click();
    const progress = cal.getByTestId('calibration-progress');
    await expect(progress).toBeVisible();
    await expect(cal).toHaveAttribute('data-running', 'true');
    // polled progress from probe.status: the host's phase and count
    await expect(cal.getByTestId('calibration-phase')).toContainText(/\d+ \/ 120/);
    await expect.poll(async () => Number(await progress.getAttribute('data-fraction')), { timeout: 60_000 }).toBeGreaterThan(0);
    expect((await api(serverUrl(), 'probe.status')).running).not.toBeNull();
    await progress.scrollIntoViewIfNeeded();
    await page.screenshot({ path: test.info().outputPath('calibration-running.png') });

    await cal.getByTestId('calibration-cancel').click();
    await expect(cal.getByTestId('calibration-outcome')).toHaveAttribute('data-outcome', 'cancelled', { timeout: 60_000 });
    await expect(progress).toHaveCount(0);
    await expect(cal).toHaveAttribute('data-running', 'false');
    await expect(cal).toHaveAttribute('data-source', 'shipped');
    const st = await api(serverUrl(), 'probe.status');
    expect(st.running).toBeNull();
    expect(st.source).toBe('shipped');
    await expect(cal.getByTestId('calibration-start')).toBeEnabled();
  });
});
