/**
 * The Electron preload bridge, as the renderer sees it (`window.reckon`).
 * Additive to api.ts: the bridge carries the same ApiMethod calls, but replies are plain data
 * (contextBridge and ipc drop custom Error fields, so errors travel as an ErrorPayload, never as a throw).
 */
import type { ApiMethod } from './api';
import type { ErrorPayload } from './errors';
import type { TurnEvent } from './events';

/** IPC channel names, fixed: main accepts nothing else. */
export const BridgeChannels = {
  call: 'reckon:call',
  event: 'reckon:event',
  pickGguf: 'reckon:pick-gguf',
} as const;

export type BridgeReply = { ok: true; result: unknown } | { ok: false; error: ErrorPayload };

export interface ReckonBridge {
  call(method: ApiMethod, params?: unknown): Promise<BridgeReply>;
  /** Subscribes to turn events; returns an unsubscribe function. */
  onEvent(cb: (e: TurnEvent) => void): () => void;
  /** Opens a native file dialog for a .gguf; null when cancelled. */
  pickGguf(): Promise<string | null>;
}
