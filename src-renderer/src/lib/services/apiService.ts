import type { ReckonClient } from '$common/api';
import type { ApiServerStatus } from '$common/types';

/** The OpenAI-compatible API's key and port status (Settings > API). */
export class ApiService {
  constructor(private readonly client: ReckonClient) {}
  key(): Promise<{ key: string; fixed: boolean }> {
    return this.client.call('api.key');
  }
  rotateKey(): Promise<{ key: string; fixed: boolean }> {
    return this.client.call('api.rotateKey');
  }
  status(): Promise<ApiServerStatus> {
    return this.client.call('api.status');
  }
}
