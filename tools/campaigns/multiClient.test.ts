import { describe, expect, it } from 'vitest';
import { multiClientCampaign } from './multiClient';

// A reduced run of `npm run soak:multiclient`: two WebSocket tabs on the real host and web server (scripted engine),
// seeded interleavings in shared conversations, and the real CLI (a child process) on the same data folder.
describe('two tabs and the CLI on one data folder (reduced)', () => {
  it('6 rounds: no INTERNAL, every turn ends on both tabs, acknowledged writes hold, files parse, the CLI is refused while the server holds the folder and opens it after', async () => {
    const s = await multiClientCampaign({ rounds: 6, seed: 3, cliShare: 1 });
    expect(s.failures).toEqual([]);
    expect(s.hostCrashes).toEqual([]);
    expect(s.rounds).toBe(6);
    expect(s.turnsAcknowledged).toBeGreaterThan(0);
    // renames, pins, settings and deletes were acknowledged, and each reached both tabs (else a failure above)
    expect(s.changesAcknowledged).toBeGreaterThan(0);
    // the CLI ran beside the server at least once, and once after it
    expect(s.cliOutcomes['exit 1 DATA_FOLDER_IN_USE']).toBeGreaterThan(0);
    expect(s.cliOutcomes['after the server: exit 0']).toBe(1);
    expect(s.codes['INTERNAL']).toBeUndefined();
  }, 600_000);
});
