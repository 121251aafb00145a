/**
 * The token ledger: what one turn cost, by kind (see docs/ledger.md).
 * billed = prompt + thinking + overhead total + visible. cached tokens are reused KV entries
 * and are reported apart (not billed, since the engine did not process them again).
 */

/** Overhead kinds: tokens generated or decoded that neither the user nor the accepted path sees. */
export const OverheadKinds = ['probe', 'trial', 'draft', 'distill'] as const;
export type OverheadKind = (typeof OverheadKinds)[number];

export interface Ledger {
  /** Answer tokens the user sees. */
  visible: number;
  /** Hidden reasoning tokens on the accepted path. */
  thinking: number;
  /** Input tokens actually decoded (prefill), excluding cached ones. */
  prompt: number;
  /** Input tokens reused from the KV cache (not decoded again). */
  cached: number;
  /** Overhead tokens by kind; absent kinds are 0. */
  overhead: Record<OverheadKind, number>;
  /** Everything the engine processed: prompt + thinking + overhead + visible. */
  billed: number;
  /** Tokens along the accepted path (prompt + thinking + visible): a latency proxy. */
  sequential: number;
}

export interface LedgerCounts {
  visible: number;
  thinking: number;
  prompt: number;
  cached: number;
  overhead?: Partial<Record<OverheadKind, number>>;
}

export function emptyOverhead(): Record<OverheadKind, number> {
  return { probe: 0, trial: 0, draft: 0, distill: 0 };
}

export function overheadTotal(l: Pick<Ledger, 'overhead'>): number {
  return OverheadKinds.reduce((s, k) => s + (l.overhead[k] ?? 0), 0);
}

/** Builds a ledger from raw counts; billed and sequential are always derived, never stored apart. */
export function makeLedger(c: LedgerCounts): Ledger {
  const overhead = { ...emptyOverhead(), ...(c.overhead ?? {}) };
  for (const v of [c.visible, c.thinking, c.prompt, c.cached, ...Object.values(overhead)]) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`ledger counts must be non-negative integers, got ${v}`);
  }
  const oh = overheadTotal({ overhead });
  return {
    visible: c.visible,
    thinking: c.thinking,
    prompt: c.prompt,
    cached: c.cached,
    overhead,
    billed: c.prompt + c.thinking + oh + c.visible,
    sequential: c.prompt + c.thinking + c.visible,
  };
}

export function emptyLedger(): Ledger {
  return makeLedger({ visible: 0, thinking: 0, prompt: 0, cached: 0 });
}

/** Sums ledgers (per conversation totals). */
export function sumLedgers(ls: readonly Ledger[]): Ledger {
  const overhead = emptyOverhead();
  let visible = 0, thinking = 0, prompt = 0, cached = 0;
  for (const l of ls) {
    visible += l.visible; thinking += l.thinking; prompt += l.prompt; cached += l.cached;
    for (const k of OverheadKinds) overhead[k] += l.overhead[k] ?? 0;
  }
  return makeLedger({ visible, thinking, prompt, cached, overhead });
}

/** True when billed and sequential are consistent with the parts. */
export function ledgerAddsUp(l: Ledger): boolean {
  return l.billed === l.prompt + l.thinking + overheadTotal(l) + l.visible &&
    l.sequential === l.prompt + l.thinking + l.visible;
}
