import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionState } from './types';
import { TOKEN_ROTATED_CLOSE, WsClient } from './wsTransport';

/** A socket double: records what is sent and lets the test open, answer and drop it. */
class FakeSocket {
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {}
  send(t: string) {
    this.sent.push(t);
  }
  close() {
    this.drop(1000);
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  reply(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

describe('WsClient', () => {
  let sockets: FakeSocket[];
  let client: WsClient;
  let states: ConnectionState[];

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    states = [];
    client = new WsClient({ url: 'ws://127.0.0.1:1/api?token=t', createSocket: (u) => {
      const s = new FakeSocket(u);
      sockets.push(s);
      return s as unknown as WebSocket;
    } });
    client.onConnectionChange((s) => states.push(s));
  });
  afterEach(() => {
    client.close();
    vi.useRealTimers();
  });

  it('queues calls until the socket opens, then sends them', async () => {
    const p = client.call('models.list');
    expect(sockets[0]!.sent).toEqual([]);
    sockets[0]!.open();
    expect(JSON.parse(sockets[0]!.sent[0]!)).toEqual({ kind: 'call', id: 1, method: 'models.list' });
    sockets[0]!.reply({ kind: 'result', id: 1, result: [] });
    await expect(p).resolves.toEqual([]);
    expect(states.at(-1)).toEqual({ status: 'open' });
  });

  it('fails calls in flight on a drop and reconnects with backoff', async () => {
    sockets[0]!.open();
    const p = client.call('system.info');
    sockets[0]!.drop();
    await expect(p).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(states.at(-1)).toMatchObject({ status: 'closed', retryInMs: 250 });
    vi.advanceTimersByTime(250);
    expect(sockets).toHaveLength(2);
    sockets[1]!.drop();
    expect(states.at(-1)).toMatchObject({ status: 'closed', retryInMs: 500 });
    vi.advanceTimersByTime(500);
    sockets[2]!.open();
    expect(states.at(-1)).toEqual({ status: 'open' });
  });

  it('a socket closed for a rotated token says so, and keeps saying so when the retries with it are refused', () => {
    sockets[0]!.open();
    sockets[0]!.drop(TOKEN_ROTATED_CLOSE);
    const rotated = states.at(-1);
    expect(rotated).toMatchObject({ status: 'closed', reason: expect.stringMatching(/access token was replaced/) });
    vi.advanceTimersByTime(250);
    // The upgrade with the old token is refused: browsers report that as 1006, no reason of its own.
    sockets[1]!.drop(1006);
    expect(states.at(-1)).toMatchObject({ status: 'closed', reason: (rotated as { reason: string }).reason });
  });

  it('turns an error frame into a ReckonError with its code, and ignores text that is not a frame', async () => {
    sockets[0]!.open();
    const p = client.call('conversations.get', { id: 'nope' });
    sockets[0]!.onmessage?.({ data: '{not json' });
    sockets[0]!.reply({ kind: 'result', id: 99, result: 'not ours' });
    sockets[0]!.reply({ kind: 'error', id: 1, error: { code: 'CONVERSATION_NOT_FOUND', message: 'No conversation nope.', details: { id: 'nope' } } });
    await expect(p).rejects.toMatchObject({ name: 'ReckonError', code: 'CONVERSATION_NOT_FOUND', details: { id: 'nope' } });
  });

  it('fails calls waiting for a socket that never opens, and sends later calls on the next one', async () => {
    const waiting = client.call('models.list');
    sockets[0]!.drop();
    await expect(waiting).rejects.toMatchObject({ code: 'IO_ERROR' });
    vi.advanceTimersByTime(250);
    const next = client.call('settings.get');
    sockets[1]!.open();
    // Only the live call goes out: the failed one is not sent behind the caller's back.
    expect(sockets[1]!.sent.map((t) => JSON.parse(t) as unknown)).toEqual([{ kind: 'call', id: 2, method: 'settings.get' }]);
    sockets[1]!.reply({ kind: 'result', id: 2, result: { theme: 'dark' } });
    await expect(next).resolves.toEqual({ theme: 'dark' });
  });

  it('delivers turn events to subscribers', () => {
    const seen: string[] = [];
    client.onTurnEvent((e) => seen.push(e.type));
    sockets[0]!.open();
    sockets[0]!.reply({ kind: 'event', event: { type: 'thought', turnId: 't', text: 'x' } });
    sockets[0]!.reply({ kind: 'event', event: { type: 'answer', turnId: 't', text: 'y' } });
    expect(seen).toEqual(['thought', 'answer']);
  });
});
