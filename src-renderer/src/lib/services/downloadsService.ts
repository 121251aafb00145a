import type { DownloadStartParams, HubConfigureParams, ReckonClient } from '$common/api';
import type { DownloadInfo, HubConfig, HubModelFile, HubRepo } from '$common/downloads';

/** The hub and model downloads (docs/downloads.md); progress arrives as `download` events. */
export class DownloadsService {
  constructor(private readonly client: ReckonClient) {}
  search(query: string): Promise<HubRepo[]> {
    return this.client.call('hub.search', { query, limit: 30 });
  }
  files(repo: string): Promise<HubModelFile[]> {
    return this.client.call('hub.files', { repo });
  }
  config(): Promise<HubConfig> {
    return this.client.call('hub.config');
  }
  configure(p: HubConfigureParams): Promise<HubConfig> {
    return this.client.call('hub.configure', p);
  }
  start(p: DownloadStartParams): Promise<DownloadInfo> {
    return this.client.call('downloads.start', p);
  }
  list(): Promise<DownloadInfo[]> {
    return this.client.call('downloads.list');
  }
  pause(id: string): Promise<DownloadInfo> {
    return this.client.call('downloads.pause', { id });
  }
  resume(id: string): Promise<DownloadInfo> {
    return this.client.call('downloads.resume', { id });
  }
  cancel(id: string): Promise<void> {
    return this.client.call('downloads.cancel', { id });
  }
  /** Every download's changes (state and throttled progress). */
  onDownload(listener: (d: DownloadInfo) => void): () => void {
    return this.client.onTurnEvent((e) => {
      if (e.type === 'download') listener(e.download);
    });
  }
}
