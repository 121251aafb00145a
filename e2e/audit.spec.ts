import { expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReceiptExport } from '../src-main/common/receiptApi';
import { SCREENSHOTS, ask, newChat, openApp } from './helpers';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

/**
 * Hidden-token receipts in the UI (docs/receipts.md): the Audit action on an answer, the audit panel (verdict,
 * checks, counts against the ledger), the audited badge that survives a reload, the JSON export and the
 * install's public key in Settings. Real host and the bundled model.
 */
test.describe('receipt audit with the bundled model', () => {
  test('audits an answer, shows the verdict and counts, exports the receipt; the badge survives a reload', async ({ page }) => {
    await openApp(page);
    await newChat(page);
    await ask(page, 'What is 23+19?');
    const msg = page.getByTestId('message-assistant').last();
    await expect(msg).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
    await expect(msg.getByTestId('turn-receipt')).toHaveText('receipt');

    const ledger = msg.getByTestId('ledger');
    const billed = Number(await ledger.getAttribute('data-billed'));
    const prompt = Number(await ledger.getAttribute('data-prompt'));
    const visible = Number(await ledger.getAttribute('data-visible'));
    const hidden = billed - prompt - visible; // thinking + overhead
    expect(hidden).toBeGreaterThan(0);

    await msg.getByTestId('audit-button').click();
    const panel = page.getByTestId('audit-panel');
    await expect(panel).toBeVisible();
    const verdict = panel.getByTestId('audit-verdict');
    await expect(verdict).toHaveAttribute('data-ok', 'true', { timeout: 60_000 });
    await expect(verdict).toContainText('Pass');
    await expect(panel.getByTestId('audit-confidence')).toHaveText(/\d+ opened leaves catch an inflation of 10 % of the hidden count with [>\d. ]+ % probability\./);
    await expect(panel.getByTestId('audit-progress')).toHaveCount(0);

    // the signed count equals the ledger's hidden tokens, and the tree size too
    const total = panel.getByTestId('audit-count-hidden');
    await expect(total).toHaveAttribute('data-receipt', String(hidden));
    await expect(total).toHaveAttribute('data-ledger', String(hidden));
    await expect(panel.getByTestId('audit-tree-size')).toHaveText(`${hidden} leaves`);
    const root = (await panel.getByTestId('audit-root').textContent())!.trim();
    expect(root).toMatch(/^[0-9a-f]{64}$/);
    await expect(panel.getByTestId('audit-public-key')).toContainText('this install');

    // every check passed, the bit-exact and the semantic ones
    const checks = panel.getByTestId('audit-check');
    const names = await checks.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-name')}:${e.getAttribute('data-passed')}`));
    for (const n of ['receipt', 'model', 'proofs', 'block-records', 'token-embedding', 'token-block-consistency', 'block-relevance', 'duplicate-block', 'filler']) {
      expect(names).toContain(`${n}:true`);
    }
    expect(names.every((n) => n.endsWith(':true'))).toBe(true);

    await page.mouse.move(0, 0);
    await page.setViewportSize({ width: 1280, height: 1180 });
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-panel.png') });
    const theme = await page.evaluate(() => document.documentElement.getAttribute('data-theme'));
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await page.waitForTimeout(400); // let the colour transitions finish
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-panel-dark.png') });
    await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t ?? 'system'), theme);
    await page.setViewportSize({ width: 1280, height: 800 });

    // export: a JSON download whose root matches, without the provider store by default
    const [download] = await Promise.all([page.waitForEvent('download'), panel.getByTestId('audit-export').click()]);
    expect(download.suggestedFilename()).toMatch(/^reckon-receipt-[A-Za-z0-9-]+\.json$/);
    const exp = JSON.parse(await readFile((await download.path())!, 'utf8')) as ReceiptExport;
    expect(exp.kind).toBe('reckon-receipt');
    expect(exp.receipt.root).toBe(root);
    expect(exp.receipt.treeSize).toBe(hidden);
    expect(exp.question).toBe('What is 23+19?');
    expect(exp.store).toBeUndefined();
    // with the provider store when asked
    await panel.getByTestId('audit-include-store').check();
    const [withStore] = await Promise.all([page.waitForEvent('download'), panel.getByTestId('audit-export').click()]);
    expect(withStore.suggestedFilename()).toMatch(/-with-store\.json$/);
    const exp2 = JSON.parse(await readFile((await withStore.path())!, 'utf8')) as ReceiptExport;
    expect(exp2.store?.receipt.root).toBe(root);

    // Verify by replay: the host re-runs the committed (greedy) plan and gets the identical tree
    await panel.getByTestId('audit-replay').click();
    const replay = panel.getByTestId('replay-verdict');
    await expect(replay).toHaveAttribute('data-outcome', 'identical', { timeout: 90_000 });
    await expect(replay).toHaveAttribute('data-ok', 'true');
    await expect(panel.getByTestId('replay-meaning')).toHaveText(/^PASSED: re-running the committed plan with this model produced the identical tree/);
    await expect(panel.getByTestId('replay-progress')).toHaveCount(0);

    // close: the ledger shows the audited badge
    await panel.getByTestId('audit-close').click();
    await expect(panel).toBeHidden();
    await expect(msg.getByTestId('turn-receipt')).toHaveText('receipt ✓ audited');

    // reload: the host stored the audit on the message
    await page.reload();
    const item = page.getByTestId('conversation-item').filter({ hasText: '23+19' });
    await expect(item).toBeVisible();
    await item.getByRole('button').first().click();
    const restored = page.getByTestId('message-assistant').last();
    await expect(restored.getByTestId('answer')).toBeVisible();
    await expect(restored.getByTestId('turn-receipt')).toHaveText('receipt ✓ audited');

    // settings: this install's public key (the one that signed the receipt), with a copy button
    await page.getByTestId('open-settings').click();
    const key = page.getByTestId('receipt-public-key');
    await expect(key).toHaveText(/^[0-9a-f]{64}$/);
    expect((await key.textContent())!.trim()).toBe(exp.receipt.publicKey);
    await expect(page.getByTestId('copy-public-key')).toBeVisible();
  });
});

test.describe('receipt audit errors (scripted engine)', () => {
  let scripted: ScriptedHost;
  test.beforeEach(async () => {
    scripted = await startScriptedHost();
  });
  test.afterEach(async () => {
    await scripted.close();
  });

  test('a failing audit call is shown in the panel, and the panel closes', async ({ page }) => {
    await page.goto(scripted.url);
    await expect(page.getByTestId('composer-input')).toBeVisible();
    await scripted.open('thinking');
    await ask(page, 'What is 37+48?');
    const msg = page.getByTestId('message-assistant').last();
    await expect(msg).toHaveAttribute('data-status', 'done');
    await expect(msg.getByTestId('turn-receipt')).toHaveText('receipt');
    // the real host issued and stored the receipt; the engine then refuses the audit's embedding rows
    await scripted.failNext('embeddingRows', 'BAD_REQUEST', 'scripted: the engine refused the audit rows');
    await msg.getByTestId('audit-button').click();
    const panel = page.getByTestId('audit-panel');
    const err = panel.getByTestId('audit-error');
    await expect(err).toBeVisible();
    await expect(err).toContainText('BAD_REQUEST');
    await expect(err).toContainText('the engine refused the audit rows');
    await expect(panel.getByTestId('audit-verdict')).toHaveCount(0);
    await panel.getByTestId('audit-close').click();
    await expect(panel).toBeHidden();
    await expect(msg.getByTestId('turn-receipt')).toHaveText('receipt');
  });
});
