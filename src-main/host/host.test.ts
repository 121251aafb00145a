import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientFrame, SendParams, ServerFrame } from '../common/api';
import { ReckonError, type ErrorCode } from '../common/errors';
import { createPortPair } from '../common/rpc/createPortPair';
import type { TurnEvent } from '../common/events';
import type { Conversation } from '../common/types';
import type { ReceiptExport } from '../common/receiptApi';
import { MerkleTree, ReceiptProvider, fingerprintSegments, leafBytes, makeEmbeddingSpec, toHex, verifyReceipt } from '../common/receipts';
import { createHost, type Host } from './index';
import { parseStreamJournal, replayStreamJournal } from './store/StreamJournal';
import { fakeEmbeddingTable, fakeEngine, fakeHiddenTokens, type FakeEngineControl } from './testing/fakeEngine';

let dir: string;
let modelsDir: string;
let host: Host | null = null;
let engine: FakeEngineControl;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reckon-host-'));
  modelsDir = join(dir, 'models');
  await mkdir(modelsDir);
  await writeFile(join(modelsDir, 'reckon-arith.gguf'), Buffer.from('GGUF-fake-bundled-model'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1 }));
  engine = fakeEngine();
});
afterEach(async () => {
  await host?.close();
  host = null;
  await rm(dir, { recursive: true, force: true });
});

