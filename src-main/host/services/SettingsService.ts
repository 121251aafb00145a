import type { SettingsPatch } from '../../common/api';
import { ReckonError } from '../../common/errors';
import { parseSettings, safeParseJson, settingsPatchSchema } from '../../common/schemas';
import type { Settings } from '../../common/types';
import type { Store } from '../store/Store';

export class SettingsService {
  #settings: Settings;
  /** Updates run one after another, so each merges over the last committed value. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly store: Store, initial: Settings) {
    this.#settings = initial;
  }

  static async open(store: Store): Promise<SettingsService> {
    return new SettingsService(store, await store.readSettings());
  }

  get(): Settings {
    return { ...this.#settings };
  }

  /**
   * Parses the patch (strict: unknown keys are rejected), merges it, parses the merged result and persists it.
   * Memory changes only after the file is written, so a rejected or failed update leaves both as they were.
   */
  update(patch: SettingsPatch): Promise<Settings> {
    const run = this.#queue.then(async () => {
      const p = safeParseJson(settingsPatchSchema, patch, { topKey: 'setting' });
      if (!p.ok) throw new ReckonError('BAD_REQUEST', `settings.update: ${p.message}.`);
      const merged = parseSettings({ ...this.#settings, ...p.value });
      if (!merged.ok) throw new ReckonError('BAD_REQUEST', `settings.update: ${merged.message}.`);
      await this.store.writeSettings(merged.value);
      this.#settings = merged.value;
      return this.get();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
