import { describe, expect, it } from 'vitest';
import { canMountTmpfs, fullDiskCampaign } from './fullDisk';

// A reduced run of `npm run soak:fulldisk` on a real 2 MiB tmpfs. Mounting needs root (or a container allowed to
// mount): elsewhere this test is skipped, as the campaign cannot run without a small real filesystem.
const mountable = canMountTmpfs();

describe('full-disk campaign (reduced)', () => {
  it.skipIf(!mountable)('a full disk under a turn, a new conversation and two downloads: stable codes, files whole, answering again once space is freed', async () => {
    // seed 1 gives back 2 pages, then none: the turn's first write fits in one round and not in the other
    const rounds = await fullDiskCampaign({ rounds: 2, seed: 1 });
    expect(rounds.map((r) => r.slackPages)).toEqual([2, 0]);
    expect(rounds.flatMap((r) => r.failures)).toEqual([]);
    for (const r of rounds) {
      expect(r.outcomes).toMatchObject({
        'turn, full disk': 'IO_ERROR',
        'new conversation, full disk': 'IO_ERROR',
        'download, full disk': 'DOWNLOAD_NO_SPACE',
        'download, disk filled during it': 'DOWNLOAD_NO_SPACE',
        'turn, space freed': 'ok',
        'download resumed, space freed': 'ok',
      });
    }
  }, 300_000);
});
