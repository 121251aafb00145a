import { ReckonError } from '../../common/errors';
import type { Settings } from '../../common/types';
import type { Store } from '../store/Store';
import { settingsFieldError } from '../store/shapes';

export class SettingsService {
  #settings: Settings;

  private constructor(private readonly store: Store, initial: Settings) {
    this.#settings = initial;
  }

  static async open(store: Store): Promise<SettingsService> {
    return new SettingsService(store, await store.readSettings());
  }

  get(): Settings {
    return { ...this.#settings };
  }

  /** Applies a validated partial update and persists it. */
  async update(patch: Partial<Settings>): Promise<Settings> {
    for (const [k, v] of Object.entries(patch)) {
      const err = settingsFieldError(k, v);
      if (err) throw new ReckonError('BAD_REQUEST', err);
    }
    this.#settings = { ...this.#settings, ...patch };
    await this.store.writeSettings(this.#settings);
    return this.get();
  }
}
