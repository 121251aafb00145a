/**
 * Every user-data file goes through the store: a corrupt receipt, probe, signing key or thread cache is set aside
 * with a notice and the rest of the host keeps working. Runs the real host in front of the scripted engine.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiMethod, ApiResult, ReckonApi } from '../common/api';
import type { EngineInitParams } from '../common/engineProtocol';
import type { Conversation } from '../common/types';
import type { Host } from './index';
import { machineKey } from './store/threadCache';
import { hostFixture, runTurn, type HostFixture } from './testing/hostFixture';

let fx: HostFixture;
let data: string;

beforeEach(async () => {
  // Every start gets a new engine, as a restart of the app does.
  fx = await hostFixture({ prefix: 'reckon-files-', stepMs: 1, freshEngine: true });
  ({ data } = fx);
});
afterEach(() => fx.dispose());

const open = (): Promise<Host> => fx.open();
const reopen = (): Promise<Host> => fx.reopen();

const call = <M extends ApiMethod>(h: Host, method: M, ...params: Parameters<ReckonApi[M]>): Promise<ApiResult<M>> => h.call(method, ...params);

/** Runs one turn to its end; returns the conversation it was stored in. */
async function turn(h: Host, text: string): Promise<Conversation> {
  const r = await runTurn(h, () => call(h, 'chat.send', { text }));
  return call(h, 'conversations.get', { id: r.conversationId });
}

async function asideIn(folder: string, name: string): Promise<string[]> {
  return (await readdir(folder)).filter((n) => n.startsWith(`${name}.corrupt-`));
}

