import type { ModelInfo } from '../../common/types';

/**
 * Which model the engine has loaded, for system.info: set by models.load and by every turn that ran (the engine
 * loads the turn's model), cleared when the engine crashes (a restarted engine has nothing loaded).
 * `asked` is the model the engine was last asked to load or answer with, set before the call goes out: the model
 * a crash is told against (and counted against) even when it died during the load.
 */
export class LoadedModel {
  current: ModelInfo | null = null;
  asked: ModelInfo | null = null;
}
