import { expect, test } from '@playwright/test';
import { exportPublicKeyHex, generateReceiptKeyPair, keyFingerprint } from '../src-main/common/receipts';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

/**
 * Settings > Trusted keys against the real host (scripted engine: no model needed): this install's key with its
 * fingerprint and an export, a pasted key trusted with a label and removed again, and a small-order key refused.
 */
test.describe('trusted keys in Settings', () => {
  let scripted: ScriptedHost;
  test.beforeEach(async () => {
    scripted = await startScriptedHost();
  });
  test.afterEach(async () => {
    await scripted.close();
  });

  test('shows this install\'s key, imports a pasted key with a label, refuses the identity key, removes a key', async ({ page }) => {
    await page.goto(scripted.url);
    await page.getByTestId('open-settings').click();
    const section = page.getByTestId('settings-receipts');
    const own = (await section.getByTestId('receipt-public-key').textContent())!.trim();
    expect(own).toMatch(/^[0-9a-f]{64}$/);
    await expect(section.getByTestId('own-key-fingerprint')).toHaveText(keyFingerprint(own));
    await expect(section.getByTestId('trusted-keys-empty')).toBeVisible();

    // export: the JSON `reckon keys import` reads
    const [download] = await Promise.all([page.waitForEvent('download'), section.getByTestId('export-public-key').click()]);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toEqual({ publicKey: own, fingerprint: keyFingerprint(own) });

    // the identity point (a small-order key that "verifies" anything under permissive Ed25519) is refused
    await section.getByTestId('trust-key-input').fill(`01${'00'.repeat(31)}`);
    await section.getByTestId('trust-key-submit').click();
    await expect(section.getByTestId('trust-key-error')).toContainText('Refused to trust this key');
    await expect(section.getByTestId('trusted-key')).toHaveCount(0);

    // a real issuer key, pasted as its exported JSON, with a label
    const other = await exportPublicKeyHex((await generateReceiptKeyPair()).publicKey);
    await section.getByTestId('trust-key-input').fill(JSON.stringify({ publicKey: other }));
    await section.getByTestId('trust-key-label').fill('lab server');
    await section.getByTestId('trust-key-submit').click();
    const row = section.getByTestId('trusted-key');
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute('data-key', other);
    await expect(row).toHaveAttribute('data-source', 'pinned');
    await expect(row).toContainText(keyFingerprint(other));
    await expect(row).toContainText('lab server');
    await expect(section.getByTestId('trust-key-error')).toHaveCount(0);
    await expect(section.getByTestId('trust-key-input')).toHaveValue('');

    // it survives a reload (the host keeps it), then is removed
    await page.reload();
    await page.getByTestId('open-settings').click();
    await expect(page.getByTestId('trusted-key')).toHaveAttribute('data-key', other);
    await page.getByTestId('remove-trusted-key').click();
    await expect(page.getByTestId('trusted-key')).toHaveCount(0);
    await expect(page.getByTestId('trusted-keys-empty')).toBeVisible();
  });
});
