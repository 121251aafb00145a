/**
 * The engine measures the thread count again when turns on the loaded model decode far below what it did before
 * (ThreadTuner.observe): the next turn's runnerFor measures, reports the measurement for the host's cache and
 * keeps answering. Real llama.cpp on the bundled model; the slow turns are reported directly (no timing involved).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadMeasurement } from './threadTuner';
import { MIN_OBSERVED_STEPS, SLOW_TURNS_IN_A_ROW } from './threadTuner';
import { LlamaHost } from './LlamaHost';

const modelPath = resolve(import.meta.dirname, '../../models/reckon-arith.gguf');
const measured: ThreadMeasurement[] = [];
let host: LlamaHost;

beforeAll(async () => {
  host = new LlamaHost((m) => measured.push(m));
  // A cached count, as on every start after the first: nothing is measured at load.
  await host.init({ backend: 'cpu', threads: null, cachedThreads: 1 });
});
afterAll(async () => {
  await host?.dispose();
});

describe('thread count re-measured when decode falls far below the expected speed', () => {
  it('measures again on the next turn after slow turns in a row, and the runner still works', async () => {
    await host.runnerFor(modelPath, () => {});
    expect(measured).toHaveLength(0);
    expect((await host.info())?.threadsSource).toBe('cached');

    host.observeDecode(modelPath, MIN_OBSERVED_STEPS, 1000);
    for (let i = 0; i < SLOW_TURNS_IN_A_ROW; i++) host.observeDecode(modelPath, MIN_OBSERVED_STEPS, 10);
    const { runner } = await host.runnerFor(modelPath, () => {});
    expect(measured).toHaveLength(1);
    expect(measured[0]!.tokensPerSecond[1]).toBeGreaterThan(0);
    expect((await host.info())?.threadsSource).toBe('measured');
    expect(runner.busy).toBe(false);

    // Not stale any more: the turn after that does not measure again.
    await host.runnerFor(modelPath, () => {});
    expect(measured).toHaveLength(1);
  });
});
