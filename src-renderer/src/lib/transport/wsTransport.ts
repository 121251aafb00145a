import type { ApiMethod, ApiResult, ReckonApi } from '$common/api';
import { ReckonError } from '$common/errors';
import type { TurnEvent } from '$common/events';
import { backoffDelay } from './backoff';
import { RpcCore } from './rpc';
import type { AppClient, ConnectionState } from './types';

/** WebSocket.OPEN, spelled out so the module loads where no global WebSocket exists (unit tests on Node 20). */
const OPEN = 1;

export interface WsClientOptions {
  /** ws://host/api?token=... */
  url: string;
  /** Factory, for tests. Defaults to the global WebSocket. */
  createSocket?: (url: string) => WebSocket;
}

/**
 * WebSocket transport for browser mode. Reconnects with backoff; calls made while disconnected
 * wait for the next open socket, calls in flight when it drops fail with IO_ERROR (their replies are lost).
 */
export class WsClient implements AppClient {
  readonly kind = 'websocket' as const;
  readonly pickGguf = null;
  private readonly rpc = new RpcCore();
  private socket: WebSocket | null = null;
  private state: ConnectionState = { status: 'connecting', attempt: 1 };
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private readonly queue: string[] = [];
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private attempt = 1;

  constructor(private readonly opts: WsClientOptions) {
    this.connect();
  }

  call<M extends ApiMethod>(method: M, ...params: Parameters<ReckonApi[M]>): Promise<ApiResult<M>> {
    const { frame, reply } = this.rpc.request(method, params[0]);
    const text = JSON.stringify(frame);
    if (this.socket && this.socket.readyState === OPEN) this.socket.send(text);
    else this.queue.push(text);
    return reply as Promise<ApiResult<M>>;
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
    ws.onopen = () => {
      this.attempt = 1;
      this.setState({ status: 'open' });
      for (const text of this.queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') this.rpc.handleText(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.socket = null;
      this.rpc.failAll(new ReckonError('IO_ERROR', 'The connection to Reckon was lost before the reply arrived.'));
      // 1008 = policy violation: the server refused the token; retrying will not help, but keep trying
      // slowly so a restarted server with the same token is picked up.
      this.scheduleRetry(ev.code === 1008 ? 'The server refused the access token.' : 'Disconnected from Reckon.');
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
