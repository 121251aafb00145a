import { describe, expect, it } from 'vitest';
import type { ClientFrame } from '$common/api';
import type { ReckonBridge } from '$common/bridge';
import { ElectronClient } from './electronTransport';

/** A preload bridge double: records the frames sent, lets the test answer as main would. */
function fakeBridge(): ReckonBridge & { sent: ClientFrame[]; reply(frame: unknown): void; listeners: number } {
  const listeners = new Set<(f: unknown) => void>();
  const sent: ClientFrame[] = [];
  return {
    sent,
    get listeners() { return listeners.size; },
    send: (f) => { sent.push(f); },
    onFrame: (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    pickGguf: async () => '/models/m.gguf',
    reply: (f) => { for (const l of listeners) l(f); },
  };
}

describe('ElectronClient', () => {
  it('sends call frames over the bridge and resolves them from reply frames', async () => {
    const bridge = fakeBridge();
    const client = new ElectronClient(bridge);
    expect(bridge.listeners).toBe(1);
    const list = client.call('models.list');
    const get = client.call('conversations.get', { id: 'c1' });
    expect(bridge.sent).toEqual([{ kind: 'call', id: 1, method: 'models.list' }, { kind: 'call', id: 2, method: 'conversations.get', params: { id: 'c1' } }]);
    bridge.reply({ kind: 'error', id: 2, error: { code: 'UNAUTHORIZED', message: 'Refused: the request did not come from the Reckon window.' } });
    bridge.reply({ kind: 'result', id: 1, result: [] });
    await expect(list).resolves.toEqual([]);
    await expect(get).rejects.toMatchObject({ name: 'ReckonError', code: 'UNAUTHORIZED' });
    await expect(client.pickGguf()).resolves.toBe('/models/m.gguf');
  });

  it('delivers turn events from event frames', () => {
    const bridge = fakeBridge();
    const client = new ElectronClient(bridge);
    const seen: string[] = [];
    const off = client.onTurnEvent((e) => seen.push(e.type));
    bridge.reply({ kind: 'event', event: { type: 'answer', turnId: 't', text: 'a' } });
    off();
    bridge.reply({ kind: 'event', event: { type: 'answer', turnId: 't', text: 'b' } });
    expect(seen).toEqual(['answer']);
    expect(client.connection()).toEqual({ status: 'open' });
  });
});
