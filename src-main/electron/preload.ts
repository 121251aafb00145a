// Sandboxed preload: exposes exactly window.reckon = {call, onEvent, pickGguf} on three fixed channels.
// It never hands ipcRenderer (or any Electron object) to the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiMethod } from '../common/api';
import { BridgeChannels, type BridgeReply, type ReckonBridge } from '../common/bridge';
import type { TurnEvent } from '../common/events';

// common/bridge.ts is inlined by the bundler: a sandboxed preload can require only 'electron' at runtime.
const bridge: ReckonBridge = {
  call: (method: ApiMethod, params?: unknown) => ipcRenderer.invoke(BridgeChannels.call, method, params) as Promise<BridgeReply>,
  onEvent: (cb: (e: TurnEvent) => void) => {
    const listener = (_e: IpcRendererEvent, ev: TurnEvent) => cb(ev);
    ipcRenderer.on(BridgeChannels.event, listener);
    return () => {
      ipcRenderer.removeListener(BridgeChannels.event, listener);
    };
  },
  pickGguf: () => ipcRenderer.invoke(BridgeChannels.pickGguf) as Promise<string | null>,
};

contextBridge.exposeInMainWorld('reckon', bridge);
