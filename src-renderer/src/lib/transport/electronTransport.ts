import type { ApiMethod, ApiResult, ReckonApi } from '$common/api';
import type { ReckonBridge } from '$common/bridge';
import { ReckonError } from '$common/errors';
import type { TurnEvent } from '$common/events';
import type { AppClient, ConnectionState } from './types';

/** Transport over the preload bridge (`window.reckon`). IPC cannot drop, so it is always open. */
export class ElectronClient implements AppClient {
  readonly kind = 'electron' as const;
  readonly pickGguf: () => Promise<string | null>;

  constructor(private readonly bridge: ReckonBridge) {
    this.pickGguf = () => bridge.pickGguf();
  }

  async call<M extends ApiMethod>(method: M, ...params: Parameters<ReckonApi[M]>): Promise<ApiResult<M>> {
    const reply = await this.bridge.call(method, params[0]);
    if (reply.ok) return reply.result as ApiResult<M>;
    throw ReckonError.from(reply.error);
  }

  onTurnEvent(listener: (e: TurnEvent) => void): () => void {
    return this.bridge.onEvent(listener);
  }

  connection(): ConnectionState {
    return { status: 'open' };
  }

  onConnectionChange(): () => void {
    return () => {};
  }

  close(): void {}
}
