import { describe, expect, it } from 'vitest';
import { apiFuzzCampaign, mutate } from './apiFuzz';

// A reduced run of `npm run soak:fuzz`: 600 seeded frames over the real WebSocket and the real HTTP API (the
// scripted engine behind the real host and web server), health-checked every 200.
describe('API fuzz campaign (reduced)', () => {
  it('the same seed makes the same frames', () => {
    const seq = (): string[] => {
      let x = 7;
      const r = (): number => { x = (x * 16807) % 2147483647; return x / 2147483647; };
      return Array.from({ length: 50 }, () => mutate({ kind: 'call', id: 1, method: 'settings.update', params: { theme: 'dark' } }, r).kind);
    };
    expect(seq()).toEqual(seq());
    expect(new Set(seq()).size).toBeGreaterThan(5);
  });

  it('600 fuzzed frames: 0 host crashes, 0 INTERNAL or unknown codes, every frame answered, both doors healthy after each batch, settings.json changed only by accepted updates', async () => {
    const s = await apiFuzzCampaign({ frames: 600, seed: 1, batch: 200 });
    expect(s.wsFrames + s.httpRequests).toBe(600);
    expect(s.hostCrashes).toEqual([]);
    expect(s.bad).toEqual([]);
    expect(s.hangs).toBe(0);
    expect(s.healthFailures).toEqual([]);
    // the mutations reach the validators (refusals with a stable code) and some still reach a handler
    expect(s.codes['BAD_REQUEST']).toBeGreaterThan(100);
    expect(s.codes['ok']).toBeGreaterThan(10);
    expect(s.statuses['401']).toBeGreaterThan(0);
  }, 600_000);
});
