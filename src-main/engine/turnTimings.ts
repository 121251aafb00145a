import type { GenerateResult } from '../common/engineProtocol';
import type { TurnTimings } from '../common/types';

/**
 * A turn's timings from the engine's clock (ms since epoch): `asked` when generate arrived, `started` once the
 * model was loaded, `first` at the first streamed token (null: none came), `end` when generation ended.
 */
/** Tokens/s counts what was decoded after the first streamed token (prompt and probe excluded). */
export function timingsOf(r: GenerateResult, asked: number, started: number, first: number | null, end: number): TurnTimings {
  const l = r.ledger;
  const firstAt = first ?? end;
  const decodeMs = Math.max(0, end - firstAt);
  const decoded = Math.max(0, l.billed - l.prompt - l.overhead.probe - 1);
  return {
    loadMs: started - asked,
    timeToFirstTokenMs: firstAt - started,
    decodeMs,
    tokensPerSecond: decodeMs > 0 ? Math.round((decoded / decodeMs) * 10_000) / 10 : 0,
  };
}