async function open(): Promise<Host> {
  host = await createHost({ userDataDir: join(dir, 'data'), modelsDir, shell: 'cli', spawnEngine: engine.spawner });
  return host;
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

/** Runs one turn and collects its events until done/error. */
async function turn(h: Host, params: SendParams, during?: (turnId: string) => void): Promise<{ turnId: string; conversationId: string; events: TurnEvent[] }> {
  const events: TurnEvent[] = [];
  let finish!: () => void;
  const ended = new Promise<void>((r) => { finish = r; });
  let id = '';
  const off = h.onTurnEvent((e) => {
    events.push(e);
    if (e.turnId === id && (e.type === 'done' || e.type === 'error')) finish();
    if (e.turnId === id && e.type === 'thought' && during) { during(id); during = undefined; }
  });
  const r = await h.call('chat.send', params);
  id = r.turnId;
  await ended;
  off();
  return { ...r, events: events.filter((e) => e.turnId === id) };
}

/**
 * One call as a remote door makes it: a raw frame through `host.serve`, params unchecked by the compiler (what a
 * WebSocket or IPC peer may send). Rejects with the reply's ReckonError.
 */
async function rawCall(h: Host, method: string, params: unknown): Promise<unknown> {
  const link = createPortPair<ClientFrame, ServerFrame>();
  const stop = h.serve(link.b);
  try {
    return await new Promise((resolve, reject) => {
      link.a.onFrame((f) => {
        const frame = f as ServerFrame;
        if (frame.kind === 'result') resolve(frame.result);
        else if (frame.kind === 'error') reject(ReckonError.fromPayload(frame.error));
      });
      link.a.send({ kind: 'call', id: 1, method: method as ClientFrame['method'], params });
    });
  } finally {
    stop();
    link.close();
  }
}

describe('router', () => {
  it('rejects unknown methods and malformed params with BAD_REQUEST', async () => {
    const h = await open();
    const bad: [string, unknown][] = [
      ['nope.method', {}],
      ['chat.send', {}],
      ['chat.send', { text: 42 }],
      ['chat.send', { text: '   ' }],
      ['chat.send', { text: 'hi', extra: 1 }],
      ['chat.send', { text: 'hi', maxTokens: -1 }],
      ['chat.send', 'hi'],
      ['conversations.get', { id: 5 }],
      ['conversations.rename', { id: 'x' }],
      ['settings.update', { threads: 'many' }],
      ['settings.update', { unknown: true }],
      ['settings.update', null],
      ['models.import', {}],
      ['system.info', { x: 1 }],
      ['chat.stop', []],
    ];
    for (const [m, p] of bad) await expectCode(rawCall(h, m, p), 'BAD_REQUEST');
    // The in-process door goes through the same router: params the compiler was talked out of are still checked.
    await expectCode(h.call('conversations.get', { id: 5 as unknown as string }), 'BAD_REQUEST');
    await expect(rawCall(h, 'settings.get', undefined)).resolves.toMatchObject({ threads: 1 });
    await expectCode(h.call('conversations.get', { id: 'nope' }), 'CONVERSATION_NOT_FOUND');
  });

  it('settings: defaults, update, persisted', async () => {
    const h = await open();
    expect(await h.call('settings.get')).toMatchObject({ threads: 1, maxTokens: 1024, backend: 'auto' });
    await h.call('settings.update', { maxTokens: 64, theme: 'dark' });
    await h.call('models.list');
    const inits = engine.calls.filter((c) => c.method === 'init').length;
    await h.call('settings.update', { threads: 2 });
    expect(engine.calls.filter((c) => c.method === 'init')).toHaveLength(inits + 1);
    expect(engine.calls.filter((c) => c.method === 'init').at(-1)!.params).toMatchObject({ threads: 2 });
    await h.call('settings.update', { threads: 1 });
    await h.close();
    const h2 = await open();
    expect(await h2.call('settings.get')).toMatchObject({ threads: 1, maxTokens: 64, theme: 'dark' });
  });
});

describe('models', () => {
  it('registers bundled models on start, imports, hides bundled and removes imported without deleting files', async () => {
    const h = await open();
    const list = await h.call('models.list');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ bundled: true, name: 'reckon-arith' });

    const bogus = join(dir, 'bogus.gguf');
    await writeFile(bogus, 'not a gguf');
    await expectCode(h.call('models.import', { path: bogus }), 'GGUF_INVALID');
    await expectCode(h.call('models.import', { path: join(dir, 'missing.gguf') }), 'MODEL_NOT_FOUND');
    expect(await h.call('models.list')).toHaveLength(1);

    const mine = join(dir, 'mine.gguf');
    await writeFile(mine, 'GGUF-user-model');
    const imported = await h.call('models.import', { path: mine });
    expect(imported.bundled).toBe(false);
    expect(await h.call('models.list')).toHaveLength(2);

    await h.call('models.remove', { id: imported.id });
    await h.call('models.remove', { id: list[0]!.id });
    expect(await h.call('models.list')).toHaveLength(0);
    expect(await readFile(mine, 'utf8')).toBe('GGUF-user-model');
    expect(await readdir(modelsDir)).toContain('reckon-arith.gguf');
    // Hidden stays hidden after a restart; re-importing a bundled file shows it again.
    await h.close();
    const h2 = await open();
    expect(await h2.call('models.list')).toHaveLength(0);
    await h2.call('models.import', { path: join(modelsDir, 'reckon-arith.gguf') });
    expect(await h2.call('models.list')).toMatchObject([{ bundled: true }]);
  });

  it('an imported model is named after its file; the GGUF\'s general.name is kept as metadataName', async () => {
    // The engine reports general.name as `name` (the file name when there is none).
    const builtIn = { ...engine.script };
    engine.script = {
      inspect: async (params) => {
        const path = String((params as { path: string }).path);
        const buf = await readFile(path);
        const sha = createHash('sha256').update(buf).digest('hex');
        return {
          id: sha.slice(0, 16), name: path.endsWith('nameless.gguf') ? 'nameless' : 'Qwen3 8B', path, sizeBytes: buf.length, sha256: sha,
          architecture: 'qwen3', parameters: 1000, quantization: 'Q4_K_M', contextLength: 256, chatTemplate: 'chatml-think', thinking: true,
        };
      },
    };
    const h = await open();
    const q4 = join(dir, 'Qwen3-8B-Q4_K_M.gguf');
    await writeFile(q4, 'GGUF-q4');
    const split = join(dir, 'Qwen3-8B-Q8_0-00001-of-00002.gguf');
    await writeFile(split, 'GGUF-q8-part-1');
    const nameless = join(dir, 'nameless.gguf');
    await writeFile(nameless, 'GGUF-nameless');
    expect(await h.call('models.import', { path: q4 })).toMatchObject({ name: 'Qwen3-8B-Q4_K_M', metadataName: 'Qwen3 8B' });
    expect(await h.call('models.import', { path: split })).toMatchObject({ name: 'Qwen3-8B-Q8_0', metadataName: 'Qwen3 8B' });
    expect(await h.call('models.import', { path: nameless })).toMatchObject({ name: 'nameless', metadataName: null });
    // The same after a restart (models.json keeps what inspect read; the name comes from the path).
    await h.close();
    engine.script = builtIn;
    const h2 = await open();
    const names = (await h2.call('models.list')).map((m) => [m.name, m.metadataName]);
    expect(names).toEqual(expect.arrayContaining([['Qwen3-8B-Q4_K_M', 'Qwen3 8B'], ['Qwen3-8B-Q8_0', 'Qwen3 8B'], ['nameless', null]]));
  });

  it('re-inspects a bundled model replaced by a file of the same size (new weights, new sha256)', async () => {
    const h = await open();
    const [before] = await h.call('models.list');
    await h.close();
    const path = join(modelsDir, 'reckon-arith.gguf');
    const old = await readFile(path);
    const updated = Buffer.from(old.toString('latin1').replace('bundled', 'BUNDLED'), 'latin1');
    expect(updated.length).toBe(old.length);
    await writeFile(path, updated);
    await utimes(path, new Date(), new Date(Date.now() + 5_000));
    const h2 = await open();
    const [after] = await h2.call('models.list');
    expect(after!.sizeBytes).toBe(before!.sizeBytes);
    expect(after!.sha256).not.toBe(before!.sha256);
    expect(after!.sha256).toBe(createHash('sha256').update(updated).digest('hex'));
  });
});

