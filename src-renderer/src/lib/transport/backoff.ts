/** Reconnect delay for the given attempt (1-based): doubles from baseMs up to maxMs, no jitter (one local server). */
export function backoffDelay(attempt: number, baseMs = 250, maxMs = 5000): number {
  const n = Math.max(1, Math.floor(attempt));
  return Math.min(maxMs, baseMs * 2 ** (n - 1));
}

/** Reads the access token from a page URL's query (browser mode serves `/?token=...`). */
export function tokenFromUrl(href: string): string | null {
  try {
    return new URL(href).searchParams.get('token');
  } catch {
    return null;
  }
}

/** The WebSocket endpoint for a page served over http(s) by `reckon serve`. */
export function wsUrlFor(href: string, token: string | null): string {
  const u = new URL(href);
  const proto = u.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${proto}//${u.host}/api${q}`;
}
