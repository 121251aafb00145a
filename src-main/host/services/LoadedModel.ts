import type { ModelInfo } from '../../common/types';

/**
 * Which model the engine has loaded, for system.info: set by models.load and by every turn that ran (the engine
 * loads the turn's model), cleared when the engine crashes (a restarted engine has nothing loaded).
 */
export class LoadedModel {
  current: ModelInfo | null = null;
}