describe('chat', () => {
  it('streams a turn, persists it, titles the conversation, and keeps history for the next turn', async () => {
    const h = await open();
    const t = await turn(h, { text: 'What is 37+48?' });
    expect(t.events.map((e) => e.type)).toEqual(['start', 'thought', 'thought', 'thought', 'thought-end', 'answer', 'answer', 'ledger', 'done']);
    const conv = await h.call('conversations.get', { id: t.conversationId });
    expect(conv.title).toBe('What is 37+48?');
    expect(conv.messages[1]).toMatchObject({ role: 'assistant', text: 'The answer is 85.', status: 'done' });
    expect(conv.messages[1]!.thinking).toContain('7+8=15');
    const onDisk = JSON.parse(await readFile(join(dir, 'data', 'conversations', `${t.conversationId}.json`), 'utf8')) as Conversation;
    expect(onDisk.messages[1]!.status).toBe('done');

    await turn(h, { conversationId: t.conversationId, text: 'And 1+1?' });
    const gen = engine.calls.filter((c) => c.method === 'generate');
    expect(gen[1]!.params).toMatchObject({ chatKey: t.conversationId, history: [{ role: 'user', text: 'What is 37+48?' }, { role: 'assistant', text: 'The answer is 85.' }], question: 'And 1+1?' });

    const found = await h.call('conversations.list', { query: 'answer is 85' });
    expect(found.map((c) => c.id)).toEqual([t.conversationId]);
    expect(await h.call('conversations.list', { query: 'zebra' })).toEqual([]);
    await h.call('conversations.rename', { id: t.conversationId, title: 'Sums' });
    expect(await h.call('conversations.list')).toMatchObject([{ title: 'Sums', messageCount: 4 }]);
    await h.call('conversations.delete', { id: t.conversationId });
    expect(await h.call('conversations.list')).toEqual([]);
  });

  it('a turn whose first save fails is refused with the save error and leaves the conversation as it was', async () => {
    const h = await open();
    const first = await turn(h, { text: 'What is 37+48?' });
    const file = join(dir, 'data', 'conversations', `${first.conversationId}.json`);
    const before = await readFile(file, 'utf8');
    // A folder with a file in it where the conversation file is: the atomic rename over it fails.
    await rm(file);
    await mkdir(file);
    await writeFile(join(file, 'blocker'), 'x');
    const events: TurnEvent[] = [];
    const off = h.onTurnEvent((e) => events.push(e));
    await expect(h.call('chat.send', { conversationId: first.conversationId, text: 'And 1+1?' })).rejects.toMatchObject({ code: 'IO_ERROR' });
    const conv = await h.call('conversations.get', { id: first.conversationId });
    expect(conv.messages.map((m) => m.text)).toEqual(['What is 37+48?', 'The answer is 85.']);
    expect(conv.leafId).toBe(conv.messages[1]!.id);

    // Once the file can be written again the conversation goes on from where it was: nothing of the failed turn.
    await rm(file, { recursive: true });
    await writeFile(file, before);
    const next = await turn(h, { conversationId: first.conversationId, text: 'And 2+2?' });
    off();
    expect(next.events.at(-1)).toMatchObject({ type: 'done' });
    // The engine serves requests in order, so anything the refused turn streamed came before this one ended.
    expect(events.filter((e) => e.turnId !== next.turnId)).toEqual([]);
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as Conversation;
    expect(onDisk.messages.map((m) => m.text)).toEqual(['What is 37+48?', 'The answer is 85.', 'And 2+2?', 'The answer is 85.']);

    // A new conversation whose first save fails is not listed afterwards.
    const conversations = join(dir, 'data', 'conversations');
    await rm(conversations, { recursive: true });
    await writeFile(conversations, 'not a folder');
    await expect(h.call('chat.send', { text: 'What is 5+5?' })).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect((await h.call('conversations.list')).map((c) => c.id)).toEqual([first.conversationId]);
  });

  it('an engine crash mid-turn ends the turn as ENGINE_CRASHED with the partial text kept, and the next turn works', async () => {
    const h = await open();
    const t = await turn(h, { text: 'What is 37+48?' }, () => engine.crash());
    const err = t.events.at(-1)!;
    expect(err.type).toBe('error');
    if (err.type !== 'error') return;
    expect(err.error.code).toBe('ENGINE_CRASHED');
    // told once the restart succeeded, naming the model
    expect(err.error.message).toBe('The engine running reckon-arith stopped unexpectedly (signal SIGABRT). It has been restarted; your conversation is safe - ask again.');
    expect(err.error.details).toMatchObject({ restart: 'restarted', restarted: true, how: 'signal SIGABRT', signal: 'SIGABRT', model: 'reckon-arith' });
    const onDisk = JSON.parse(await readFile(join(dir, 'data', 'conversations', `${t.conversationId}.json`), 'utf8')) as Conversation;
    expect(onDisk.messages[1]).toMatchObject({ status: 'error', error: { code: 'ENGINE_CRASHED' } });
    expect(onDisk.messages[1]!.thinking).toBe('37+48: ');

    const t2 = await turn(h, { conversationId: t.conversationId, text: 'What is 37+48?' });
    expect(t2.events.at(-1)).toMatchObject({ type: 'done', status: 'done' });
    const info = await h.call('system.info');
    expect(info.engine).toMatchObject({ state: 'ready', restarts: 1 });
    expect(engine.spawned).toBe(2);
    expect(engine.calls.filter((c) => c.method === 'init')).toHaveLength(2);
  });

  it('chat.stop ends the turn as stopped with the partial text; BUSY while a turn runs', async () => {
    const h = await open();
    engine.stepMs = 40;
    let conversationId = '';
    const t = await turn(h, { text: 'What is 37+48?' }, (turnId) => {
      void (async () => {
        const conv = await h.call('conversations.list');
        conversationId = conv[0]!.id;
        await expectCode(h.call('chat.send', { conversationId, text: 'again' }), 'BUSY');
        await h.call('chat.stop', { turnId });
      })();
    });
    expect(t.events.at(-1)).toMatchObject({ type: 'done', status: 'stopped' });
    const conv = await h.call('conversations.get', { id: t.conversationId });
    expect(conv.messages[1]!.status).toBe('stopped');
    expect(conv.messages[1]!.text).not.toBe('The answer is 85.');
  });

  it('a stopped answer with partial text is not history for the next turn', async () => {
    const h = await open();
    engine.stepMs = 40;
    let id = '';
    // Ends on the turn's own 'done' (the turn is over then), not on seeing the status: the status is set
    // before the final save, and the next send is BUSY until that save has finished.
    const stopped = new Promise<void>((resolve) => {
      let asked = false;
      const off = h.onTurnEvent((e) => {
        if (e.turnId === id && e.type === 'answer' && !asked) { asked = true; void h.call('chat.stop', { turnId: id }); }
        if (e.turnId === id && (e.type === 'done' || e.type === 'error')) { off(); resolve(); }
      });
    });
    const r = await h.call('chat.send', { text: 'What is 37+48?' });
    id = r.turnId;
    await stopped;
    await expect.poll(async () => (await h.call('conversations.get', { id: r.conversationId })).messages[1]?.status).toBe('stopped');
    const conv = await h.call('conversations.get', { id: r.conversationId });
    expect(conv.messages[1]!.text).not.toBe('');
    engine.stepMs = 0;
    await turn(h, { conversationId: r.conversationId, text: 'And 1+1?' });
    const gen = engine.calls.filter((c) => c.method === 'generate');
    expect(gen.at(-1)!.params).toMatchObject({ history: [], question: 'And 1+1?' });
  });

  it("a model's .reckon.json manifest bounds the earlier turns sent; none or a malformed one sends them all", async () => {
    const manifest = join(modelsDir, 'reckon-arith.reckon.json');
    await writeFile(manifest, JSON.stringify({ historyTurns: 1, pdrWorkspace: 'candidates' }));
    const h = await open();
    const [bundled] = await h.call('models.list');
    expect(bundled!.historyTurns).toBe(1);
    expect(bundled!.pdrWorkspace).toBe('candidates');
    const first = await turn(h, { text: 'What is 1+1?' });
    const lastParams = (): Record<string, unknown> => engine.calls.filter((c) => c.method === 'generate').at(-1)!.params as Record<string, unknown>;
    expect(lastParams()['pdrWorkspace']).toBe('candidates');
    await turn(h, { conversationId: first.conversationId, text: 'What is 2+2?' });
    await turn(h, { conversationId: first.conversationId, text: 'What is 3+3?' });
    const lastHistory = (): unknown => (engine.calls.filter((c) => c.method === 'generate').at(-1)!.params as Record<string, unknown>)['history'];
    expect(lastHistory()).toEqual([{ role: 'user', text: 'What is 2+2?' }, { role: 'assistant', text: 'The answer is 85.' }]);

    await writeFile(manifest, JSON.stringify({ historyTurns: 0, pdrWorkspace: 'essay' }));
    await utimes(manifest, new Date(), new Date(Date.now() + 5000)); // a new mtime: the cached manifest is re-read
    await turn(h, { conversationId: first.conversationId, text: 'What is 4+4?' });
    expect(lastHistory()).toEqual([]);
    // an unknown workspace mode is ignored (with a warning): PDR falls back to a model-written summary
    expect(lastParams()['pdrWorkspace']).toBe('summary');

    await writeFile(manifest, '{"historyTurns": -2');
    await utimes(manifest, new Date(), new Date(Date.now() + 10_000));
    await turn(h, { conversationId: first.conversationId, text: 'What is 5+5?' });
    expect((lastHistory() as unknown[]).length).toBe(8);
    expect((await h.call('models.list'))[0]!.historyTurns).toBeNull();
    expect(lastParams()['pdrWorkspace']).toBe('summary');
  });

  it("a manifest's effort levels reach the engine with every turn; a malformed effort block is dropped alone", async () => {
    const manifest = join(modelsDir, 'reckon-arith.reckon.json');
    const effort = {
      levels: { low: { systemLine: 'Reasoning effort: low' }, medium: { systemLine: 'Reasoning effort: medium' }, high: { systemLine: 'Reasoning effort: high' } },
      default: 'high',
      thinkingShare: { low: 0.3, medium: 0.55, high: 1.0 },
    };
    await writeFile(manifest, JSON.stringify({ historyTurns: 2, pdrWorkspace: 'candidates', effort }));
    const h = await open();
    const [bundled] = await h.call('models.list');
    expect(bundled!.effort).toEqual(effort);
    await turn(h, { text: 'What is 1+1?', effort: 'low' });
    const lastParams = (): Record<string, unknown> => engine.calls.filter((c) => c.method === 'generate').at(-1)!.params as Record<string, unknown>;
    expect(lastParams()).toMatchObject({ manifestEffort: effort, effort: 'low' });

    const warnings: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((m: string) => { warnings.push(String(m)); return true; }) as typeof process.stderr.write;
    try {
      await writeFile(manifest, JSON.stringify({ historyTurns: 2, effort: { ...effort, default: 'extreme' } }));
      await utimes(manifest, new Date(), new Date(Date.now() + 5000));
      const [again] = await h.call('models.list');
      expect(again!.effort).toBeNull();
      expect(again!.historyTurns).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(warnings.join('')).toMatch(/effort\.default must be one of low, medium, high; ignored/);
    await turn(h, { text: 'What is 2+2?' });
    expect(lastParams()['manifestEffort']).toBeNull();
  });

  it('persists streamed text while streaming and marks leftovers interrupted on start', async () => {
    const h = await open();
    engine.thought = Array.from({ length: 12 }, (_, i) => `s${i}\n`);
    const convDir = join(dir, 'data', 'conversations');
    const file = (id: string): string => join(convDir, `${id}.json`);
    // What is on disk when the 6th line has streamed: the conversation file and the turn's stream journal, read
    // in the event's own listener (each completed line is appended before clients see it).
    let snapshot: Conversation | null = null;
    let thoughts = 0;
    const off = h.onTurnEvent((e) => {
      if (e.type !== 'thought' || ++thoughts !== 6) return;
      const name = readdirSync(convDir).find((n) => n.endsWith('.json') && !n.startsWith('.'))!;
      const c = JSON.parse(readFileSync(join(convDir, name), 'utf8')) as Conversation;
      const journal = readdirSync(convDir).find((n) => n.endsWith('.journal'))!;
      c.messages[1] = replayStreamJournal(c.messages[1]!, parseStreamJournal(readFileSync(join(convDir, journal), 'utf8')).records).message;
      snapshot = c;
    });
    await turn(h, { text: 'long one' });
    off();
    expect(snapshot).not.toBeNull();
    const mid = snapshot! as Conversation;
    expect(mid.messages[1]!.status).toBe('streaming');
    expect(mid.messages[1]!.thinking).toBe(engine.thought.slice(0, 6).join(''));

    // Simulate a crash of the whole app mid-turn: a file left 'streaming'.
    await writeFile(file(mid.id), JSON.stringify(mid));
    await h.close();
    const h2 = await open();
    const back = await h2.call('conversations.get', { id: mid.id });
    expect(back.messages[1]).toMatchObject({ status: 'interrupted', thinking: engine.thought.slice(0, 6).join('') });
  });

  it('a garbage conversation file is set aside; the host lists the others and reports a notice', async () => {
    const h = await open();
    const a = await turn(h, { text: 'first' });
    const b = await turn(h, { text: 'second' });
    await h.close();
    await writeFile(join(dir, 'data', 'conversations', `${a.conversationId}.json`), '\u0000garbage{{{');
    const h2 = await open();
    const list = await h2.call('conversations.list');
    expect(list.map((c) => c.id)).toEqual([b.conversationId]);
    const notices = await h2.call('system.notices');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.message).toContain(`Conversation file ${a.conversationId}.json was unreadable and was set aside`);
    await h2.call('system.dismissNotice', { id: notices[0]!.id });
    expect(await h2.call('system.notices')).toEqual([]);
    const t = await turn(h2, { conversationId: b.conversationId, text: 'still works' });
    expect(t.events.at(-1)!.type).toBe('done');
  });
});

