/**
 * The model registry (models.json). Bundled models (every *.gguf in modelsDir) are registered on start
 * through the engine's `inspect`; imported models are any .gguf the user points at. Removing never deletes
 * a file: bundled models are hidden, imported ones leave the registry.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ReckonError } from '../../common/errors';
import type { ModelInfo } from '../../common/types';
import type { Store } from '../store/Store';
import type { ModelRecord } from '../store/shapes';
import type { EngineSupervisor } from '../supervisor/EngineSupervisor';
import type { SettingsService } from './SettingsService';
import { readModelManifest } from './modelManifest';

/** Preferred default among bundled models. */
const preferredBundled = 'reckon-arith.gguf';

/** A model's name: its file's, without `.gguf` and a split GGUF's `-00001-of-00003` part. */
export function modelFileName(path: string): string {
  return basename(path).replace(/\.gguf$/i, '').replace(/-\d{5}-of-\d{5}$/, '') || basename(path);
}

/**
 * The record as the API shows it: named after its file (a downloaded `Qwen3-8B-Q4_K_M.gguf` stays told apart from
 * its other quantisations, which share one general.name); the stored name (the GGUF's general.name, which the
 * engine's inspect falls back to the file name for) becomes `metadataName` when it says something else.
 */
function publicInfo(r: ModelRecord | ModelInfo): ModelInfo {
  const { hidden: _hidden, mtimeMs: _mtime, ...info } = r as ModelRecord;
  const manifest = readModelManifest(r.path);
  const name = modelFileName(r.path);
  const metadataName = r.name !== name && r.name !== basename(r.path).replace(/\.gguf$/i, '') ? r.name : null;
  return { ...info, name, metadataName, historyTurns: manifest.historyTurns, pdrWorkspace: manifest.pdrWorkspace, effort: manifest.effort };
}

export class ModelsService {
  #records: ModelRecord[] = [];
  /** Models used by path without being registered (`reckon ask --model file.gguf`). */
  #transient = new Map<string, ModelInfo>();
  #synced: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly engine: EngineSupervisor,
    private readonly settings: SettingsService,
    private readonly modelsDir: string,
  ) {}

  async open(): Promise<void> {
    this.#records = await this.store.readModels();
    this.#synced = this.#syncBundled().catch((err: unknown) => {
      process.stderr.write(`reckon: could not register bundled models: ${ReckonError.from(err).message}\n`);
    });
  }

  /** Resolves when bundled models have been registered (models.list waits for it). */
  ready(): Promise<void> {
    return this.#synced;
  }

  async list(): Promise<ModelInfo[]> {
    await this.#synced;
    return this.#records.filter((r) => !r.hidden).map(publicInfo);
  }

  async import(path: string): Promise<ModelInfo> {
    await this.#synced;
    const abs = resolve(path);
    await this.#checkFile(abs);
    const info = await this.engine.call('inspect', { path: abs }); // a bad file rejects here: nothing registered
    const existing = this.#records.find((r) => r.id === info.id);
    if (existing) {
      if (existing.hidden) {
        existing.hidden = false;
        await this.store.writeModels(this.#records);
      }
      return publicInfo(existing);
    }
    const rec: ModelRecord = { ...info, path: abs, bundled: false, addedAt: new Date().toISOString() };
    this.#records.push(rec);
    await this.store.writeModels(this.#records);
    return publicInfo(rec);
  }

  async remove(id: string): Promise<void> {
    await this.#synced;
    const i = this.#records.findIndex((r) => r.id === id && !r.hidden);
    const rec = this.#records[i];
    if (!rec) throw new ReckonError('MODEL_NOT_FOUND', `No model with id '${id}'.`);
    if (rec.bundled) rec.hidden = true;
    else this.#records.splice(i, 1);
    await this.store.writeModels(this.#records);
    if (this.settings.get().modelId === id) await this.settings.update({ modelId: null });
  }

  /** The model a turn should use: an explicit id, else settings.modelId, else the bundled default. */
  async resolve(id?: string | null): Promise<ModelInfo> {
    await this.#synced;
    const wanted = id ?? this.settings.get().modelId;
    if (wanted) {
      const r = this.#records.find((m) => m.id === wanted) ?? [...this.#transient.values()].find((m) => m.id === wanted);
      if (!r) throw new ReckonError('MODEL_NOT_FOUND', `No model with id '${wanted}'.`);
      return publicInfo(r);
    }
    const visible = this.#records.filter((r) => !r.hidden);
    const pick = visible.find((r) => r.bundled && basename(r.path) === preferredBundled) ??
      visible.find((r) => r.bundled) ?? visible[0];
    if (!pick) throw new ReckonError('MODEL_NOT_FOUND', 'No model is available: import a .gguf file first.');
    return publicInfo(pick);
  }

  /** A .gguf by path: the registered entry when it is registered, else inspected and kept in memory only. */
  async byPath(path: string): Promise<ModelInfo> {
    await this.#synced;
    const abs = resolve(path);
    const reg = this.#records.find((r) => r.path === abs);
    if (reg) return publicInfo(reg);
    const cached = this.#transient.get(abs);
    if (cached) return publicInfo(cached);
    await this.#checkFile(abs);
    const info = await this.engine.call('inspect', { path: abs });
    const m: ModelInfo = { ...info, path: abs, bundled: false, addedAt: new Date().toISOString() };
    this.#transient.set(abs, m);
    return publicInfo(m);
  }

  async #checkFile(abs: string): Promise<void> {
    const st = await stat(abs).catch(() => null);
    if (!st || !st.isFile()) throw new ReckonError('MODEL_NOT_FOUND', `No model file at ${abs}.`);
  }

  async #syncBundled(): Promise<void> {
    let names: string[] = [];
    try {
      names = (await readdir(this.modelsDir)).filter((n) => n.toLowerCase().endsWith('.gguf')).sort();
    } catch {
      names = [];
    }
    let changed = false;
    const paths = new Set(names.map((n) => join(this.modelsDir, n)));
    // Bundled files that disappeared (or moved with the app) leave the registry.
    const before = this.#records.length;
    this.#records = this.#records.filter((r) => !r.bundled || paths.has(r.path));
    changed ||= this.#records.length !== before;
    for (const path of paths) {
      const st = await stat(path).catch(() => null);
      if (!st?.isFile()) continue;
      const known = this.#records.find((r) => r.path === path && r.bundled);
      // Size alone is not enough: an updated model can keep its size (same shape, new weights) and must be
      // hashed again, or probes and receipts would be looked up under the old file's sha256.
      if (known && known.sizeBytes === st.size && known.mtimeMs === st.mtimeMs) continue;
      try {
        const info = await this.engine.call('inspect', { path });
        const hidden = known?.hidden;
        this.#records = this.#records.filter((r) => r !== known && r.id !== info.id);
        const rec: ModelRecord = { ...info, path, bundled: true, addedAt: known?.addedAt ?? new Date().toISOString(), mtimeMs: st.mtimeMs };
        if (hidden) rec.hidden = true;
        this.#records.push(rec);
        changed = true;
      } catch (err) {
        const e = ReckonError.from(err);
        if (e.code === 'ENGINE_UNAVAILABLE' || e.code === 'ENGINE_CRASHED') throw e; // retried on the next start
        await this.store.addNotice('warning', `The bundled model ${basename(path)} could not be read (${e.code}): ${e.message}`);
      }
    }
    if (changed) await this.store.writeModels(this.#records);
  }
}
