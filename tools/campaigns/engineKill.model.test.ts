import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineEntryPath } from '../../src-main/host/index';
import { engineKillCampaign, MOMENTS } from './engineKill';

// A reduced run of `npm run soak:enginekill` on the real engine and the bundled model: one run per kill moment
// (seed 1 picks the four in its first four runs), every invariant of the campaign held.
describe('engine kill campaign (reduced)', () => {
  it('SIGKILLs before the first token, mid-thinking, mid-answer and between turns: host up, conversations intact, true messages, next question answered, no orphans', async () => {
    if (!existsSync(engineEntryPath())) throw new Error(`${engineEntryPath()} is missing: run \`npx electron-vite build\` first.`);
    const s = await engineKillCampaign({ runs: 4, seed: 1, modelsDir: resolve(import.meta.dirname, '../../models') });
    expect(new Set(s.runs.map((r) => r.moment))).toEqual(new Set(MOMENTS));
    expect(s.runs.flatMap((r) => r.failures)).toEqual([]);
    // a kill during a turn is always told as a crash of that turn
    for (const r of s.runs) if (r.landed !== 'between-turns') expect(r.restart).not.toBeNull();
    // one fresh engine per kill, each seen by system.info
    expect(s.enginePids).toBeGreaterThan(s.runs.length);
    expect(s.orphans).toEqual([]);
  });
});
