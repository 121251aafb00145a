import { describe, expect, it } from 'vitest';
import { finishedStats, liveStats } from './turnStats';

describe('turn stats', () => {
  it("shows the engine's figures once the turn ended, load time only when there was one", () => {
    const s = finishedStats({ loadMs: 0, timeToFirstTokenMs: 350, decodeMs: 2000, tokensPerSecond: 41.25 });
    expect(s).toMatchObject({ speed: '41.3 tok/s', firstToken: '0.35 s to first token', live: false });
    expect(s.detail).not.toContain('loaded');
    expect(finishedStats({ loadMs: 1500, timeToFirstTokenMs: 20_000, decodeMs: 1, tokensPerSecond: 1 }).detail).toContain('loaded first in 1.50 s');
  });
  it('live: nothing before the first token, an estimate after a quarter second of streaming', () => {
    expect(liveStats(1000, undefined, 0, 5000)).toBeNull();
    expect(liveStats(1000, 1200, 3, 1300)!.speed).toBe('… tok/s');
    expect(liveStats(1000, 1200, 21, 3200)).toMatchObject({ speed: '≈10.0 tok/s', firstToken: '0.20 s to first token', live: true });
  });
});
