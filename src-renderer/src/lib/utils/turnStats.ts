/** The speed line of an answer: tokens/s and time to first token (stored from the engine, or live). */
import type { TurnTimings } from '$common/types';

export interface TurnStatsLine {
  /** "41.2 tok/s" ("≈" while live: an estimate from the deltas on the client's clock). */
  speed: string;
  /** "0.35 s to first token" */
  firstToken: string;
  /** Tooltip: how each figure was measured. */
  detail: string;
  live: boolean;
}

function secs(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

export function finishedStats(t: TurnTimings): TurnStatsLine {
  return {
    speed: `${t.tokensPerSecond.toFixed(1)} tok/s`,
    firstToken: `${secs(t.timeToFirstTokenMs)} to first token`,
    detail:
      `${t.tokensPerSecond.toFixed(1)} tokens/s while decoding (${secs(t.decodeMs)}; parallel drafts add up)` +
      `; first token after ${secs(t.timeToFirstTokenMs)} (probe and prompt included)` +
      (t.loadMs > 0 ? `; the model loaded first in ${secs(t.loadMs)}` : ''),
    live: false,
  };
}

/** Live: null until the first token arrived. `tokens` is the client's estimate from the deltas. */
export function liveStats(startedAt: number, firstTokenAt: number | undefined, tokens: number, now: number): TurnStatsLine | null {
  if (firstTokenAt === undefined) return null;
  const elapsed = now - firstTokenAt;
  const rate = elapsed > 250 ? (Math.max(0, tokens - 1) / elapsed) * 1000 : null;
  return {
    speed: rate === null ? '… tok/s' : `≈${rate.toFixed(1)} tok/s`,
    firstToken: `${secs(firstTokenAt - startedAt)} to first token`,
    detail: 'Live estimate from the streamed text on this device’s clock; the engine’s own figures replace it when the answer ends.',
    live: true,
  };
}
