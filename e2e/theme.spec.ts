import { expect, test } from '@playwright/test';
import { openApp, setTheme } from './helpers';

const bg = (page: import('@playwright/test').Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

function luminance(rgb: string): number {
  const [r = 0, g = 0, b = 0] = (rgb.match(/\d+/g) ?? []).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

test('switches between light and dark, and the choice is stored', async ({ page }) => {
  await openApp(page);
  await setTheme(page, 'dark');
  expect(luminance(await bg(page))).toBeLessThan(0.2);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');

  await setTheme(page, 'light');
  expect(luminance(await bg(page))).toBeGreaterThan(0.9);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
});
