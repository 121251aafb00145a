import type { ReckonClient, ServerFrame } from '../common/api';
import type { ModelInfo } from '../common/types';
import type { EngineToHost, HostToEngine } from '../common/engineProtocol';
import type { RpcPort } from '../common/rpc/types';
import type { HubOptions } from './downloads/DownloadsService';
import type { OpenAiApi } from './openai/openaiApi';

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

/**
 * Which engine the host drives (docs/engines.md): the built-in one (node-llama-cpp in a child process) or a
 * llama-server over HTTP (the remote engine process). The one place the choice is read; the CLI fills it from
 * --engine / RECKON_ENGINE_URL (engineChoiceFrom), else Settings > Engine (engineChoiceOf).
 */
export type EngineChoice =
  | { kind: 'builtin' }
  | {
    kind: 'llama-server';
    /** The server's base URL, e.g. http://127.0.0.1:8080. */
    url: string;
    /** Its --api-key; absent = none. */
    apiKey?: string;
  };

export interface HostOptions {
  /** Where the lowdb files live (settings.json, models.json, conversations/). */
  userDataDir: string;
  /** Bundled models (the repo's models/): every *.gguf in it is registered as bundled. */
  modelsDir: string;
  shell: 'electron' | 'browser' | 'cli';
  /** Model downloads: hub endpoint and token (else hub.json, else huggingface.co), disk check, retries. */
  hub?: HubOptions;
  /** Defaults to child_process.fork of the built engine (out/main/engine.js, or remoteEngine.js for `engine`) with a clean environment. */
  spawnEngine?: EngineSpawner;
  /**
   * The engine the front door's flags chose (--engine / RECKON_ENGINE_URL: engineChoiceFrom). A llama-server here
   * wins over Settings > Engine (which is then only stored); the built-in one or absent = Settings > Engine decides.
   */
  engine?: EngineChoice;
  /** Spawner per engine choice (tests: switching engines at runtime); absent = spawnEngine, else the built entries. */
  spawnEngineFor?: (choice: EngineChoice) => EngineSpawner;
  /** The OpenAI-compatible API's key fixed by the front door (--api-key, RECKON_API_KEY); absent = a generated, stored one. */
  apiKey?: string;
  /**
   * Open the OpenAI-compatible API on its own 127.0.0.1 port while settings.api.enabled (openai/ApiListener.ts): the
   * desktop app and `reckon serve`. `port` overrides settings.api.port (0 = any free port). Absent = no port of its
   * own (the terminal, tests); api.status then says 'unserved'.
   */
  serveApi?: { port?: number };
  /**
   * Hold the data folder's lock (store/folderLock.ts) while open, so a second Reckon on the same folder is refused
   * with DATA_FOLDER_IN_USE instead of overwriting this one's files. The desktop app, `reckon serve` and the CLI set
   * it; default false (tests open many hosts in one process).
   */
  exclusive?: boolean;
}

/**
 * The host as its front doors see it. In process (CLI, tools, tests) it is a typed client of the API, like the
 * renderer's: `call('models.list')` resolves with ModelInfo[]. Remote doors (WebSocket, Electron IPC) hand it a
 * port with `serve`; their frames are untrusted and go through the same router.
 */
export interface Host extends ReckonClient {
  /**
   * Serves the API over a port: each call frame is validated by the router (BAD_REQUEST for unknown methods,
   * bad params or malformed frames) and answered; every turn event goes out. Returns a function that stops serving.
   */
  serve(port: RpcPort<ServerFrame>): () => void;
  /**
   * Imports a .gguf whose bytes arrive as a stream (browser mode's upload): written to disk as they come, imported
   * when complete (models.import), nothing kept otherwise. `sizeBytes`: the declared length (checked against the
   * free disk first, and the body must match it), null when unknown. Not part of the RPC: bytes do not go as JSON.
   */
  importUpload(name: string, body: AsyncIterable<Uint8Array>, sizeBytes: number | null): Promise<ModelInfo>;
  /** The /v1 handler (one queue for every door that serves it: browser mode's page port, the API's own port). */
  readonly openAi: OpenAiApi;
  /**
   * Browser mode's page access token, stored in the data folder (page-token.json) so a restarted `reckon serve`
   * keeps the page's URL; `rotate` makes a new one. Not part of the RPC: a page must not read or change it.
   */
  /** Browser mode's page token; `onRotate` hears every rotation (the web server switches to the new token). */
  readonly pageToken: { get(): Promise<string>; rotate(): Promise<string>; onRotate(listener: (token: string) => void): () => void };
  /** Stops running turns, waits for pending writes, stops the engine. Safe to call twice. */
  close(): Promise<void>;
}
