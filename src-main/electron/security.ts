/**
 * Pure security decisions for the Electron shell, kept free of Electron imports so they can be unit tested.
 */

/** The one Content-Security-Policy, sent as a header and mirrored by the meta tag in src-renderer/index.html. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Where the renderer is loaded from: the built file, or the dev server in `electron-vite dev`. */
export type AppLocation = { kind: 'file'; indexUrl: string } | { kind: 'dev'; origin: string };

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * True when an IPC message comes from the app's own page: the built index.html (same file path, any
 * query or hash) or, in development, the dev server's origin. Anything else (a navigated-away frame, an
 * iframe of another origin, about:blank) is refused.
 */
export function isTrustedSenderUrl(senderUrl: string | null | undefined, app: AppLocation): boolean {
  if (!senderUrl) return false;
  const u = parse(senderUrl);
  if (!u) return false;
  if (app.kind === 'dev') {
    const dev = parse(app.origin);
    return dev !== null && (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === dev.origin;
  }
  const index = parse(app.indexUrl);
  return index !== null && u.protocol === 'file:' && index.protocol === 'file:' && u.host === index.host && u.pathname === index.pathname;
}

/** A URL safe to hand to the OS browser (http/https only, never file:, javascript:, custom schemes). */
export function externalUrl(url: string): string | null {
  const u = parse(url);
  return u && (u.protocol === 'http:' || u.protocol === 'https:') ? u.toString() : null;
}

export type NavigationDecision = { action: 'deny' } | { action: 'open-external'; url: string };

/**
 * The renderer is a single page: it never navigates. Any navigation or window.open is refused; http(s)
 * links go to the OS browser instead.
 */
export function navigationDecision(url: string): NavigationDecision {
  const ext = externalUrl(url);
  return ext ? { action: 'open-external', url: ext } : { action: 'deny' };
}

/** Adds the CSP to a response's headers (replacing any the server sent). */
export function withCsp(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() !== 'content-security-policy') out[k] = v;
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return out;
}

/** Filters for the import dialog. */
export const GGUF_FILTERS = [{ name: 'GGUF models', extensions: ['gguf'] }];
