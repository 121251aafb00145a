import type { ApiMethod, ApiResult, ReckonApi } from '$common/api';
import { ReckonError } from '$common/errors';
import type { TurnEvent } from '$common/events';
import type { ModelInfo } from '$common/types';
import { RpcClient } from '$common/rpc/RpcClient';
import { backoffDelay } from './backoff';
import type { AppClient, ConnectionState } from './types';
import { uploadGguf, type UploadProgress } from './upload';

/** WebSocket.OPEN, spelled out so the module loads where no global WebSocket exists (unit tests on Node 20). */
const OPEN = 1;
/** The close code the server sends to sockets of a rotated page token (web/server.ts TOKEN_ROTATED_CLOSE). */
export const TOKEN_ROTATED_CLOSE = 4001;
const ROTATED_REASON = 'This link\'s access token was replaced (Settings > Page link), so Reckon refuses it. Open the new link: the tab that made it has it, and `reckon serve` prints it.';

export interface WsClientOptions {
  /** ws://host/api?token=... */
  url: string;
  /** Factory, for tests. Defaults to the global WebSocket. */
  createSocket?: (url: string) => WebSocket;
}

/**
 * WebSocket transport for browser mode: the generic RPC client on a port per socket. Reconnects with backoff;
 * calls made while disconnected wait for the next open socket, calls in flight when it drops fail with IO_ERROR
 * (their replies are lost), and so do the waiting ones when an attempt to connect fails.
 */
export class WsClient implements AppClient {
  readonly kind = 'websocket' as const;
  readonly pickGguf = null;
  readonly uploadGguf = (file: File, onProgress: UploadProgress): Promise<ModelInfo> =>
    uploadGguf(file, new URL(this.opts.url).searchParams.get('token'), onProgress);
  private readonly rpc = new RpcClient<ReckonApi, TurnEvent>({
    queueWhileDisconnected: true,
    onListenerError: (err) => console.error('turn event listener failed', err),
  });
  private socket: WebSocket | null = null;
  private state: ConnectionState = { status: 'connecting', attempt: 1 };
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private attempt = 1;
  /** Set once the server closed the socket because the page token was rotated: the link is dead from then on. */
  private rotated = false;

  constructor(private readonly opts: WsClientOptions) {
    this.connect();
  }

  call<M extends ApiMethod>(method: M, ...params: Parameters<ReckonApi[M]>): Promise<ApiResult<M>> {
    return this.rpc.call(method, ...params);
  }

  onTurnEvent(listener: (e: TurnEvent) => void): () => void {
    return this.rpc.onEvent(listener);
  }

  connection(): ConnectionState {
    return this.state;
  }

  onConnectionChange(listener: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close();
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  private connect(): void {
    if (this.closed) return;
    this.setState({ status: 'connecting', attempt: this.attempt });
    let ws: WebSocket;
    try {
      ws = (this.opts.createSocket ?? ((u) => new WebSocket(u)))(this.opts.url);
    } catch (err) {
      this.scheduleRetry(String(err));
      return;
    }
    this.socket = ws;
    let toClient: ((frame: unknown) => void) | null = null;
    let closed: ((err: ReckonError) => void) | null = null;
    ws.onopen = () => {
      this.attempt = 1;
      this.setState({ status: 'open' });
      this.rpc.connect({
        send: (frame) => {
          if (ws.readyState !== OPEN) throw new ReckonError('IO_ERROR', 'The connection to Reckon is not open.');
          ws.send(JSON.stringify(frame));
        },
        onFrame: (cb) => {
          toClient = cb;
        },
        onClose: (cb) => {
          closed = cb;
        },
      });
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return; // not a frame: nothing to match it to
      }
      toClient?.(frame);
    };
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.socket = null;
      const lost = new ReckonError('IO_ERROR', 'The connection to Reckon was lost before the reply arrived.');
      if (closed) closed(lost);
      else this.rpc.failAll(lost); // never opened: the calls waiting for it fail, as a drop would fail them
      // 1008 = policy violation: the server refused the token; retrying will not help, but keep trying
      // slowly so a restarted server with the same token is picked up. 4001 (web/server.ts TOKEN_ROTATED_CLOSE): the
      // token was rotated, so every later attempt with it is refused too; the reason stays.
      if (ev.code === TOKEN_ROTATED_CLOSE) this.rotated = true;
      this.scheduleRetry(this.rotated ? ROTATED_REASON : ev.code === 1008 ? 'The server refused the access token.' : 'Disconnected from Reckon.');
    };
    ws.onerror = () => {
      // onclose follows and handles the retry.
    };
  }

  private scheduleRetry(reason: string): void {
    if (this.closed) return;
    const retryInMs = backoffDelay(this.attempt);
    this.setState({ status: 'closed', attempt: this.attempt, retryInMs, reason });
    this.attempt++;
    this.retryTimer = setTimeout(() => this.connect(), retryInMs);
  }
}
