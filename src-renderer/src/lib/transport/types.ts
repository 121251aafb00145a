import type { ReckonClient } from '$common/api';
import type { ModelInfo } from '$common/types';
import type { UploadProgress } from './upload';

/** Connection state of a transport; Electron IPC is always 'open'. */
export type ConnectionState =
  | { status: 'connecting'; attempt: number }
  | { status: 'open' }
  | { status: 'closed'; attempt: number; retryInMs: number; reason: string };

/** The client the renderer uses: the shared contract plus what only a front end needs. */
export interface AppClient extends ReckonClient {
  readonly kind: 'electron' | 'websocket';
  connection(): ConnectionState;
  onConnectionChange(listener: (s: ConnectionState) => void): () => void;
  /** Native .gguf picker (desktop only); null in the browser, where a path is typed. */
  readonly pickGguf: (() => Promise<string | null>) | null;
  /** Uploads a .gguf from the browser to the host, which streams it to disk and imports it (browser mode only). */
  readonly uploadGguf: ((file: File, onProgress: UploadProgress) => Promise<ModelInfo>) | null;
  close(): void;
}
