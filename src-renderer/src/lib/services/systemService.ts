import type { ReckonClient } from '$common/api';
import type { Notice, SystemInfo } from '$common/types';

export class SystemService {
  constructor(private readonly client: ReckonClient) {}
  info(): Promise<SystemInfo> {
    return this.client.call('system.info');
  }
  notices(): Promise<Notice[]> {
    return this.client.call('system.notices');
  }
  dismissNotice(id: string): Promise<void> {
    return this.client.call('system.dismissNotice', { id });
  }
}
