import { describe, expect, it } from 'vitest';
import { ReckonError } from '../../common/errors';
import { defaultSettings, type Settings } from '../../common/types';
import type { Store } from '../store/Store';
import { SettingsService } from './SettingsService';

/** A store stand-in that records writes and fails them on demand. */
function memoryStore(initial: Settings): { store: Store; writes: Settings[]; failNext: () => void } {
  const writes: Settings[] = [];
  let fail = false;
  const store = {
    readSettings: async () => ({ ...initial }),
    writeSettings: async (s: Settings) => {
      if (fail) {
        fail = false;
        throw new ReckonError('IO_ERROR', 'disk full');
      }
      writes.push(JSON.parse(JSON.stringify(s)) as Settings);
    },
  } as unknown as Store;
  return { store, writes, failNext: () => { fail = true; } };
}

describe('SettingsService', () => {
  it('a failed write leaves the settings in memory as they were', async () => {
    const m = memoryStore(defaultSettings);
    const s = await SettingsService.open(m.store);
    m.failNext();
    await expect(s.update({ theme: 'dark' })).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(s.get().theme).toBe('system');
    expect(m.writes).toHaveLength(0);
  });

  it('a rejected patch writes nothing; updates started together both land, in order', async () => {
    const m = memoryStore(defaultSettings);
    const s = await SettingsService.open(m.store);
    await expect(s.update({ theme: 'dark', bogus: 1 } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: "settings.update: unknown setting 'bogus'." });
    expect(m.writes).toHaveLength(0);
    const [a, b] = await Promise.all([s.update({ theme: 'dark' }), s.update({ maxTokens: 64 })]);
    expect(a).toMatchObject({ theme: 'dark', maxTokens: 1024 });
    expect(b).toMatchObject({ theme: 'dark', maxTokens: 64 });
    expect(m.writes.at(-1)).toMatchObject({ theme: 'dark', maxTokens: 64 });
    expect(s.get()).toEqual(m.writes.at(-1));
  });
});
