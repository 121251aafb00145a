import { describe, expect, it, vi } from 'vitest';
import { ReckonError } from '../errors';
import { createPortPair } from './createPortPair';
import { isServerFrame } from './frames';
import { RpcClient } from './RpcClient';
import { RpcServer, type RpcDispatch } from './RpcServer';
import type { RpcCallFrame, RpcPort, RpcServerFrame } from './types';

/** A small method table of the shapes the real ones have: no params, required params, optional params, void. */
interface TestApi {
  'ping'(): Promise<'pong'>;
  'add'(p: { a: number; b: number }): Promise<number>;
  'greet'(p?: { name?: string }): Promise<string>;
  'fail'(p: { code: 'MODEL_NOT_FOUND' | 'BUSY' }): Promise<void>;
  'crash'(): Promise<void>;
}
type TestEvent = { type: 'tick'; n: number } | { type: 'tock' };

/** The dispatcher a real server has (router, EngineService.call): it owns the method table. */
const dispatch: RpcDispatch = async (method, params) => {
  const p = (params ?? {}) as Record<string, unknown>;
  switch (method) {
    case 'ping': return 'pong';
    case 'add': return (p['a'] as number) + (p['b'] as number);
    case 'greet': return `hello ${typeof p['name'] === 'string' ? p['name'] : 'you'}`;
    case 'fail': throw new ReckonError(p['code'] as 'BUSY', 'no luck', { tried: 2 });
    case 'crash': throw new TypeError('x is undefined');
    default: throw new ReckonError('BAD_REQUEST', `Unknown method '${method}'.`);
  }
};

function linked(): { client: RpcClient<TestApi, TestEvent>; server: RpcServer<TestEvent>; close(): void } {
  const pair = createPortPair<RpcCallFrame<keyof TestApi & string>, RpcServerFrame<TestEvent>>();
  const server = new RpcServer<TestEvent>(dispatch);
  server.serve(pair.b);
  const client = new RpcClient<TestApi, TestEvent>();
  client.connect(pair.a);
  return { client, server, close: pair.close };
}

/** A port the test drives by hand: records frames sent, delivers frames and a close. */
function manualPort<Out>(): RpcPort<Out> & { sent: Out[]; deliver(f: unknown): void; close(e?: ReckonError): void } {
  let frameCb: ((f: unknown) => void) | null = null;
  let closeCb: ((e?: ReckonError) => void) | null = null;
  const sent: Out[] = [];
  return {
    sent,
    send: (f) => { sent.push(f); },
    onFrame: (cb) => { frameCb = cb; },
    onClose: (cb) => { closeCb = cb; },
    deliver: (f) => frameCb?.(f),
    close: (e) => closeCb?.(e),
  };
}

describe('RpcClient + RpcServer over an in-memory port pair', () => {
  it('calls methods and resolves with their results', async () => {
    const { client } = linked();
    await expect(client.call('ping')).resolves.toBe('pong');
    await expect(client.call('add', { a: 2, b: 40 })).resolves.toBe(42);
    await expect(client.call('greet')).resolves.toBe('hello you');
    await expect(client.request('greet', { name: 'Ada' })).resolves.toBe('hello Ada');
    expect(client.inFlight).toBe(0);
  });

  it('carries a handler error as its payload: code, message and details survive the trip', async () => {
    const { client } = linked();
    const err = await client.call('fail', { code: 'MODEL_NOT_FOUND' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReckonError);
    expect(err).toMatchObject({ name: 'ReckonError', code: 'MODEL_NOT_FOUND', message: 'no luck', details: { tried: 2 } });
    // Anything else thrown is INTERNAL, its message kept.
    await expect(client.call('crash')).rejects.toMatchObject({ code: 'INTERNAL', message: 'x is undefined' });
  });

  it('an unknown method is BAD_REQUEST, and the server keeps serving', async () => {
    const { client } = linked();
    await expect(client.call('nope' as 'ping')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining("'nope'") });
    await expect(client.call('ping')).resolves.toBe('pong');
  });

  it('sends events to every port served, until a port closes or is dropped', () => {
    const server = new RpcServer<TestEvent>(dispatch);
    const one = manualPort<RpcServerFrame<TestEvent>>();
    const two = manualPort<RpcServerFrame<TestEvent>>();
    server.serve(one);
    const stopTwo = server.serve(two);
    server.emit({ type: 'tick', n: 1 });
    stopTwo();
    server.emit({ type: 'tick', n: 2 });
    one.close();
    server.emit({ type: 'tock' });
    expect(one.sent).toEqual([{ kind: 'event', event: { type: 'tick', n: 1 } }, { kind: 'event', event: { type: 'tick', n: 2 } }]);
    expect(two.sent).toEqual([{ kind: 'event', event: { type: 'tick', n: 1 } }]);
    expect(server.ports).toBe(0);
  });

  it('delivers events to subscribers; a throwing listener does not starve the others', () => {
    const { client, server } = linked();
    const failures: unknown[] = [];
    const quiet = new RpcClient<TestApi, TestEvent>({ onListenerError: (e) => failures.push(e) });
    const pair = createPortPair<RpcCallFrame<keyof TestApi & string>, RpcServerFrame<TestEvent>>();
    server.serve(pair.b);
    quiet.connect(pair.a);
    const seen: string[] = [];
    quiet.onEvent(() => { throw new Error('listener bug'); });
    quiet.onEvent((e) => seen.push(e.type));
    const off = client.onEvent((e) => seen.push(`main:${e.type}`));
    server.emit({ type: 'tick', n: 1 });
    off();
    server.emit({ type: 'tock' });
    expect(seen).toEqual(['main:tick', 'tick', 'tock']);
    expect(failures).toHaveLength(2);
  });
});