describe('receipts', () => {
  it('one generate request: the host signs a tree over the leaves the engine sent, as fingerprinting the hidden tokens gives', async () => {
    const h = await open();
    const t = await turn(h, { text: 'What is 37+48?' });
    expect(engine.calls.map((c) => c.method)).not.toContain('embeddingRows');
    const gen = engine.calls.filter((c) => c.method === 'generate');
    expect(gen).toHaveLength(1);
    const [model] = await h.call('models.list');
    // What the host asks for up front: the probe file (none here) and the receipt's spec input.
    expect(gen[0]!.params).toMatchObject({ probePath: null, receipt: { modelSha256: model!.sha256 } });
    expect(gen[0]!.params).not.toHaveProperty('difficulty');

    const done = t.events.at(-1)!;
    if (done.type !== 'done') throw new Error(`turn ended with ${done.type}`);
    const m = done.message;
    expect(m.receiptError).toBeUndefined();
    const thinking = '37+48: 7+8=15 carry 1; 3+4+1=8';
    expect(m.receipt).toMatchObject({ treeSize: thinking.length, counts: { thinking: thinking.length, hidden: thinking.length } });
    // The same root an issuer gets from the hidden tokens and the embedding table directly.
    const spec = makeEmbeddingSpec({ modelSha256: model!.sha256, dims: 8, vocabSize: 256 });
    const fp = fingerprintSegments(spec, fakeHiddenTokens(thinking), fakeEmbeddingTable);
    const lb = leafBytes(8);
    const leaves = Array.from({ length: fp.leafCount }, (_, i) => fp.leaves.subarray(i * lb, (i + 1) * lb));
    expect(m.receipt!.root).toBe(toHex(MerkleTree.fromLeaves(leaves).root()));
    expect(m.receipt!.blockCount).toBe(fp.blocks.length);
    const info = await h.call('system.info');
    expect(await verifyReceipt(m.receipt, { trustedPublicKey: info.receiptPublicKey })).toMatchObject({ ok: true });
    // The stored provider store answers challenges for it (its leaves rebuild the signed root).
    const exp = (await h.call('receipts.get', { messageId: m.id, includeStore: true })) as ReceiptExport;
    expect(() => new ReceiptProvider(exp.store!)).not.toThrow();
    const stored = ((await h.call('conversations.get', { id: t.conversationId })) as Conversation).messages[1]!;
    expect(stored.receipt).toEqual(m.receipt);
    expect(info.model?.id).toBe(model!.id);
  });

  it('leaves that do not match the hidden tokens give no receipt and a reason; the answer is kept', async () => {
    const h = await open();
    engine.editResult = (r) => ({ ...r, fingerprints: { ...r.fingerprints!, leaves: r.fingerprints!.leaves.slice(0, 40) } });
    const t = await turn(h, { text: 'What is 37+48?' });
    const done = t.events.at(-1)!;
    if (done.type !== 'done') throw new Error(`turn ended with ${done.type}`);
    expect(done.message).toMatchObject({ status: 'done', text: 'The answer is 85.' });
    expect(done.message.receipt).toBeUndefined();
    expect(done.message.receiptError).toBe(`No receipt: the engine sent 30 leaf bytes for 30 hidden tokens of ${leafBytes(8)} bytes each`);

    engine.editResult = (r) => ({ ...r, fingerprints: undefined, fingerprintError: 'The model has no token_embd.weight tensor; receipts need it.' });
    const t2 = await turn(h, { conversationId: t.conversationId, text: 'Again?' });
    const done2 = t2.events.at(-1)!;
    expect(done2.type === 'done' && done2.message.receiptError).toBe('No receipt: The model has no token_embd.weight tensor; receipts need it.');
  });
});
