import type { Ledger } from './ledger';

/** The largest context the built-in engine creates, in tokens per sequence (engine/LlamaHost.ts). */
export const ENGINE_MAX_CONTEXT = 4096;
/** Sequences in the engine's one context: a few conversations keep their KV prefix at once. */
export const ENGINE_SEQUENCES = 4;
/** Head-room the engine's memory check keeps beyond the weights: compute buffers, the rest of the app. Bytes. */
export const MEMORY_MARGIN_BYTES = 512 * 1024 ** 2;

/**
 * Memory a model takes once the engine loaded it, in bytes: its weights (the file), the KV cache of the engine's
 * context (every sequence at the model's window; absent from the header = not counted) and the margin the
 * engine's memory check keeps.
 */
export function estimateModelMemory(m: { sizeBytes: number; contextLength: number | null; kvBytesPerToken?: number }): number {
  const kv = (m.kvBytesPerToken ?? 0) * contextWindowOf(m.contextLength) * ENGINE_SEQUENCES;
  return m.sizeBytes + kv + MEMORY_MARGIN_BYTES;
}

/**
 * Tokens of context a model gets from the engine. `asked` (the model's "Context length" setting, tokens) wins when
 * set, clamped to the trained length; unset = the trained length capped at ENGINE_MAX_CONTEXT. An unknown trained
 * length (null, 0) clamps nothing: the asked size, else the cap.
 */
export function contextWindowOf(trainedLength: number | null | undefined, asked?: number | null): number {
  const trained = trainedLength != null && trainedLength > 0 ? trainedLength : null;
  if (asked != null && asked > 0) return trained === null ? asked : Math.min(asked, trained);
  return trained === null ? ENGINE_MAX_CONTEXT : Math.min(trained, ENGINE_MAX_CONTEXT);
}

/** How full a conversation's context is. */
export interface ContextUse {
  /** What the next turn starts from: the last turn's prompt (decoded and cached) plus its answer. */
  used: number;
  /** The last turn at its fullest, its thinking included (thinking is not sent again with the history). */
  peak: number;
  window: number;
  level: 'ok' | 'warn' | 'full';
}

/** From this share of the window on the meter warns; from FULL_AT on it says the context is (almost) full. */
export const WARN_AT = 0.8;
export const FULL_AT = 0.95;

/** The context use after the last answered turn of a branch (ledgers of its messages, oldest first); null before any. */
export function contextUse(ledgers: readonly (Ledger | undefined)[], window: number): ContextUse | null {
  const last = [...ledgers].reverse().find((l) => l !== undefined);
  if (!last) return null;
  const used = last.prompt + last.cached + last.visible;
  const peak = used + last.thinking;
  const share = Math.max(used, peak) / window;
  return { used, peak, window, level: share >= FULL_AT ? 'full' : share >= WARN_AT ? 'warn' : 'ok' };
}
