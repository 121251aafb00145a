import { describe, expect, it } from 'vitest';
import { backoffDelay, tokenFromUrl, wsUrlFor } from './backoff';

describe('browser-mode addressing', () => {
  it('backs off exponentially up to a cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelay(n))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });
  it('derives the socket URL and token from the page URL', () => {
    const href = 'http://127.0.0.1:4567/?token=abc%2B1';
    expect(tokenFromUrl(href)).toBe('abc+1');
    expect(wsUrlFor(href, tokenFromUrl(href))).toBe('ws://127.0.0.1:4567/api?token=abc%2B1');
    expect(tokenFromUrl('not a url')).toBeNull();
  });
});
