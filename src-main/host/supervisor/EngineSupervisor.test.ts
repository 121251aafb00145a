import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../common/engineProtocol';
import { engineCrashMessage } from '../../common/engineCrash';
import { ReckonError } from '../../common/errors';
import { EngineSupervisor, type EngineCrashReport } from './EngineSupervisor';
import { forkEngineSpawner } from './forkEngine';
import type { EngineChannel } from '../types';
import { fakeEngine, type FakeEngineControl } from '../testing/fakeEngine';

const fakeEntry = join(__dirname, '..', 'testing', 'fakeEngineProcess.mjs');
const init = () => ({ backend: 'cpu' as const, threads: 1, cachedThreads: null });

describe('EngineSupervisor with a forked process', () => {
  it('starts, answers calls, gives the child a clean env, and restarts after SIGABRT mid-call', async () => {
    process.env['RECKON_TEST_SECRET'] = 'x';
    const sup = new EngineSupervisor({ spawn: forkEngineSpawner(fakeEntry), initParams: init, backoffMs: 10 });
    try {
      await sup.start();
      expect(sup.state).toBe('ready');
      expect(sup.backend?.active).toBe('cpu');
      const info = (await sup.call('info')) as unknown as { env: string[] };
      expect(info.env).not.toContain('RECKON_TEST_SECRET');
      expect(info.env).toContain('PATH');
      const pid1 = sup.pid!;

      const events: EngineEvent[] = [];
      const gen = sup.call('generate', { requestId: 'r1' } as never, { requestId: 'r1', onEvent: (e) => {
        events.push(e);
        if (events.length === 3) process.kill(pid1, 'SIGABRT');
      } });
      await expect(gen).rejects.toMatchObject({ code: 'ENGINE_CRASHED', message: expect.stringContaining('signal SIGABRT') });
      expect(events.length).toBeGreaterThanOrEqual(3);
      expect(sup.restarts).toBe(1);
      // The next call waits for the restarted engine.
      const again = (await sup.call('info')) as unknown as { backend: unknown };
      expect(again.backend).toBeTruthy();
      expect(sup.pid).not.toBe(pid1);
      expect(sup.state).toBe('ready');
    } finally {
      delete process.env['RECKON_TEST_SECRET'];
      await sup.close();
    }
  });

  it('gives up with ENGINE_UNAVAILABLE after bounded failed starts', async () => {
    let spawned = 0;
    const dead = (): EngineChannel => {
      spawned++;
      let exit: ((i: { code: number | null; signal: string | null }) => void) | null = null;
      setTimeout(() => exit?.({ code: 1, signal: null }), 1);
      return { pid: null, send() {}, onMessage() {}, onExit(cb) { exit = cb; }, kill() {} };
    };
    const sup = new EngineSupervisor({ spawn: dead, initParams: init, backoffMs: 1, maxRestarts: 2 });
    await expect(sup.call('info')).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE', message: expect.stringContaining('after 3 attempts') });
    expect(spawned).toBe(3);
    await sup.close();
  });

  it('reports a missing engine build clearly', async () => {
    const sup = new EngineSupervisor({ spawn: forkEngineSpawner('/nonexistent/engine.js'), initParams: init });
    await expect(sup.call('info')).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE', message: expect.stringContaining('npm run build') });
    await sup.close();
  });

  it('says what it did: restarting at the crash, restarted once the fresh engine answered, not restarted when the crash-loop guard gives up', async () => {
    const engine = fakeEngine();
    const told: EngineCrashReport[] = [];
    const sup = new EngineSupervisor({ spawn: engine.spawner, initParams: init, backoffMs: 1, maxRestarts: 1, onCrash: (r) => told.push(r) });
    await sup.start();
    const a = crashMidTurn(sup, engine, 'a');
    await expect(a).rejects.toMatchObject({ code: 'ENGINE_CRASHED', details: { restart: 'restarting', restarted: false, how: 'signal SIGABRT', signal: 'SIGABRT', crash: 1 } });
    await expect(a).rejects.toMatchObject({ message: 'The engine stopped unexpectedly (signal SIGABRT). Reckon is restarting it; your conversation is safe - ask again once it is ready.' });
    expect(sup.state).toBe('starting');
    expect(told).toEqual([]); // nothing is logged before the outcome is known
    const settled = await sup.crashSettled();
    expect(settled).toMatchObject({ crash: 1, restart: 'restarted', restarted: true });
    expect(sup.state).toBe('ready');
    expect(told.map((r) => r.restart)).toEqual(['restarted']);

    await expect(crashMidTurn(sup, engine, 'b')).rejects.toMatchObject({ code: 'ENGINE_CRASHED', details: { restart: 'not-restarted', notRestartedWhy: 'it stopped 2 times within a minute', crash: 2 },
      message: 'The engine stopped unexpectedly (signal SIGABRT). It was not restarted (it stopped 2 times within a minute); your conversation is safe - the next question starts it afresh.' });
    expect(sup.state).toBe('stopped');
    expect(await sup.crashSettled()).toMatchObject({ crash: 2, restart: 'not-restarted' });
    expect(told.map((r) => r.restart)).toEqual(['restarted', 'not-restarted']);
    // the next call asks for a fresh start
    await expect(sup.call('info')).resolves.toBeTruthy();
    expect(sup.state).toBe('ready');
    await sup.close();
  });

  it('a restart that cannot start the engine ends not-restarted, with why', async () => {
    const engine = fakeEngine();
    let spawns = 0;
    const spawn = (): EngineChannel => {
      spawns++;
      if (spawns === 1) return engine.spawner();
      throw new ReckonError('ENGINE_UNAVAILABLE', 'The engine is not built (out/main/engine.js is missing).');
    };
    const sup = new EngineSupervisor({ spawn, initParams: init, backoffMs: 1 });
    await sup.start();
    await expect(crashMidTurn(sup, engine, 'a')).rejects.toMatchObject({ details: { restart: 'restarting' } });
    const r = await sup.crashSettled();
    expect(r).toMatchObject({ restart: 'not-restarted', notRestartedWhy: expect.stringContaining('it could not be started again: The engine is not built') });
    expect(engineCrashMessage(r!)).toContain('It was not restarted (it could not be started again: The engine is not built');
    await sup.close();
  });

  it('a crash after beginShutdown is part of the shutdown: nothing restarts and "unexpectedly" is never said', async () => {
    const engine = fakeEngine();
    const told: EngineCrashReport[] = [];
    const sup = new EngineSupervisor({ spawn: engine.spawner, initParams: init, backoffMs: 1, onCrash: (r) => told.push(r) });
    await sup.start();
    const call = sup.call('generate', { requestId: 'a', chatKey: 'c', modelPath: '/m.gguf', systemPrompt: '', history: [], question: 'q', maxTokens: 50, temperature: 0, thinkingBudget: null } as never, { requestId: 'a', onEvent: () => undefined });
    sup.beginShutdown();
    engine.crash();
    await expect(call).rejects.toMatchObject({ code: 'ENGINE_CRASHED', details: { restart: 'shutting-down' }, message: 'Reckon was closing and the engine stopped (signal SIGABRT); it was not restarted.' });
    await sup.crashSettled();
    expect(told.map((r) => engineCrashMessage(r))).toEqual(['Reckon was closing and the engine stopped (signal SIGABRT); it was not restarted.']);
    expect(engine.spawned).toBe(1);
    expect(sup.state).toBe('stopped');
    await sup.close();
  });

  it('closing while a restart is under way settles it shutting-down', async () => {
    const engine = fakeEngine();
    const sup = new EngineSupervisor({ spawn: engine.spawner, initParams: init, backoffMs: 1 });
    await sup.start();
    await expect(crashMidTurn(sup, engine, 'a')).rejects.toMatchObject({ details: { restart: 'restarting' } });
    await sup.close();
    expect(await sup.crashSettled()).toMatchObject({ restart: 'shutting-down', restarted: false });
  });

  it('an engine stopped by SIGTERM from outside is not called a crash of its own', () => {
    expect(engineCrashMessage({ how: 'signal SIGTERM', signal: 'SIGTERM', restart: 'restarted', restarted: true, model: 'm' }))
      .toBe('The engine running m was stopped from outside Reckon (signal SIGTERM). It has been restarted; your conversation is safe - ask again.');
  });

  it('the crash reason is the stderr of this failure only, not of an earlier failed call', { timeout: 60_000 }, async () => {
    const sup = new EngineSupervisor({ spawn: forkEngineSpawner(fakeEntry), initParams: init, backoffMs: 10 });
    try {
      await sup.start();
      // a call that fails after writing its own error lines, then a native abort with its assertion text
      await expect(sup.call('failLoudly' as never)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
      const crash = sup.call('crash');
      await expect(crash).rejects.toMatchObject({ code: 'ENGINE_CRASHED', details: { reason: 'fake.c:12: GGML_ASSERT(n_head > 0) failed', signal: 'SIGABRT' } });
      const err = await crash.then(() => { throw new Error('the crash call resolved'); }, (e: unknown) => e as ReckonError);
      expect(err.message).toBe('The engine stopped unexpectedly (signal SIGABRT: fake.c:12: GGML_ASSERT(n_head > 0) failed). Reckon is restarting it; your conversation is safe - ask again once it is ready.');
      await sup.crashSettled();

      // killed from outside (SIGKILL) after a failed call: it wrote nothing this time, so no reason is given
      await expect(sup.call('failLoudly' as never)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
      await sup.call('info');
      const gen = sup.call('generate', { requestId: 'k' } as never, { requestId: 'k', onEvent: () => { if (sup.pid) process.kill(sup.pid, 'SIGKILL'); } });
      const killed = await gen.then(() => { throw new Error('the generate resolved'); }, (e: unknown) => e as ReckonError);
      expect(killed).toMatchObject({ code: 'ENGINE_CRASHED', details: { how: 'signal SIGKILL', signal: 'SIGKILL', restart: 'restarting' } });
      expect(killed.details).not.toHaveProperty('reason');
      expect(killed.message).toBe('The engine stopped unexpectedly (signal SIGKILL). Reckon is restarting it; your conversation is safe - ask again once it is ready.');
      expect((await sup.crashSettled())?.restart).toBe('restarted');
    } finally {
      await sup.close();
    }
  });
});

function crashMidTurn(sup: EngineSupervisor, engine: FakeEngineControl, requestId: string): Promise<unknown> {
  return sup.call('generate', { requestId, chatKey: 'c', modelPath: '/m.gguf', systemPrompt: '', history: [], question: 'q', maxTokens: 5, temperature: 0, thinkingBudget: null } as never,
    { requestId, onEvent: () => engine.crash() });
}
