import { ActionState } from './actionState.svelte';
import { defaultEngineSettings, type EngineSettings, type RemoteEngineInfo } from '$common/types';
import type { EngineService } from '../services/engineService';
import type { SettingsStore } from './settings.svelte';
import type { SystemStore } from './system.svelte';

/**
 * Settings > Engine: Test connection (the server's model, slots and build, or the error's code and sentence) and
 * Apply (settings.update with `engine`: the host tests a llama-server first and switches its engine at runtime).
 */
export class EngineStore extends ActionState {
  tested = $state<RemoteEngineInfo | null>(null);

  constructor(private readonly service: EngineService, private readonly settings: SettingsStore, private readonly system: SystemStore) {
    super();
  }

  get value(): EngineSettings {
    return this.settings.value.engine ?? defaultEngineSettings;
  }

  async test(url: string, apiKey: string): Promise<boolean> {
    this.tested = null;
    return this.run(async () => {
      this.tested = await this.service.test(url.trim(), apiKey);
    });
  }

  async apply(next: EngineSettings): Promise<boolean> {
    return this.run(async () => {
      await this.settings.update({ engine: { ...next, url: next.url.trim() } });
      await this.system.refresh();
    });
  }
}
