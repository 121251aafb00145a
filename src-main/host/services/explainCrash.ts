import { engineCrashMessage, readEngineCrashDetails, type EngineCrashDetails } from '../../common/engineCrash';
import { ReckonError } from '../../common/errors';
import type { ModelInfo } from '../../common/types';
import type { EngineCrashReport, EngineSupervisor } from '../supervisor/EngineSupervisor';
import type { ModelsService } from './ModelsService';

export interface ExplainCrashOptions {
  engine: EngineSupervisor;
  models: ModelsService;
  /**
   * Longest a failed call waits for the restart's outcome before it is told, in ms: the message then says
   * "restarted" or "not restarted"; past it, "restarting" (true at that moment). Defaults to 15 000.
   */
  waitMs?: number;
}

/**
 * Turns the ENGINE_CRASHED a call got into the one the user is told: counted against the model that was running
 * (marked broken at its second crash in a row), with what the supervisor did about it once known, and the model
 * named. Errors of other codes, and crash errors without crash details, come back as they were.
 */
export type ExplainCrash = (model: ModelInfo, err: ReckonError) => Promise<ReckonError>;

export function explainCrash(o: ExplainCrashOptions): ExplainCrash {
  return async (model, err) => {
    const base = readEngineCrashDetails(err.details);
    const crash = typeof err.details?.['crash'] === 'number' ? err.details['crash'] : null;
    if (err.code !== 'ENGINE_CRASHED' || base === null || crash === null) return err;
    const verdict = await o.models.recordCrash(model, crash, `${base.how}${base.reason !== undefined ? `: ${base.reason}` : ''}`);
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      o.engine.crashSettled(),
      new Promise<null>((r) => { timer = setTimeout(() => r(null), o.waitMs ?? 15_000); }),
    ]);
    clearTimeout(timer);
    const latest: EngineCrashReport | null = settled?.crash === crash ? settled : o.engine.lastCrash;
    const { crash: _n, ...now } = latest?.crash === crash ? latest : { ...base, crash };
    const details: EngineCrashDetails = {
      ...now, model: model.name,
      ...(verdict.broken ? { modelBroken: true, ...(verdict.fallback !== null ? { fallbackModel: verdict.fallback.name } : {}) } : {}),
    };
    return new ReckonError('ENGINE_CRASHED', engineCrashMessage(details), { ...details, crash, modelId: model.id });
  };
}
