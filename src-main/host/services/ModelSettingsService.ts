/**
 * Per-model settings (common/modelSettings.ts), one Store document for every model: `model-settings.json`,
 * `{version: 1, models: {<model id>: ModelSettings}}`. A file that does not parse is set aside with a notice and
 * every model falls back to the global settings.
 */
import { ReckonError } from '../../common/errors';
import { modelSettingsProblems, type ModelSettings } from '../../common/modelSettings';
import type { JsonDoc, Store } from '../store/Store';
import { stored } from '../store/shapes';

export const MODEL_SETTINGS_FILE = 'model-settings.json';

interface ModelSettingsFile {
  version: 1;
  models: Record<string, ModelSettings>;
}

/** Drops absent fields and an empty stop list, so what is stored says only what the user set. */
function compact(s: ModelSettings): ModelSettings {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined) continue;
    if (k === 'stop' && Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out as ModelSettings;
}

export class ModelSettingsService {
  #doc: JsonDoc<ModelSettingsFile>;
  #file: ModelSettingsFile = { version: 1, models: {} };
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(store: Store) {
    this.#doc = store.json(MODEL_SETTINGS_FILE, {
      parse: stored('modelSettings'),
      pretty: true,
      describe: (file, aside) => `The per-model settings file ${file} was unreadable and was set aside (as ${aside}); every model uses the global settings.`,
    });
  }

  static async open(store: Store): Promise<ModelSettingsService> {
    const s = new ModelSettingsService(store);
    s.#file = (await s.#doc.read()) ?? { version: 1, models: {} };
    return s;
  }

  /** The model's settings; {} when it has none. */
  get(modelId: string): ModelSettings {
    return structuredClone(this.#file.models[modelId] ?? {});
  }

  /**
   * Replaces a model's settings. Out-of-range values reject with BAD_REQUEST, the first problem as the message
   * (a sentence), every problem in `details.problems` and its field in `details.field`; nothing is written then.
   */
  set(modelId: string, settings: ModelSettings): Promise<ModelSettings> {
    const problems = modelSettingsProblems(settings);
    if (problems.length > 0) {
      return Promise.reject(new ReckonError('BAD_REQUEST', problems[0]!.message, { field: problems[0]!.field, problems }));
    }
    const value = compact(settings);
    const run = this.#queue.then(async () => {
      const models = { ...this.#file.models };
      if (Object.keys(value).length === 0) delete models[modelId];
      else models[modelId] = value;
      const next: ModelSettingsFile = { version: 1, models };
      // Written before memory changes: a failed write leaves both as they were.
      await this.#doc.write(next);
      this.#file = next;
      return structuredClone(value);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
