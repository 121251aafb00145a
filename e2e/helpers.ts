import { expect, type Page } from '@playwright/test';
import { join } from 'node:path';
import { repoRoot } from './server';

/** The model the real-host specs run on; the global setup fails when it is missing (the app ships it). */
export const BUNDLED_MODEL = join(repoRoot, 'models', 'reckon-arith.gguf');
/**
 * Where specs write screenshots: inside Playwright's output folder (ignored, emptied at the start of every run).
 * `npm run screenshots` copies the README's one into docs/ on purpose.
 */
export const SCREENSHOTS = join(repoRoot, 'test-results', 'screenshots');

export function serverUrl(): string {
  const u = process.env['RECKON_E2E_URL'];
  if (!u) throw new Error('RECKON_E2E_URL is not set: the global setup did not run');
  return u;
}

/** Opens the app and waits until it talks to the host. */
export async function openApp(page: Page): Promise<void> {
  await page.goto(serverUrl());
  await expect(page.getByTestId('status-chip')).not.toHaveAttribute('data-state', 'offline');
  await expect(page.getByTestId('composer-input')).toBeVisible();
}

export async function newChat(page: Page): Promise<void> {
  await page.getByTestId('new-chat').click();
  await expect(page.getByTestId('empty-state')).toBeVisible();
}

export async function ask(page: Page, text: string): Promise<void> {
  const input = page.getByTestId('composer-input');
  await input.fill(text);
  await input.press('Enter');
}

export async function setTheme(page: Page, theme: 'light' | 'dark' | 'system'): Promise<void> {
  await page.getByTestId('open-settings').click();
  await page.getByTestId(`theme-${theme}`).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
  await page.getByTestId('settings-dialog').getByRole('button', { name: 'Close' }).click();
}
