import type { ReckonClient } from '$common/api';
import type { Settings } from '$common/types';

export class SettingsService {
  constructor(private readonly client: ReckonClient) {}
  get(): Promise<Settings> {
    return this.client.call('settings.get');
  }
  update(patch: Partial<Settings>): Promise<Settings> {
    return this.client.call('settings.update', patch);
  }
}
