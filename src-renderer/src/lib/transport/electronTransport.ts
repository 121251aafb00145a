import type { ApiMethod, ApiResult, ReckonApi } from '$common/api';
import type { ReckonBridge } from '$common/bridge';
import type { TurnEvent } from '$common/events';
import { RpcClient } from '$common/rpc/RpcClient';
import type { AppClient, ConnectionState } from './types';

/** Transport over the preload bridge (`window.reckon`): the generic RPC client on an IPC port, always open. */
export class ElectronClient implements AppClient {
  readonly kind = 'electron' as const;
  readonly pickGguf: () => Promise<string | null>;
  /** The desktop app imports by path (its file dialog): no upload. */
  readonly uploadGguf = null;
  private readonly rpc = new RpcClient<ReckonApi, TurnEvent>({
    onListenerError: (err) => console.error('turn event listener failed', err),
  });

  constructor(bridge: ReckonBridge) {
    this.pickGguf = () => bridge.pickGguf();
    this.rpc.connect({
      send: (frame) => bridge.send(frame),
      onFrame: (cb) => {
        bridge.onFrame(cb);
      },
      // IPC to our own main process does not drop: the window and the host end together.
      onClose: () => undefined,
    });
  }

  call<M extends ApiMethod>(method: M, ...params: Parameters<ReckonApi[M]>): Promise<ApiResult<M>> {
    return this.rpc.call(method, ...params);
  }

  onTurnEvent(listener: (e: TurnEvent) => void): () => void {
    return this.rpc.onEvent(listener);
  }

  connection(): ConnectionState {
    return { status: 'open' };
  }

  onConnectionChange(): () => void {
    return () => {};
  }

  close(): void {}
}
