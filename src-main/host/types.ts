import type { ApiMethod } from '../common/api';
import type { EngineToHost, HostToEngine } from '../common/engineProtocol';
import type { TurnEvent } from '../common/events';

/** One running engine process, as the host sees it (child_process.fork or Electron utilityProcess). */
export interface EngineChannel {
  readonly pid: number | null;
  send(msg: HostToEngine): void;
  onMessage(cb: (msg: EngineToHost) => void): void;
  onExit(cb: (info: { code: number | null; signal: string | null; reason?: string }) => void): void;
  kill(): void;
}

/** Starts a fresh engine process. Electron: utilityProcess.fork(out/main/engine.js); node: child_process.fork. */
export type EngineSpawner = () => EngineChannel;

export interface HostOptions {
  /** Where the lowdb files live (settings.json, models.json, conversations/). */
  userDataDir: string;
  /** Bundled models (the repo's models/): every *.gguf in it is registered as bundled. */
  modelsDir: string;
  shell: 'electron' | 'browser' | 'cli';
  /** Defaults to child_process.fork of the built engine (out/main/engine.js) with a clean environment. */
  spawnEngine?: EngineSpawner;
}

export interface Host {
  /** Validates params and dispatches; throws ReckonError (BAD_REQUEST for unknown methods or bad params). */
  call(method: ApiMethod, params: unknown): Promise<unknown>;
  onTurnEvent(listener: (e: TurnEvent) => void): () => void;
  /** Stops running turns, waits for pending writes, stops the engine. Safe to call twice. */
  close(): Promise<void>;
}
