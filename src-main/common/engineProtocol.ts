/**
 * Host <-> engine process protocol (process.send / parentPort messages, JSON-safe).
 * The engine is the only process that imports node-llama-cpp. It keeps at most one model loaded
 * and one context with a few sequences; the host tells it what to do.
 */
import type { ErrorPayload } from './errors';
import type { Ledger } from './ledger';
import type { BackendChoice, BackendInfo, ModelInfo } from './types';

/** One prior turn of history, as the engine needs it to format the prompt. */
export interface HistoryItem {
  role: 'system' | 'user' | 'assistant';
  text: string;
}

export interface EngineInitParams {
  backend: BackendChoice;
  /** null = measure (or use the cache at threadsCachePath). */
  threads: number | null;
  /** JSON file where the measured thread count is cached per machine. */
  threadsCachePath: string;
}

export interface GenerateParams {
  /** Chat key: turns with the same key reuse the KV prefix of the previous turn. */
  chatKey: string;
  modelPath: string;
  systemPrompt: string;
  history: HistoryItem[];
  question: string;
  maxTokens: number;
  temperature: number;
  /** Cap on thinking tokens (budget forcing closes </think>); null = no cap. */
  thinkingBudget: number | null;
  seed?: number;
}

export interface GenerateResult {
  answer: string;
  thinking: string;
  thinkingMs: number;
  ledger: Ledger;
  stopReason: 'eos' | 'maxTokens' | 'aborted';
}

export interface EngineMethods {
  init(p: EngineInitParams): BackendInfo;
  /** Reads a GGUF's header (no weights loaded) and hashes the file. */
  inspect(p: { path: string }): Omit<ModelInfo, 'bundled' | 'addedAt'>;
  /** Loads (or keeps) the model; 'load-progress' events arrive meanwhile. */
  load(p: { modelPath: string }): BackendInfo;
  generate(p: GenerateParams & { requestId: string }): GenerateResult;
  /** Aborts a running generate; it then resolves with stopReason 'aborted'. */
  abort(p: { requestId: string }): void;
  info(): BackendInfo | null;
  /** Test hook: crashes the engine natively-alike (process.abort) to exercise supervision. */
  crash(): void;
}
export type EngineMethod = keyof EngineMethods;

export type HostToEngine = { kind: 'call'; id: number; method: EngineMethod; params: unknown };

export type EngineEvent =
  | { type: 'load-progress'; requestId?: string; progress: number }
  | { type: 'thought'; requestId: string; text: string }
  | { type: 'answer'; requestId: string; text: string }
  | { type: 'thought-end'; requestId: string; ms: number; tokens: number };

export type EngineToHost =
  | { kind: 'ready'; pid: number }
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: ErrorPayload }
  | { kind: 'event'; event: EngineEvent };
