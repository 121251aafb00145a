import { ReckonError } from '$common/errors';
import type { ModelInfo } from '$common/types';
import type { ModelService } from '../services/modelService';
import type { SettingsStore } from './settings.svelte';

export class ModelsStore {
  items = $state<ModelInfo[]>([]);
  importing = $state(false);
  importError = $state<ReckonError | null>(null);

  constructor(
    private readonly service: ModelService,
    private readonly settings: SettingsStore,
  ) {}

  get canPickFile(): boolean {
    return this.service.pickFile !== null;
  }

  /** The model new turns use: the chosen one, else the first bundled one. */
  get current(): ModelInfo | null {
    const id = this.settings.value.modelId;
    return this.items.find((m) => m.id === id) ?? this.items.find((m) => m.bundled) ?? this.items[0] ?? null;
  }

  async refresh(): Promise<void> {
    try {
      this.items = await this.service.list();
    } catch {
      // transient
    }
  }

  async select(id: string): Promise<void> {
    await this.settings.update({ modelId: id });
  }

  /** Desktop: opens the native dialog. Returns the imported model, or null (cancelled / failed). */
  async pickAndImport(): Promise<ModelInfo | null> {
    const path = await this.service.pickFile?.();
    return path ? this.import(path) : null;
  }

  async import(path: string): Promise<ModelInfo | null> {
    this.importing = true;
    this.importError = null;
    try {
      const m = await this.service.import(path.trim());
      await this.refresh();
      return m;
    } catch (err) {
      this.importError = ReckonError.from(err);
      return null;
    } finally {
      this.importing = false;
    }
  }

  clearError(): void {
    this.importError = null;
  }

  async remove(id: string): Promise<void> {
    await this.service.remove(id);
    if (this.settings.value.modelId === id) await this.settings.update({ modelId: null });
    await this.refresh();
  }
}
