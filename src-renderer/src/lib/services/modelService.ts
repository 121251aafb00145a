import type { ReckonClient } from '$common/api';
import type { BackendInfo, ModelInfo } from '$common/types';

export class ModelService {
  constructor(
    private readonly client: ReckonClient,
    /** Native file dialog (desktop only). */
    readonly pickFile: (() => Promise<string | null>) | null,
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
  load(id: string): Promise<BackendInfo> {
    return this.client.call('models.load', { id });
  }
}
