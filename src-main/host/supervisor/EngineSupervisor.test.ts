import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../common/engineProtocol';
import { EngineSupervisor } from './EngineSupervisor';
import { forkEngineSpawner } from './forkEngine';
import type { EngineChannel } from '../types';
import { fakeEngine } from '../testing/fakeEngine';

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

  it('says whether it restarted: yes after one crash, no once the crash-loop guard gives up; the next call starts afresh', async () => {
    const engine = fakeEngine();
    engine.stepMs = 20;
    const sup = new EngineSupervisor({ spawn: engine.spawner, initParams: init, backoffMs: 1, maxRestarts: 1 });
    const crashMidTurn = (requestId: string): Promise<unknown> =>
      sup.call('generate', { requestId, chatKey: 'c', modelPath: '/m.gguf', systemPrompt: '', history: [], question: 'q', maxTokens: 5, temperature: 0, thinkingBudget: null } as never,
        { requestId, onEvent: () => engine.crash() });
    await sup.start();
    await expect(crashMidTurn('a')).rejects.toMatchObject({ code: 'ENGINE_CRASHED', details: { restarted: true, how: 'signal SIGABRT' }, message: expect.stringContaining('it has been restarted') });
    await sup.call('info');
    await expect(crashMidTurn('b')).rejects.toMatchObject({ code: 'ENGINE_CRASHED', details: { restarted: false }, message: expect.stringContaining('it was not restarted again') });
    expect(sup.state).toBe('stopped');
    // the next call asks for a fresh start
    await expect(sup.call('info')).resolves.toBeTruthy();
    expect(sup.state).toBe('ready');
    await sup.close();
  });
});
