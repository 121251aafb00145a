import { describe, expect, it, vi } from 'vitest';
import { ReckonError } from '$common/errors';
import { backoffDelay, tokenFromUrl, wsUrlFor } from './backoff';
import { RpcCore, isServerFrame } from './rpc';

describe('RpcCore', () => {
  it('numbers calls and resolves them by id', async () => {
    const rpc = new RpcCore();
    const a = rpc.request('models.list', undefined);
    const b = rpc.request('conversations.get', { id: 'x' });
    expect(a.frame).toEqual({ kind: 'call', id: 1, method: 'models.list' });
    expect(b.frame).toEqual({ kind: 'call', id: 2, method: 'conversations.get', params: { id: 'x' } });
    expect(rpc.handleText(JSON.stringify({ kind: 'result', id: 2, result: 'B' }))).toBe(true);
    expect(rpc.handleText(JSON.stringify({ kind: 'result', id: 1, result: 'A' }))).toBe(true);
    await expect(a.reply).resolves.toBe('A');
    await expect(b.reply).resolves.toBe('B');
    expect(rpc.inFlight).toBe(0);
  });

  it('turns error frames into ReckonError with the stable code', async () => {
    const rpc = new RpcCore();
    const a = rpc.request('models.import', { path: '/x' });
    rpc.handleFrame({ kind: 'error', id: 1, error: { code: 'GGUF_INVALID', message: 'bad magic' } });
    await expect(a.reply).rejects.toMatchObject({ name: 'ReckonError', code: 'GGUF_INVALID', message: 'bad magic' });
  });

  it('fans event frames out and ignores junk', () => {
    const rpc = new RpcCore();
    const seen = vi.fn();
    const off = rpc.onEvent(seen);
    expect(rpc.handleText('not json')).toBe(false);
    expect(rpc.handleFrame({ kind: 'result', id: 99, result: 1 })).toBe(false);
    expect(rpc.handleFrame({ kind: 'event', event: { type: 'answer', turnId: 't', text: 'a' } })).toBe(true);
    off();
    rpc.handleFrame({ kind: 'event', event: { type: 'answer', turnId: 't', text: 'b' } });
    expect(seen).toHaveBeenCalledTimes(1);
    expect(isServerFrame({ kind: 'event', event: null })).toBe(false);
  });

  it('fails everything in flight when the connection drops', async () => {
    const rpc = new RpcCore();
    const a = rpc.request('system.info', undefined);
    rpc.failAll(new ReckonError('IO_ERROR', 'lost'));
    await expect(a.reply).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(rpc.inFlight).toBe(0);
  });
});

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
