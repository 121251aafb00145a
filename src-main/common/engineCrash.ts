/**
 * What the user is told when the engine process dies: what happened (a crash, or a stop from outside), what
 * Reckon did about it (restarting, restarted, not restarted and why, or nothing because it was closing), which
 * model was running and, for a model that keeps crashing it, that it is now marked broken. One sentence builder
 * for the host's error message, its log line, the CLI and the renderer's crash card, so they never disagree.
 */

/** What the supervisor did after the engine died, as far as it knows at the time the message is made. */
export type EngineRestart =
  /** A fresh engine is being started; it has not answered yet. */
  | 'restarting'
  /** A fresh engine is up and answered init. */
  | 'restarted'
  /** The crash-loop guard gave up, or the fresh engine could not be started: nothing runs until asked. */
  | 'not-restarted'
  /** Reckon was closing: nothing is restarted, and this was not a failure of the engine. */
  | 'shutting-down';

/** The details of an ENGINE_CRASHED error (ErrorPayload.details), as the host sends and stores them. */
export interface EngineCrashDetails {
  /** How the process ended: 'signal SIGKILL', 'exit code 3'. */
  how: string;
  /** The signal, when a signal ended it. */
  signal?: string;
  /** What the engine wrote to stderr during this failure only (an assertion text); absent when it wrote nothing. */
  reason?: string;
  restart: EngineRestart;
  /** restart === 'restarted' (kept for readers of the older details). */
  restarted: boolean;
  /** Why it was not restarted (restart 'not-restarted'), as a clause: 'it stopped 5 times within a minute'. */
  notRestartedWhy?: string;
  /** The model the engine was running (its display name). */
  model?: string;
  /** The model has now crashed the engine twice and is marked broken in the models list. */
  modelBroken?: boolean;
  /** The model new questions use instead of a broken one; absent when there is none to fall back on. */
  fallbackModel?: string;
}

/** Signals a person or the system sends to stop a process: a stop from outside, not a fault of the engine. */
const stopSignals = new Set(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']);

/** The sentence(s) for an engine that died. */
export function engineCrashMessage(d: EngineCrashDetails): string {
  const engine = d.model !== undefined ? `engine running ${d.model}` : 'engine';
  const why = `${d.how}${d.reason !== undefined ? `: ${d.reason}` : ''}`;
  if (d.restart === 'shutting-down') return `Reckon was closing and the ${engine} stopped (${why}); it was not restarted.`;
  const lead = d.signal !== undefined && stopSignals.has(d.signal)
    ? `The ${engine} was stopped from outside Reckon (${why}).`
    : `The ${engine} stopped unexpectedly (${why}).`;
  const after = {
    restarting: 'Reckon is restarting it; your conversation is safe - ask again once it is ready.',
    restarted: 'It has been restarted; your conversation is safe - ask again.',
    'not-restarted': `It was not restarted${d.notRestartedWhy !== undefined ? ` (${d.notRestartedWhy})` : ''}; your conversation is safe - the next question starts it afresh.`,
  }[d.restart];
  const broken = d.modelBroken === true && d.model !== undefined
    ? ` ${d.model} has crashed the engine twice and is marked broken: ${d.fallbackModel !== undefined ? `new questions use ${d.fallbackModel}` : 'pick another model'} until you choose "Try again" in the model picker.`
    : '';
  return `${lead} ${after}${broken}`;
}

/** The crash details of an error payload's details, or null when they are not an engine crash's. */
export function readEngineCrashDetails(details: unknown): EngineCrashDetails | null {
  if (typeof details !== 'object' || details === null) return null;
  const d = details as Record<string, unknown>;
  const restart = d['restart'];
  if (typeof d['how'] !== 'string' || (restart !== 'restarting' && restart !== 'restarted' && restart !== 'not-restarted' && restart !== 'shutting-down')) return null;
  const str = (k: string): string | undefined => (typeof d[k] === 'string' ? d[k] : undefined);
  const out: EngineCrashDetails = { how: d['how'], restart, restarted: restart === 'restarted' };
  for (const k of ['signal', 'reason', 'notRestartedWhy', 'model', 'fallbackModel'] as const) {
    const v = str(k);
    if (v !== undefined) out[k] = v;
  }
  if (d['modelBroken'] === true) out.modelBroken = true;
  return out;
}