describe('receipts on disk', () => {
  it('a message without a receipt is RECEIPT_NOT_FOUND, not CONVERSATION_NOT_FOUND', async () => {
    const h = await open();
    // An engine that could not fingerprint the turn: the answer stands, without a receipt.
    fx.engine.editResult = ({ fingerprints: _f, ...r }) => ({ ...r, fingerprintError: 'no embedding table' });
    const conv = await turn(h, 'What is 37+48?');
    const answer = conv.messages.find((m) => m.role === 'assistant')!;
    expect(answer.receiptError).toBeDefined();
    await expect(h.call('receipts.get', { messageId: answer.id })).rejects.toMatchObject({ code: 'RECEIPT_NOT_FOUND' });
    await expect(h.call('receipts.audit', { messageId: answer.id })).rejects.toMatchObject({ code: 'RECEIPT_NOT_FOUND' });
    await expect(h.call('receipts.get', { messageId: 'no-such-message' })).rejects.toMatchObject({ code: 'RECEIPT_NOT_FOUND' });
  });

  it('a corrupt receipt file is set aside with a notice; other receipts and the rest of the host keep working', async () => {
    // A real receipt first (the scripted engine fingerprints its thinking), then two bad files beside it.
    const first = await turn(await open(), 'What is 37+48?');
    const goodId = first.messages.find((m) => m.role === 'assistant')!.id;
    await writeFile(join(data, 'receipts', 'm-bad.json'), '{"version":1,"kind":"reckon-rec');
    await writeFile(join(data, 'receipts', 'm-shape.json'), JSON.stringify({ version: 1, kind: 'reckon-receipt', messageId: 7 }));
    const h = await reopen();
    await expect(h.call('receipts.get', { messageId: 'm-bad' })).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    await expect(h.call('receipts.get', { messageId: 'm-shape' })).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    expect(await asideIn(join(data, 'receipts'), 'm-bad.json')).toHaveLength(1);
    expect(await asideIn(join(data, 'receipts'), 'm-shape.json')).toHaveLength(1);
    const notices = await call(h, 'system.notices');
    expect(notices.map((n) => n.message)).toEqual([
      expect.stringMatching(/^Receipt file m-bad\.json was unreadable and was set aside \(as m-bad\.json\.corrupt-.*Other receipts are unaffected/),
      expect.stringMatching(/^Receipt file m-shape\.json was unreadable/),
    ]);
    // Set aside once: afterwards the receipt is simply not there.
    await expect(h.call('receipts.get', { messageId: 'm-bad' })).rejects.toMatchObject({ code: 'RECEIPT_NOT_FOUND' });
    const good = await call(h, 'receipts.get', { messageId: goodId });
    expect(good).toMatchObject({ messageId: goodId, question: 'What is 37+48?' });
    expect(good.store).toBeUndefined();
    expect((await turn(h, 'Still there?')).messages).toHaveLength(2);
  });
});

describe('the signing key on disk', () => {
  it('a corrupt key file is set aside with a notice and a new key is made', async () => {
    const first = await call(await open(), 'system.info');
    expect(first.receiptPublicKey).toMatch(/^[0-9a-f]{64}$/);
    // The same key on the next start.
    expect((await call(await reopen(), 'system.info')).receiptPublicKey).toBe(first.receiptPublicKey);
    await fx.host!.close();
    await writeFile(join(data, 'receipt-key.json'), 'garbage');
    const h = await reopen();
    const info = await call(h, 'system.info');
    expect(info.receiptPublicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(info.receiptPublicKey).not.toBe(first.receiptPublicKey);
    expect(await asideIn(data, 'receipt-key.json')).toHaveLength(1);
    const notices = await call(h, 'system.notices');
    expect(notices.map((n) => n.message)).toEqual([expect.stringMatching(/receipt signing key .*a new key was made.*can no longer be re-signed/)]);
    expect((await turn(h, 'Signed?')).messages).toHaveLength(2);
  });
});

describe('probes on disk', () => {
  it('a corrupt probe file is set aside with a notice; the model answers with the fallback plan', async () => {
    const h = await open();
    const [model] = await call(h, 'models.list');
    await mkdir(join(data, 'probes'));
    await writeFile(join(data, 'probes', `${model!.sha256}.json`), '{"version":1,"weights":');
    const status = await call(h, 'probe.status', {});
    expect(status).toMatchObject({ source: null, report: null });
    expect(await asideIn(join(data, 'probes'), `${model!.sha256}.json`)).toHaveLength(1);
    const notices = await call(h, 'system.notices');
    expect(notices.map((n) => n.message)).toEqual([expect.stringMatching(/^Probe file .* was unreadable and was set aside .*fallback plan/)]);
    const conv = await turn(h, 'What is 2+2?');
    expect(conv.messages.at(-1)).toMatchObject({ role: 'assistant', status: 'done' });
    // The turn's request named no probe file: there is none to use.
    const generate = fx.engine.calls.find((c) => c.method === 'generate');
    expect((generate?.params as { probePath?: unknown } | undefined)?.probePath).toBeNull();
  });
});

describe('the thread cache', () => {
  const load = async (h: Host): Promise<unknown> => {
    const [m] = await call(h, 'models.list');
    return call(h, 'models.load', { id: m!.id });
  };
  const inits = (): EngineInitParams[] => fx.engine.calls.filter((c) => c.method === 'init').map((c) => c.params as EngineInitParams);

  it('the host caches what the engine measured and hands it back on the next start; the engine writes no file', async () => {
    await writeFile(join(data, 'settings.json'), JSON.stringify({ threads: null }));
    let h = await open();
    // models.load waits for the engine's start, so init has been sent by then.
    expect(await load(h)).toMatchObject({ threads: 2, threadsSource: 'measured' });
    expect(inits()).toEqual([{ backend: 'auto', threads: null, cachedThreads: null }]);
    await fx.host!.close();
    const cache = JSON.parse(await readFile(join(data, 'threads-cache.json'), 'utf8')) as Record<string, { threads: number }>;
    expect(Object.keys(cache)).toEqual([machineKey()]);
    expect(cache[machineKey()]!.threads).toBe(2);
    h = await reopen();
    expect(await load(h)).toMatchObject({ threads: 2, threadsSource: 'cached' });
    expect(inits()).toEqual([{ backend: 'auto', threads: null, cachedThreads: 2 }]);
  });

  it('a corrupt thread cache is set aside with a notice and the engine measures again', async () => {
    await writeFile(join(data, 'settings.json'), JSON.stringify({ threads: null }));
    await writeFile(join(data, 'threads-cache.json'), JSON.stringify({ [machineKey()]: { threads: 'many' } }));
    const h = await open();
    expect(await load(h)).toMatchObject({ threadsSource: 'measured' });
    expect(inits()).toEqual([{ backend: 'auto', threads: null, cachedThreads: null }]);
    expect(await asideIn(data, 'threads-cache.json')).toHaveLength(1);
    const notices = await call(h, 'system.notices');
    expect(notices.map((n) => n.message)).toEqual([expect.stringMatching(/^The thread cache threads-cache\.json was unreadable .*measured again/)]);
    expect((await turn(h, 'Works?')).messages).toHaveLength(2);
    await fx.host!.close();
    // The new measurement replaced the bad file.
    expect(JSON.parse(await readFile(join(data, 'threads-cache.json'), 'utf8'))).toMatchObject({ [machineKey()]: { threads: 2 } });
  });
});
