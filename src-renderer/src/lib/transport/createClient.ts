import type { ReckonBridge } from '$common/bridge';
import { tokenFromUrl, wsUrlFor } from './backoff';
import { ElectronClient } from './electronTransport';
import type { AppClient } from './types';
import { WsClient } from './wsTransport';

/** Picks the transport once at start: the preload bridge when present, else the browser-mode WebSocket. */
export function createClient(win: Window & { reckon?: ReckonBridge } = window): AppClient {
  if (win.reckon) return new ElectronClient(win.reckon);
  const href = win.location.href;
  return new WsClient({ url: wsUrlFor(href, tokenFromUrl(href)) });
}
