import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, externalUrl, isTrustedSenderUrl, navigationDecision, withCsp } from './security';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('sender check', () => {
  const file = { kind: 'file' as const, indexUrl: 'file:///opt/Reckon/resources/app.asar/out/renderer/index.html' };
  const dev = { kind: 'dev' as const, origin: 'http://localhost:5173' };

  it('accepts only the app page itself', () => {
    expect(isTrustedSenderUrl('file:///opt/Reckon/resources/app.asar/out/renderer/index.html', file)).toBe(true);
    expect(isTrustedSenderUrl('file:///opt/Reckon/resources/app.asar/out/renderer/index.html#/c/1', file)).toBe(true);
    expect(isTrustedSenderUrl('file:///tmp/evil.html', file)).toBe(false);
    expect(isTrustedSenderUrl('https://example.com/', file)).toBe(false);
    expect(isTrustedSenderUrl('about:blank', file)).toBe(false);
    expect(isTrustedSenderUrl(undefined, file)).toBe(false);
    expect(isTrustedSenderUrl('', file)).toBe(false);
  });

  it('accepts the dev server origin in development only', () => {
    expect(isTrustedSenderUrl('http://localhost:5173/index.html', dev)).toBe(true);
    expect(isTrustedSenderUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isTrustedSenderUrl('file:///x/index.html', dev)).toBe(false);
  });
});

describe('navigation policy', () => {
  it('never navigates the window; http(s) goes to the OS browser', () => {
    expect(navigationDecision('https://example.com/a')).toEqual({ action: 'open-external', url: 'https://example.com/a' });
    expect(navigationDecision('file:///etc/passwd')).toEqual({ action: 'deny' });
    expect(navigationDecision('javascript:alert(1)')).toEqual({ action: 'deny' });
    expect(navigationDecision('smb://host/share')).toEqual({ action: 'deny' });
    expect(externalUrl('not a url')).toBeNull();
  });
});

describe('CSP', () => {
  it('is strict and matches the meta tag of index.html', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).toContain('connect-src \'self\' ws://127.0.0.1:* ws://localhost:*');
    const html = readFileSync(join(__dirname, '../../src-renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY);
  });

  it('replaces any CSP header the response had', () => {
    const h = withCsp({ 'content-security-policy': ['default-src *'], 'X-Other': ['1'] });
    expect(h).toEqual({ 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});
