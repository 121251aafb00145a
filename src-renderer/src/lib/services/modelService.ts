import type { ReckonClient } from '$common/api';
import type { ModelSettings } from '$common/modelSettings';
import type { BackendInfo, ModelInfo } from '$common/types';
import type { UploadProgress } from '../transport/upload';

export class ModelService {
  constructor(
    private readonly client: ReckonClient,
    /** Native file dialog (desktop only). */
    readonly pickFile: (() => Promise<string | null>) | null,
    /** Upload to the host (browser mode only). */
    readonly uploadFile: ((file: File, onProgress: UploadProgress) => Promise<ModelInfo>) | null = null,
  ) {}
  list(): Promise<ModelInfo[]> {
    return this.client.call('models.list');
  }
  import(path: string): Promise<ModelInfo> {
    return this.client.call('models.import', { path });
  }
  remove(id: string): Promise<void> {
    return this.client.call('models.remove', { id });
  }
  settings(id: string): Promise<ModelSettings> {
    return this.client.call('models.settings', { id });
  }
  updateSettings(id: string, settings: ModelSettings): Promise<ModelSettings> {
    return this.client.call('models.updateSettings', { id, settings });
  }
  /** "Try again" on a model marked broken. */
  clearBroken(id: string): Promise<ModelInfo> {
    return this.client.call('models.clearBroken', { id });
  }
  load(id: string): Promise<BackendInfo> {
    return this.client.call('models.load', { id });
  }
}
