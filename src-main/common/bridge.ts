/**
 * The Electron preload bridge, as the renderer sees it (`window.reckon`): a port of the generic RPC
 * (common/rpc) over two fixed IPC channels. Frames are plain data (contextBridge and IPC drop custom Error
 * fields, so errors travel as an ErrorPayload inside an error frame, never as a throw).
 */
import type { ClientFrame } from './api';

/** IPC channel names, fixed: main accepts nothing else. */
export const BridgeChannels = {
  /** Both ways: call frames renderer -> main, reply and event frames main -> renderer. */
  frame: 'reckon:frame',
  pickGguf: 'reckon:pick-gguf',
} as const;

export interface ReckonBridge {
  /** Sends one call frame to the host. */
  send(frame: ClientFrame): void;
  /** Subscribes to frames from the host (replies and turn events); returns an unsubscribe function. */
  onFrame(cb: (frame: unknown) => void): () => void;
  /** Opens a native file dialog for a .gguf; null when cancelled. */
  pickGguf(): Promise<string | null>;
}
