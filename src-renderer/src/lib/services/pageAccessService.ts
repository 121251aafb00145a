import type { ReckonClient } from '$common/api';

/** Browser mode's page access token (Settings > Page link). */
export class PageAccessService {
  constructor(private readonly client: ReckonClient) {}
  rotateToken(): Promise<{ token: string }> {
    return this.client.call('page.rotateToken');
  }
}
