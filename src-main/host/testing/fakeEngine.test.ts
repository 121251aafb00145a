/**
 * The fake engine's scripted calls and gates, through the real host: a scripted turn holds still at each gate until
 * the test opens it, an abort releases a parked script, a crash from a script is an engine crash, a thrown
 * ReckonError keeps its code. No assertion waits on a delay.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GenerateResult } from '../../common/engineProtocol';
import { ReckonError } from '../../common/errors';
import type { TurnEvent } from '../../common/events';
import { makeLedger } from '../../common/ledger';
import type { Conversation } from '../../common/types';
import { createHost, type Host } from '../index';
import { fakeEngine, type FakeEngineControl, type ScriptIO } from './fakeEngine';
import { GateAborted, Gates } from './gates';

let dir: string;
let host: Host | null = null;
let engine: FakeEngineControl;
let events: TurnEvent[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reckon-fake-engine-'));
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'models', 'scripted.gguf'), Buffer.from('GGUF-scripted'));
  engine = fakeEngine();
  events = [];
});
afterEach(async () => {
  await host?.close();
  host = null;
  await rm(dir, { recursive: true, force: true });
});

async function open(): Promise<Host> {
  host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'cli', spawnEngine: engine.spawner });
  host.onTurnEvent((e) => events.push(e));
  return host;
}

/** Resolves with the first turn event matching `pred` (already seen or still to come). */
function eventWhere(h: Host, pred: (e: TurnEvent) => boolean): Promise<TurnEvent> {
  const seen = events.find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const off = h.onTurnEvent((e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

/** A two-step generate: one thought, gate 'thinking', then the answer; an abort while parked ends it 'aborted'. */
async function twoSteps(_p: unknown, io: ScriptIO): Promise<GenerateResult> {
  io.emit({ type: 'thought', text: 'adding' });
  const ledger = (visible: number) => makeLedger({ visible, thinking: 1, prompt: 3, cached: 0 });
  try {
    await io.gate('thinking');
  } catch (err) {
    if (err instanceof GateAborted) return { answer: '', thinking: 'adding', thinkingMs: 1, stopReason: 'aborted', ledger: ledger(0) };
    throw err;
  }
  io.emit({ type: 'thought-end', ms: 1, tokens: 1 });
  io.emit({ type: 'answer', text: '85' });
  // the engine streams the turn's ledger before its result; the host forwards it
  io.emit({ type: 'ledger', ledger: ledger(1) });
  return { answer: '85', thinking: 'adding', thinkingMs: 1, stopReason: 'eos', ledger: ledger(1) };
}

describe('Gates', () => {
  it('parks a wait until its gate opens, keeps an early open, and reports arrivals', async () => {
    const g = new Gates();
    g.open('b');
    await g.wait('b'); // opened before anyone came: passes
    let passed = false;
    const w = g.wait('a').then(() => { passed = true; });
    await g.reached('a');
    expect(g.waiting()).toEqual(['a']);
    await Promise.resolve();
    expect(passed).toBe(false);
    g.open('a');
    await w;
    expect(passed).toBe(true);
    expect(g.waiting()).toEqual([]);
    g.reset();
    const again = new AbortController();
    const parked = g.wait('a', again.signal);
    again.abort();
    await expect(parked).rejects.toBeInstanceOf(GateAborted);
    expect(g.waiting()).toEqual([]);
  });
});

describe('scripted fake engine behind the real host', () => {
  it('a turn holds at its gate (streaming, thought kept) and finishes only when the gate opens', async () => {
    engine.script.generate = twoSteps;
    const h = await open();
    const { turnId, conversationId } = (await h.call('chat.send', { text: 'What is 37+48?' })) as { turnId: string; conversationId: string };
    await engine.gates.reached('thinking');
    await eventWhere(h, (e) => e.turnId === turnId && e.type === 'thought');
    // parked: nothing after the gate has been emitted, and the host still shows the turn running
    expect(events.filter((e) => e.turnId === turnId).map((e) => e.type)).toEqual(['start', 'thought']);
    expect(engine.gates.waiting()).toEqual(['thinking']);
    const parked = (await h.call('conversations.get', { id: conversationId })) as Conversation;
    expect(parked.messages[1]).toMatchObject({ status: 'streaming' });

    engine.gates.open('thinking');
    const done = await eventWhere(h, (e) => e.turnId === turnId && e.type === 'done');
    expect(done).toMatchObject({ type: 'done', status: 'done', message: { text: '85', thinking: 'adding' } });
    expect(events.filter((e) => e.turnId === turnId).map((e) => e.type)).toEqual(['start', 'thought', 'thought-end', 'answer', 'ledger', 'done']);
  });

  it('chat.stop aborts a script parked at a gate; the turn ends stopped', async () => {
    engine.script.generate = twoSteps;
    const h = await open();
    const { turnId } = (await h.call('chat.send', { text: 'What is 37+48?' })) as { turnId: string };
    await engine.gates.reached('thinking');
    await h.call('chat.stop', { turnId });
    const done = await eventWhere(h, (e) => e.turnId === turnId && e.type === 'done');
    expect(done).toMatchObject({ status: 'stopped', message: { status: 'stopped', thinking: 'adding' } });
    expect(engine.gates.waiting()).toEqual([]);
  });

  it('a script that crashes the engine mid-turn is ENGINE_CRASHED, and the restarted engine runs the script again', async () => {
    let turns = 0;
    engine.script.generate = async (p, io) => {
      if (turns++ === 0) {
        io.emit({ type: 'thought', text: 'adding' });
        await io.gate('crash');
        io.crash();
        return new Promise(() => undefined); // never answers: the engine is gone
      }
      return twoSteps(p, io);
    };
    const h = await open();
    const first = (await h.call('chat.send', { text: 'crash please' })) as { turnId: string; conversationId: string };
    await engine.gates.reached('crash');
    engine.gates.open('crash');
    const err = await eventWhere(h, (e) => e.turnId === first.turnId && e.type === 'error');
    expect(err).toMatchObject({ error: { code: 'ENGINE_CRASHED' }, message: { thinking: 'adding' } });

    engine.gates.open('thinking');
    const second = (await h.call('chat.send', { conversationId: first.conversationId, text: 'What is 37+48?' })) as { turnId: string };
    expect(await eventWhere(h, (e) => e.turnId === second.turnId && e.type === 'done')).toMatchObject({ status: 'done' });
    expect(engine.spawned).toBe(2);
  });

  it('a ReckonError thrown by a script reaches the caller with its code; other methods keep the built-in behaviour', async () => {
    engine.script.load = () => {
      throw new ReckonError('MODEL_LOAD_FAILED', 'scripted load failure');
    };
    const h = await open();
    const [m] = await h.call('models.list');
    await expect(h.call('models.load', { id: m!.id })).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: 'scripted load failure' });
    expect(engine.calls.filter((c) => c.method === 'inspect')).toHaveLength(1);
  });
});
