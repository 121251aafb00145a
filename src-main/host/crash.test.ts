/**
 * What a user is told about an engine crash, and what a model that keeps crashing the engine leads to: the host
 * with the scripted fake engine (testing/fakeEngine.ts), every step released by a gate.
 */
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SendParams } from '../common/api';
import type { GenerateParams } from '../common/engineProtocol';
import type { TurnEvent } from '../common/events';
import type { Host } from './index';
import type { FakeEngineControl, ScriptIO } from './testing/fakeEngine';
import { hostFixture, runTurn, type HostFixture } from './testing/hostFixture';

let fx: HostFixture;
let dir: string;
let engine: FakeEngineControl;

beforeEach(async () => {
  fx = await hostFixture({ prefix: 'reckon-crash-', stepMs: 20 });
  ({ dir, engine } = fx);
  await writeFile(join(dir, 'other.gguf'), Buffer.from('GGUF-an-imported-model-that-crashes'));
  // A question with "crash" in it kills the engine mid-turn once it streamed a thought; others answer.
  engine.script.generate = async (params: unknown, io: ScriptIO) => {
    const g = params as GenerateParams;
    io.emit({ type: 'thought', text: 'hmm ' });
    if (/crash/.test(g.question)) {
      await io.gate('crash');
      io.crash();
      await new Promise(() => undefined);
    }
    io.emit({ type: 'answer', text: 'ok' });
    return { answer: 'ok', thinking: 'hmm ', thinkingMs: 1, stopReason: 'eos', ledger: { visible: 1, thinking: 1, prompt: 1, cached: 0, overhead: {}, billed: 3, sequential: 2 }, hidden: [] };
  };
  engine.gates.open('crash');
});
afterEach(() => fx.dispose());

const open = (): Promise<Host> => fx.open();

async function turn(h: Host, params: SendParams): Promise<TurnEvent[]> {
  return (await runTurn(h, () => h.call('chat.send', params))).events;
}

function lastError(events: TurnEvent[]): { code: string; message: string; details?: Record<string, unknown> } {
  const e = events.at(-1)!;
  if (e.type !== 'error') throw new Error(`the turn ended ${e.type}`);
  return e.error;
}

describe('crash messages', () => {
  it('names the model, and says "restarted" only once the fresh engine answered', async () => {
    const h = await open();
    const err = lastError(await turn(h, { text: 'please crash' }));
    expect(err.code).toBe('ENGINE_CRASHED');
    expect(err.message).toBe('The engine running reckon-arith stopped unexpectedly (signal SIGABRT). It has been restarted; your conversation is safe - ask again.');
    const info = await h.call('system.info');
    expect(info.engine.state).toBe('ready');
    expect(info.engine.lastCrash).toMatchObject({ restart: 'restarted', how: 'signal SIGABRT', model: 'reckon-arith' });
  });

  it('a crash while Reckon is closing is told as part of the shutdown, never "unexpectedly"', async () => {
    engine.gates.reset();
    const h = await open();
    const events: TurnEvent[] = [];
    h.onTurnEvent((e) => events.push(e));
    await h.call('chat.send', { text: 'please crash' });
    await engine.gates.reached('crash');
    // the host starts closing (its SIGTERM handler), and the engine dies of the same signal before it answers the abort
    const closing = h.close();
    engine.crash();
    await closing;
    const end = events.at(-1)!;
    expect(end.type).toBe('error');
    if (end.type !== 'error') return;
    expect(end.error.message).toBe('Reckon was closing and the engine running reckon-arith stopped (signal SIGABRT); it was not restarted.');
    expect(end.error.details).toMatchObject({ restart: 'shutting-down', restarted: false });
    expect(engine.spawned).toBe(1);
  });
});

