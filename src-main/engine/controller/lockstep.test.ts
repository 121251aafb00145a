/**
 * The lockstep rule: a round's steps are queued together only once every running path has asked, and a path that
 * stops no longer holds the others back. The sequences here record when their decode is queued; that lockstep decodes
 * the same tokens on real llama.cpp is lockstep.model.test.ts, and what batching gains is measured by the realistic
 * bench (BENCH_ONLY=drafts).
 */
import type { LlamaContextSequence, Token } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { Lockstep } from './lockstep';

function recordingSequence(name: string, log: string[]): LlamaContextSequence {
  let next = 100;
  return {
    controlledEvaluate: (input: unknown[]) => {
      log.push(name);
      const out: unknown[] = [];
      out[input.length - 1] = { next: { token: next++, confidence: 0.5 } };
      return Promise.resolve(out);
    },
  } as unknown as LlamaContextSequence;
}
const settle = () => new Promise((r) => setImmediate(r));

describe('Lockstep', () => {
  it('queues a step only when every running path has asked, then all of them in one go', async () => {
    const log: string[] = [];
    const group = new Lockstep(3);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => recordingSequence(n, log));
    const ra = group.step(a!, [1, 2] as Token[], true, { temperature: 0 });
    const rb = group.step(b!, [1] as Token[], false, { temperature: 0 });
    await settle();
    expect(log).toEqual([]); // c has not asked yet
    const rc = group.step(c!, [3] as Token[], true, { temperature: 0 });
    expect(log).toEqual(['a', 'b', 'c']); // queued synchronously, in the same tick
    expect(await ra).toEqual({ token: 100, confidence: 0.5 });
    expect((await rb).token).toBe(100);
    await rc;

    // c stops: a and b step on together without it.
    group.leave();
    log.length = 0;
    const ra2 = group.step(a!, [100] as Token[], false, { temperature: 0 });
    await settle();
    expect(log).toEqual([]);
    const rb2 = group.step(b!, [100] as Token[], false, { temperature: 0 });
    expect(log).toEqual(['a', 'b']);
    expect((await ra2).token).toBe(101);
    await rb2;

    // b stops while a waits: a is released at once.
    log.length = 0;
    const ra3 = group.step(a!, [101] as Token[], false, { temperature: 0 });
    await settle();
    expect(log).toEqual([]);
    group.leave();
    expect(log).toEqual(['a']);
    expect((await ra3).token).toBe(102);
  });

  it("a failed decode rejects that path's step only", async () => {
    const group = new Lockstep(2);
    const bad = { controlledEvaluate: () => Promise.reject(new Error('context full')) } as unknown as LlamaContextSequence;
    const good = recordingSequence('good', []);
    const r1 = group.step(bad, [1] as Token[], false, { temperature: 0 });
    const r2 = group.step(good, [1] as Token[], false, { temperature: 0 });
    await expect(r1).rejects.toThrow('context full');
    expect((await r2).token).toBe(100);
  });
});