describe('RpcClient', () => {
  it('numbers calls, leaves out absent params, and matches replies by id in any order', async () => {
    const client = new RpcClient<TestApi, TestEvent>();
    const port = manualPort<RpcCallFrame<keyof TestApi & string>>();
    client.connect(port);
    const a = client.call('ping');
    const b = client.call('add', { a: 1, b: 2 });
    expect(port.sent).toEqual([{ kind: 'call', id: 1, method: 'ping' }, { kind: 'call', id: 2, method: 'add', params: { a: 1, b: 2 } }]);
    expect(client.handleFrame({ kind: 'result', id: 2, result: 3 })).toBe(true);
    expect(client.handleFrame({ kind: 'result', id: 1, result: 'pong' })).toBe(true);
    await expect(a).resolves.toBe('pong');
    await expect(b).resolves.toBe(3);
    expect(client.handleFrame({ kind: 'result', id: 1, result: 'again' })).toBe(false);
  });

  it('ignores junk frames and turns a malformed error reply into INTERNAL', async () => {
    const client = new RpcClient<TestApi, TestEvent>();
    const port = manualPort<RpcCallFrame<keyof TestApi & string>>();
    client.connect(port);
    const seen = vi.fn();
    client.onEvent(seen);
    const a = client.call('ping');
    for (const junk of ['text', null, [], { kind: 'result' }, { kind: 'event', event: null }, { kind: 'event', event: { n: 1 } }, { kind: 'other', id: 1 }]) {
      expect(client.handleFrame(junk)).toBe(false);
    }
    expect(seen).not.toHaveBeenCalled();
    port.deliver({ kind: 'error', id: 1, error: { code: 'NOT_A_CODE', message: 'x' } });
    await expect(a).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('rejects every call in flight when the port closes, with the error it gives or the link code', async () => {
    const client = new RpcClient<TestApi, TestEvent>({ linkErrorCode: 'ENGINE_UNAVAILABLE' });
    const first = manualPort<RpcCallFrame<keyof TestApi & string>>();
    client.connect(first);
    const a = client.call('ping');
    const b = client.call('add', { a: 1, b: 1 });
    first.close(new ReckonError('ENGINE_CRASHED', 'it died', { reason: 'SIGABRT' }));
    await expect(a).rejects.toMatchObject({ code: 'ENGINE_CRASHED', details: { reason: 'SIGABRT' } });
    await expect(b).rejects.toMatchObject({ code: 'ENGINE_CRASHED' });
    expect(client.connected).toBe(false);
    // Not connected and not queueing: a call rejects at once with the link code.
    await expect(client.call('ping')).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE' });

    const second = manualPort<RpcCallFrame<keyof TestApi & string>>();
    client.connect(second);
    const c = client.call('ping');
    // A late frame from the old port is ignored: it cannot settle a call on the new one.
    first.deliver({ kind: 'result', id: 3, result: 'stale' });
    second.close();
    await expect(c).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE', message: expect.stringContaining('closed') });
    expect(client.inFlight).toBe(0);
  });

  it('queues calls while disconnected when asked to, and sends them on connect', async () => {
    const client = new RpcClient<TestApi, TestEvent>({ queueWhileDisconnected: true });
    const a = client.call('add', { a: 1, b: 2 });
    expect(client.handleFrame({ kind: 'result', id: 1, result: 99 })).toBe(false); // not sent yet: no reply can match
    const port = manualPort<RpcCallFrame<keyof TestApi & string>>();
    client.connect(port);
    expect(port.sent).toEqual([{ kind: 'call', id: 1, method: 'add', params: { a: 1, b: 2 } }]);
    port.deliver({ kind: 'result', id: 1, result: 3 });
    await expect(a).resolves.toBe(3);
    const waiting = client.call('ping');
    client.disconnect();
    client.failAll(new ReckonError('IO_ERROR', 'gave up'));
    await expect(waiting).rejects.toMatchObject({ code: 'IO_ERROR' });
  });

  it('rejects a call its port cannot send, keeping a ReckonError code', async () => {
    const client = new RpcClient<TestApi, TestEvent>();
    client.connect({ send: () => { throw new ReckonError('ENGINE_CRASHED', 'gone'); }, onFrame: () => undefined, onClose: () => undefined });
    await expect(client.call('ping')).rejects.toMatchObject({ code: 'ENGINE_CRASHED' });
    client.connect({ send: () => { throw new Error('EPIPE'); }, onFrame: () => undefined, onClose: () => undefined });
    await expect(client.call('ping')).rejects.toMatchObject({ code: 'IO_ERROR', message: 'EPIPE' });
    expect(client.inFlight).toBe(0);
  });
});

describe('RpcServer', () => {
  it('answers malformed frames with BAD_REQUEST (their id when usable, else 0) and results with null for void', async () => {
    const server = new RpcServer<TestEvent>(async (m) => (m === 'void' ? undefined : 'ok'));
    const replies: unknown[] = [];
    const ask = (frame: unknown): Promise<unknown> => new Promise((r) => server.handleFrame(frame, (f) => { replies.push(f); r(f); }));
    const all = Promise.all([ask('not a frame'), ask({ kind: 'call', id: 7 }), ask({ kind: 'call', id: 1.5, method: 'x' }), ask({ kind: 'call', id: 8, method: 'void' })]);
    expect(replies).toEqual([]); // never before handleFrame returns
    expect(await all).toEqual([
      { kind: 'error', id: 0, error: expect.objectContaining({ code: 'BAD_REQUEST' }) },
      { kind: 'error', id: 7, error: expect.objectContaining({ code: 'BAD_REQUEST' }) },
      { kind: 'error', id: 0, error: expect.objectContaining({ code: 'BAD_REQUEST' }) },
      { kind: 'result', id: 8, result: null },
    ]);
  });

  it('turns a dispatcher that throws synchronously into an error reply', async () => {
    const server = new RpcServer<TestEvent>(() => { throw new ReckonError('BUSY', 'later'); });
    const got = new Promise((r) => server.handleFrame({ kind: 'call', id: 1, method: 'x' }, r));
    await expect(got).resolves.toEqual({ kind: 'error', id: 1, error: { code: 'BUSY', message: 'later' } });
  });

  it('keeps serving when the peer is gone before the reply', async () => {
    const server = new RpcServer<TestEvent>(async () => 'ok');
    const after = new Promise((r) => server.handleFrame({ kind: 'call', id: 2, method: 'x' }, r));
    server.handleFrame({ kind: 'call', id: 1, method: 'x' }, () => { throw new Error('socket closed'); });
    await expect(after).resolves.toEqual({ kind: 'result', id: 2, result: 'ok' });
  });
});

describe('frames', () => {
  it('recognises server frames', () => {
    expect(isServerFrame({ kind: 'result', id: 1 })).toBe(true); // JSON drops an undefined result
    expect(isServerFrame({ kind: 'error', id: 1, error: {} })).toBe(true);
    expect(isServerFrame({ kind: 'event', event: { type: 'x' } })).toBe(true);
    expect(isServerFrame({ kind: 'event', event: null })).toBe(false);
    expect(isServerFrame({ kind: 'result', id: '1' })).toBe(false);
  });
});
