import type { ReckonClient } from '$common/api';
import type { RemoteEngineInfo } from '$common/types';

/** Settings > Engine: asks a llama-server what it runs (engine.test); Apply goes through settings.update. */
export class EngineService {
  constructor(private readonly client: ReckonClient) {}
  test(url: string, apiKey: string): Promise<RemoteEngineInfo> {
    return this.client.call('engine.test', { url, ...(apiKey !== '' ? { apiKey } : {}) });
  }
}
