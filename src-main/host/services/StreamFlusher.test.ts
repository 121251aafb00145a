import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { journalEveryMs } from '../store/StreamJournal';
import { persistIntervalMs, StreamFlusher } from './StreamFlusher';

/** A save that finishes when the test says so. */
function saves() {
  const started: number[] = [];
  const finish: (() => void)[] = [];
  const save = (): Promise<void> => {
    started.push(Date.now());
    return new Promise<void>((r) => finish.push(r));
  };
  return { save, started, finishNext: async () => { finish.shift()?.(); await vi.advanceTimersByTimeAsync(0); } };
}

describe('StreamFlusher', () => {
  beforeEach(() => { vi.useFakeTimers({ now: 0 }); });
  afterEach(() => { vi.useRealTimers(); });

  it('writes a delta everyMs after its arrival, not before', async () => {
    // the journal bounds what a crash loses; whole-message saves are rare
    expect(persistIntervalMs).toBeGreaterThan(journalEveryMs);
    const s = saves();
    const f = new StreamFlusher({ save: s.save, everyMs: 200 });
    f.delta();
    await vi.advanceTimersByTimeAsync(199);
    expect(s.started).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.started).toEqual([200]);
    await s.finishNext();
  });

  it('coalesces a fast stream: one save per 200 ms window, not one per token', async () => {
    const started: number[] = [];
    const f = new StreamFlusher({ save: async () => { started.push(Date.now()); }, everyMs: 200 });
    // 100 tokens, 5 ms apart (500 ms of stream)
    for (let i = 0; i < 100; i++) {
      f.delta();
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(200);
    expect(started).toEqual([200, 400, 600]);
  });

  it('writes at once when the thinking ends', async () => {
    const s = saves();
    const f = new StreamFlusher({ save: s.save, everyMs: 200 });
    f.delta();
    await vi.advanceTimersByTimeAsync(50);
    f.boundary();
    expect(s.started).toEqual([50]);
    await s.finishNext();
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.started).toEqual([50]); // nothing new streamed: nothing more written
  });

  it('never overlaps saves: a delta during a slow save is written right after it', async () => {
    const s = saves();
    const f = new StreamFlusher({ save: s.save, everyMs: 200 });
    f.delta();
    await vi.advanceTimersByTimeAsync(200);
    expect(s.started).toEqual([200]);
    f.delta();
    await vi.advanceTimersByTimeAsync(500); // the save takes 500 ms; the second delta's timer fired meanwhile
    expect(s.started).toEqual([200]);
    await s.finishNext();
    expect(s.started).toEqual([200, 700]);
  });

  it('saves nothing after close, and close waits for a running save', async () => {
    const s = saves();
    const f = new StreamFlusher({ save: s.save, everyMs: 200 });
    f.delta();
    await vi.advanceTimersByTimeAsync(200);
    f.delta();
    let closed = false;
    void f.close().then(() => { closed = true; });
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toBe(false);
    await s.finishNext();
    expect(closed).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.started).toEqual([200]);
  });

  it('a failed save is reported and the next delta tries again', async () => {
    const errors: unknown[] = [];
    let n = 0;
    const f = new StreamFlusher({ save: async () => { n++; if (n === 1) throw new Error('disk full'); }, onError: (e) => errors.push(e), everyMs: 200 });
    f.delta();
    await vi.advanceTimersByTimeAsync(200);
    expect(errors).toHaveLength(1);
    f.delta();
    await vi.advanceTimersByTimeAsync(200);
    expect(n).toBe(2);
  });
});
