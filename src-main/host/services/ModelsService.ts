/**
 * The model registry (models.json). Bundled models (every *.gguf in modelsDir) are registered on start
 * through the engine's `inspect`; imported models are any .gguf the user points at. Removing never deletes
 * a file: bundled models are hidden, imported ones leave the registry.
 * A model that crashes the engine twice in a row (two crashes with no finished turn on it between them) is marked
 * broken (`ModelInfo.broken`, stored): turns that would use it get the bundled model instead (or MODEL_BROKEN when
 * there is none to use), until "Try again" (clearBroken) or the file changes. A model used by path without being
 * registered keeps its mark in memory only.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ReckonError } from '../../common/errors';
import type { ModelBroken, ModelInfo } from '../../common/types';
import type { Store } from '../store/Store';
import type { ModelRecord } from '../store/shapes';
import type { EngineSupervisor } from '../supervisor/EngineSupervisor';
import type { SettingsService } from './SettingsService';
import { readModelManifest } from './modelManifest';

/** Preferred default among bundled models. */
const preferredBundled = 'reckon-arith.gguf';

/** Engine crashes in a row with a model loaded that mark it broken. */
export const crashesToBreak = 2;

/** What a crash did to the model that was running (recordCrash). */
export interface CrashVerdict {
  /** The model is (now) marked broken. */
  broken: boolean;
  /** The model turns use instead; null when there is none (or the model is not broken). */
  fallback: ModelInfo | null;
}

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
  #syncFailed = false;
  /** Crashes in a row per model file (sha256 + path), and the number of the last one counted (one crash fails every turn it cut). */
  #crashes = new Map<string, { count: number; lastCrash: number }>();

  constructor(
    private readonly store: Store,
    private readonly engine: EngineSupervisor,
    private readonly settings: SettingsService,
    private readonly modelsDir: string,
  ) {}

  async open(): Promise<void> {
    this.#records = await this.store.readModels();
    this.#synced = this.#sync();
  }

  /**
   * Registers the bundled models. When the engine could not answer (still starting, crashed, or replaced by
   * Settings > Engine while it was asked), the next call that needs the registry tries again instead of leaving
   * the list empty until the app restarts.
   */
  #sync(): Promise<void> {
    this.#syncFailed = false;
    return this.#syncBundled().catch((err: unknown) => {
      this.#syncFailed = true;
      process.stderr.write(`reckon: could not register bundled models: ${ReckonError.from(err).message}\n`);
    });
  }

  /** Resolves when bundled models have been registered (models.list waits for it). */
  ready(): Promise<void> {
    if (this.#syncFailed) this.#synced = this.#sync();
    return this.#synced;
  }

  async list(): Promise<ModelInfo[]> {
    await this.ready();
    await this.#forgetChangedBroken();
    return this.#records.filter((r) => !r.hidden).map(publicInfo);
  }

  /**
   * The engine crashed while `model` was loaded: counts it (crash numbers already counted are ignored, so two turns
   * cut by one crash count once) and marks the model broken at the second crash in a row.
   * @param crash the supervisor's crash number (EngineCrashReport.crash).
   * @param reason how the engine died, for the mark ('signal SIGABRT: GGML_ASSERT(...) failed').
   */
  async recordCrash(model: ModelInfo, crash: number, reason: string): Promise<CrashVerdict> {
    await this.ready();
    const key = crashKey(model);
    const seen = this.#crashes.get(key) ?? { count: 0, lastCrash: -1 };
    if (seen.lastCrash !== crash) {
      seen.count++;
      seen.lastCrash = crash;
      this.#crashes.set(key, seen);
    }
    const target = this.#entryOf(model);
    if (seen.count >= crashesToBreak && target !== null && target.broken === undefined) {
      const st = await stat(model.path).catch(() => null);
      const mark: ModelBroken = { reason, at: new Date().toISOString(), fileSize: st?.size ?? model.sizeBytes, fileMtimeMs: st?.mtimeMs ?? 0 };
      target.broken = mark;
      if (this.#records.includes(target as ModelRecord)) await this.store.writeModels(this.#records);
    }
    const broken = target?.broken !== undefined;
    return { broken, fallback: broken ? this.#fallbackFor(model) : null };
  }

  /** A turn on `model` finished: its crashes are no longer "in a row". */
  recordSuccess(model: ModelInfo): void {
    this.#crashes.delete(crashKey(model));
  }

  /** "Try again": clears a model's broken mark (and its crash count); the next turn uses it. */
  async clearBroken(id: string): Promise<ModelInfo> {
    await this.ready();
    const rec = this.#records.find((r) => r.id === id && !r.hidden) ?? [...this.#transient.values()].find((m) => m.id === id);
    if (!rec) throw new ReckonError('MODEL_NOT_FOUND', `No model with id '${id}'.`);
    this.#crashes.delete(crashKey(rec));
    if (rec.broken !== undefined) {
      delete rec.broken;
      if (this.#records.includes(rec as ModelRecord)) await this.store.writeModels(this.#records);
    }
    return publicInfo(rec);
  }

  async import(path: string): Promise<ModelInfo> {
    await this.ready();
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
    await this.ready();
    const i = this.#records.findIndex((r) => r.id === id && !r.hidden);
    const rec = this.#records[i];
    if (!rec) throw new ReckonError('MODEL_NOT_FOUND', `No model with id '${id}'.`);
    if (rec.bundled) rec.hidden = true;
    else this.#records.splice(i, 1);
    await this.store.writeModels(this.#records);
    if (this.settings.get().modelId === id) await this.settings.update({ modelId: null });
  }

  /**
   * The model a turn should use: an explicit id, else settings.modelId, else the bundled default. One marked
   * broken gives way to the bundled default; MODEL_BROKEN when that is broken too (or is the same model).
   */
  async resolve(id?: string | null): Promise<ModelInfo> {
    await this.ready();
    await this.#forgetChangedBroken();
    const wanted = id ?? this.settings.get().modelId;
    let pick: ModelRecord | ModelInfo | undefined;
    if (wanted) {
      pick = this.#records.find((m) => m.id === wanted) ?? [...this.#transient.values()].find((m) => m.id === wanted);
      if (!pick) throw new ReckonError('MODEL_NOT_FOUND', `No model with id '${wanted}'.`);
    } else {
      const visible = this.#records.filter((r) => !r.hidden);
      pick = this.#bundledDefault(false) ?? visible[0];
      if (!pick) throw new ReckonError('MODEL_NOT_FOUND', 'No model is available: import a .gguf file first.');
    }
    if (pick.broken === undefined) return publicInfo(pick);
    const fallback = this.#fallbackFor(pick);
    if (fallback !== null) return fallback;
    throw brokenError(pick);
  }

  /**
   * A .gguf by path: the registered entry when it is registered, else inspected and kept in memory only.
   * A file marked broken is refused (MODEL_BROKEN): it was named explicitly, so no other model answers instead.
   */
  async byPath(path: string): Promise<ModelInfo> {
    await this.ready();
    await this.#forgetChangedBroken();
    const abs = resolve(path);
    const known = this.#records.find((r) => r.path === abs) ?? this.#transient.get(abs);
    if (known?.broken !== undefined) throw brokenError(known);
    if (known) return publicInfo(known);
    await this.#checkFile(abs);
    const info = await this.engine.call('inspect', { path: abs });
    const m: ModelInfo = { ...info, path: abs, bundled: false, addedAt: new Date().toISOString() };
    this.#transient.set(abs, m);
    return publicInfo(m);
  }

  /** The registered record (or in-memory entry) of a model, by sha256 and path. */
  #entryOf(model: ModelInfo): ModelRecord | ModelInfo | null {
    return this.#records.find((r) => r.sha256 === model.sha256 && r.path === model.path) ??
      [...this.#transient.values()].find((m) => m.sha256 === model.sha256 && m.path === model.path) ?? null;
  }

  /** The visible bundled default (reckon-arith first); `usable`: skip one marked broken. */
  #bundledDefault(usable: boolean): ModelRecord | undefined {
    const bundled = this.#records.filter((r) => !r.hidden && r.bundled && (!usable || r.broken === undefined));
    return bundled.find((r) => basename(r.path) === preferredBundled) ?? bundled[0];
  }

  /** What turns use instead of a broken model: the bundled default when it is usable and another file. */
  #fallbackFor(model: ModelInfo): ModelInfo | null {
    const b = this.#bundledDefault(true);
    return b === undefined || (b.sha256 === model.sha256 && b.path === model.path) ? null : publicInfo(b);
  }

  /** A broken mark lasts until the file changes: a new size or mtime clears it. */
  async #forgetChangedBroken(): Promise<void> {
    let changed = false;
    for (const r of [...this.#records, ...this.#transient.values()]) {
      if (r.broken === undefined) continue;
      const st = await stat(r.path).catch(() => null);
      if (st !== null && st.size === r.broken.fileSize && st.mtimeMs === r.broken.fileMtimeMs) continue;
      if (st === null) continue; // a missing file is MODEL_NOT_FOUND's business; the mark stays for when it is back
      delete r.broken;
      this.#crashes.delete(crashKey(r));
      changed ||= this.#records.includes(r as ModelRecord);
    }
    if (changed) await this.store.writeModels(this.#records);
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

function crashKey(m: Pick<ModelInfo, 'sha256' | 'path'>): string {
  return `${m.sha256}:${m.path}`;
}

function brokenError(m: Pick<ModelInfo, 'id' | 'name' | 'broken'>): ReckonError {
  return new ReckonError('MODEL_BROKEN',
    `${m.name} crashed the engine twice (${m.broken?.reason ?? 'unknown reason'}) and is marked broken; choose "Try again" in the model picker (or \`reckon models retry ${m.id}\`) to use it again.`,
    { modelId: m.id, ...(m.broken !== undefined ? { broken: m.broken } : {}) });
}
