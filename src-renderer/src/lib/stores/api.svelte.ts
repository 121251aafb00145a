import { ActionState } from './actionState.svelte';
import type { ApiServerStatus, ApiSettings } from '$common/types';
import type { ApiService } from '../services/apiService';
import type { SettingsStore } from './settings.svelte';

/**
 * Settings > API: the key (masked until shown), the port's status and the settings.api edits, applied at once.
 * Each action clears the last error and records its own (shown through ErrorAlert).
 */
export class ApiStore extends ActionState {
  key = $state<{ key: string; fixed: boolean } | null>(null);
  status = $state<ApiServerStatus | null>(null);

  constructor(private readonly service: ApiService, private readonly settings: SettingsStore) {
    super();
  }

  async load(): Promise<void> {
    await this.run(async () => {
      [this.key, this.status] = await Promise.all([this.service.key(), this.service.status()]);
    });
  }

  /** Merges `patch` over the current API settings, saves it and reads the port's status back. */
  async update(patch: Partial<ApiSettings>): Promise<boolean> {
    return this.run(async () => {
      await this.settings.update({ api: { ...this.settings.value.api, ...patch } });
      this.status = await this.service.status();
    });
  }

  async rotate(): Promise<boolean> {
    return this.run(async () => {
      this.key = await this.service.rotateKey();
    });
  }
}
