/**
 * The bundled model's registration when the engine cannot answer at first (still starting, or replaced by
 * Settings > Engine meanwhile): the next call that needs the registry tries again, instead of an empty model list
 * until the app restarts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReckonError } from '../common/errors';
import { hostFixture, type HostFixture } from './testing/hostFixture';

let fx: HostFixture;
beforeEach(async () => {
  fx = await hostFixture({ prefix: 'reckon-bundled-retry-' });
});
afterEach(() => fx.dispose());

const inspects = (): number => fx.engine.calls.filter((c) => c.method === 'inspect').length;

describe('bundled model registration', () => {
  it('is tried again by the next models.list after the engine was unavailable, and then kept', async () => {
    fx.engine.script.inspect = () => {
      throw new ReckonError('ENGINE_UNAVAILABLE', 'The engine is still starting.');
    };
    const h = await fx.open();
    // The first list waits for the failed registration: nothing registered yet, and it says so by being empty.
    expect(await h.call('models.list')).toEqual([]);
    const failed = inspects();
    expect(failed).toBeGreaterThanOrEqual(1);

    delete fx.engine.script.inspect; // the engine answers from now on
    const listed = await h.call('models.list');
    expect(listed.map((m) => [m.name, m.bundled])).toEqual([['reckon-arith', true]]);
    expect(inspects()).toBe(failed + 1);

    // Registered once: later calls do not inspect again.
    await h.call('models.list');
    expect(inspects()).toBe(failed + 1);
  });

  it('a file the engine refuses is not retried on every call (only engine unavailability is)', async () => {
    fx.engine.script.inspect = () => {
      throw new ReckonError('GGUF_INVALID', 'reckon-arith.gguf is not a GGUF file (bad magic).');
    };
    const h = await fx.open();
    expect(await h.call('models.list')).toEqual([]);
    const n = inspects();
    await h.call('models.list');
    expect(inspects()).toBe(n);
  });
});
