import { expect, test, type Page } from '@playwright/test';
import type { Message } from '../src-main/common/types';
import { startScriptedHost, type ScriptedHost } from './scripted/client';

// A conversation of 300 messages (150 questions and answers) opens with its newest page only; scrolling to the top
// adds the earlier ones a page at a time, in order, without duplicates, until the first question is on screen.
const TURNS = 150;
const PAGE = 40;

function longConversation(): { id: string; title: string; updatedAt: string; messages: Message[] } {
  const messages: Message[] = [];
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  let parentId: string | null = null;
  for (let i = 0; i < TURNS; i++) {
    const at = new Date(t0 + i * 60_000).toISOString();
    messages.push({ id: `u${i}`, role: 'user', parentId, text: `Question ${i}`, createdAt: at, status: 'done' });
    messages.push({ id: `a${i}`, role: 'assistant', parentId: `u${i}`, text: `Answer ${i}`, createdAt: at, status: 'done', stopReason: 'eos' });
    parentId = `a${i}`;
  }
  return { id: 'long', title: 'Three hundred messages', updatedAt: new Date().toISOString(), messages };
}

const all = longConversation().messages.map((m) => m.id);

let host: ScriptedHost;
test.beforeEach(async () => {
  host = await startScriptedHost(60_000, { RECKON_E2E_CONVERSATIONS: JSON.stringify([longConversation()]) });
});
test.afterEach(async () => {
  await host.close();
});

/** The ids of the messages on the page, top to bottom. */
function shownIds(page: Page): Promise<string[]> {
  return page.locator('[data-testid="chat-view"] [data-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-id') ?? ''));
}

test('a 300-message conversation opens at its newest page; scrolling up loads older pages in order, no duplicates', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('conversation-item').filter({ hasText: 'Three hundred messages' }).click();
  const view = page.getByTestId('chat-view');
  await expect(view.locator(`[data-id="a${TURNS - 1}"]`)).toBeVisible();

  // First page: the newest PAGE messages, the last answer at the bottom and in view.
  await expect(view.locator('[data-id]')).toHaveCount(PAGE);
  expect(await shownIds(page)).toEqual(all.slice(-PAGE));
  await expect(page.getByTestId('show-earlier')).toContainText(`${all.length - PAGE} not shown`);

  // Each scroll to the top adds one page above; what is shown stays the newest tail of the conversation.
  for (let n = 2 * PAGE; ; n += PAGE) {
    const want = Math.min(n, all.length);
    await view.evaluate((el) => el.scrollTo({ top: 0 }));
    await expect(view.locator('[data-id]')).toHaveCount(want);
    const ids = await shownIds(page);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(all.slice(-want));
    if (want === all.length) break;
    // The page added above keeps the user's place: the top is no longer at scroll position 0.
    expect(await view.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
  }
  await expect(page.getByTestId('show-earlier')).toHaveCount(0);
  await expect(view.locator('[data-id="u0"]')).toContainText('Question 0');
});