describe('a model that crashes the engine twice', () => {
  it('is marked broken (stored, with the reason), turns fall back to the bundled model, and "Try again" clears it', async () => {
    const h = await open();
    const other = await h.call('models.import', { path: join(dir, 'other.gguf') });
    await h.call('settings.update', { modelId: other.id });

    const first = lastError(await turn(h, { text: 'crash 1' }));
    expect(first.details).toMatchObject({ model: 'other', restart: 'restarted' });
    expect(first.details).not.toHaveProperty('modelBroken');
    expect((await h.call('models.list')).find((m) => m.id === other.id)!.broken).toBeUndefined();

    const second = lastError(await turn(h, { text: 'crash 2' }));
    expect(second.details).toMatchObject({ model: 'other', modelBroken: true, fallbackModel: 'reckon-arith' });
    expect(second.message).toContain('other has crashed the engine twice and is marked broken: new questions use reckon-arith until you choose "Try again" in the model picker.');
    const listed = (await h.call('models.list')).find((m) => m.id === other.id)!;
    expect(listed.broken).toMatchObject({ reason: 'signal SIGABRT' });

    // the next question runs on the bundled model instead of crashing again
    const bundled = (await h.call('models.list')).find((m) => m.bundled)!;
    const ok = await turn(h, { text: 'hello' });
    expect(ok[0]).toMatchObject({ type: 'start', modelId: bundled.id });
    expect(ok.at(-1)).toMatchObject({ type: 'done', status: 'done' });
    const gens = engine.calls.filter((c) => c.method === 'generate');
    expect((gens.at(-1)!.params as GenerateParams).modelPath).toBe(bundled.path);

    // stored: a fresh host knows it
    await h.close();
    const onDisk = JSON.parse(await readFile(join(dir, 'data', 'models.json'), 'utf8')) as { models: { id: string; broken?: unknown }[] };
    expect(onDisk.models.find((m) => m.id === other.id)!.broken).toMatchObject({ reason: 'signal SIGABRT' });
    const h2 = await open();
    expect((await h2.call('models.list')).find((m) => m.id === other.id)!.broken).toMatchObject({ reason: 'signal SIGABRT' });

    // Try again
    const cleared = await h2.call('models.clearBroken', { id: other.id });
    expect(cleared.broken).toBeUndefined();
    const again = await turn(h2, { text: 'hello again' });
    expect(again[0]).toMatchObject({ type: 'start', modelId: other.id });
  });

  it('two turns cut by one crash count once; a finished turn between crashes resets the count', async () => {
    const h = await open();
    const other = await h.call('models.import', { path: join(dir, 'other.gguf') });
    await h.call('settings.update', { modelId: other.id });
    lastError(await turn(h, { text: 'crash 1' }));
    expect((await turn(h, { text: 'fine' })).at(-1)).toMatchObject({ type: 'done' });
    const err = lastError(await turn(h, { text: 'crash 2' }));
    expect(err.details).not.toHaveProperty('modelBroken');

    // two conversations on the model, one crash: one count (it is now at 1 after 'crash 2')
    engine.gates.reset();
    const a = turn(h, { text: 'crash a' });
    const b = turn(h, { text: 'crash b' });
    await engine.gates.reached('crash');
    engine.gates.open('crash');
    const [ea, eb] = [lastError(await a), lastError(await b)];
    expect(ea.details?.['crash']).toBe(eb.details?.['crash']);
    expect(ea.details).toMatchObject({ modelBroken: true });
    expect(eb.details).toMatchObject({ modelBroken: true });
  });

  it('a changed file is tried again; with nothing to fall back on it is MODEL_BROKEN', async () => {
    const h = await open();
    const bundled = (await h.call('models.list')).find((m) => m.bundled)!;
    lastError(await turn(h, { text: 'crash 1' }));
    const second = lastError(await turn(h, { text: 'crash 2' }));
    expect(second.details).toMatchObject({ modelBroken: true });
    expect(second.details).not.toHaveProperty('fallbackModel');
    expect(second.message).toContain('reckon-arith has crashed the engine twice and is marked broken: pick another model until you choose "Try again"');
    await expect(h.call('chat.send', { text: 'hello' })).rejects.toMatchObject({ code: 'MODEL_BROKEN', message: expect.stringContaining('reckon-arith crashed the engine twice (signal SIGABRT)') });
    // a new file (new mtime): the mark goes
    const later = new Date(Date.now() + 60_000);
    await utimes(bundled.path, later, later);
    expect((await h.call('models.list')).find((m) => m.bundled)!.broken).toBeUndefined();
  });
});
