import type { ModelSettings } from '$common/modelSettings';
import { ReckonError } from '$common/errors';
import type { ModelInfo } from '$common/types';
import type { ModelService } from '../services/modelService';
import type { SettingsStore } from './settings.svelte';

export class ModelsStore {
  items = $state<ModelInfo[]>([]);
  importing = $state(false);
  importError = $state<ReckonError | null>(null);
  /** The file being uploaded (browser mode) and how far it is. */
  upload = $state<{ name: string; sent: number; total: number } | null>(null);
  /** Each model's "Context length" setting as last read or saved (null = unset), for the context meter. */
  askedContext = $state<Record<string, number | null>>({});

  constructor(
    private readonly service: ModelService,
    private readonly settings: SettingsStore,
  ) {}

  get canPickFile(): boolean {
    return this.service.pickFile !== null;
  }

  get canUpload(): boolean {
    return this.service.uploadFile !== null;
  }

  /** Browser mode: sends a .gguf (file picker or drop) to the host, which streams it to disk and imports it. */
  async uploadFile(file: File): Promise<ModelInfo | null> {
    const send = this.service.uploadFile;
    if (!send || this.upload !== null) return null;
    this.importError = null;
    if (!/\.gguf$/i.test(file.name)) {
      this.importError = new ReckonError('BAD_REQUEST', `${file.name} is not a .gguf file.`);
      return null;
    }
    this.upload = { name: file.name, sent: 0, total: file.size };
    try {
      const m = await send(file, (sent, total) => {
        this.upload = { name: file.name, sent, total };
      });
      await this.refresh();
      return m;
    } catch (err) {
      this.importError = ReckonError.from(err);
      return null;
    } finally {
      this.upload = null;
    }
  }

  /** The model new turns use: the chosen one, else the first bundled one; a broken one gives way to a bundled one that is not. */
  get current(): ModelInfo | null {
    const id = this.settings.value.modelId;
    const chosen = this.items.find((m) => m.id === id) ?? this.items.find((m) => m.bundled) ?? this.items[0] ?? null;
    if (chosen?.broken === undefined) return chosen;
    return this.items.find((m) => m.bundled && m.broken === undefined) ?? chosen;
  }

  /** "Try again": clears a model's broken mark; the next question uses it. */
  async clearBroken(id: string): Promise<void> {
    await this.service.clearBroken(id);
    await this.refresh();
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

  /** A model's own settings (docs/ui.md "Per-model settings"). */
  async settingsOf(id: string): Promise<ModelSettings> {
    const s = await this.service.settings(id);
    this.askedContext[id] = s.contextSize ?? null;
    return s;
  }

  /** Replaces a model's settings; rejects with the host's BAD_REQUEST sentence when a value is out of range. */
  async updateSettings(id: string, settings: ModelSettings): Promise<ModelSettings> {
    const s = await this.service.updateSettings(id, settings);
    this.askedContext[id] = s.contextSize ?? null;
    return s;
  }

  async remove(id: string): Promise<void> {
    await this.service.remove(id);
    if (this.settings.value.modelId === id) await this.settings.update({ modelId: null });
    await this.refresh();
  }
}
