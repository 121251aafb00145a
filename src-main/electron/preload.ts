// Sandboxed preload: exposes exactly window.reckon = {send, onFrame, pickGguf} on two fixed channels.
// It never hands ipcRenderer (or any Electron object) to the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ClientFrame } from '../common/api';
import { BridgeChannels, type ReckonBridge } from '../common/bridge';

// common/bridge.ts is inlined by the bundler: a sandboxed preload can require only 'electron' at runtime.
const bridge: ReckonBridge = {
  send: (frame: ClientFrame) => ipcRenderer.send(BridgeChannels.frame, frame),
  onFrame: (cb: (frame: unknown) => void) => {
    const listener = (_e: IpcRendererEvent, frame: unknown) => cb(frame);
    ipcRenderer.on(BridgeChannels.frame, listener);
    return () => {
      ipcRenderer.removeListener(BridgeChannels.frame, listener);
    };
  },
  pickGguf: () => ipcRenderer.invoke(BridgeChannels.pickGguf) as Promise<string | null>,
};

contextBridge.exposeInMainWorld('reckon', bridge);
