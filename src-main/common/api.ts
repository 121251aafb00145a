/**
 * The one API contract between a front end (renderer, CLI) and the host.
 * Written once, implemented with `satisfies ReckonApi` by the host and by each client transport.
 * Every method is request/response; turns stream TurnEvents through `onTurnEvent`.
 */
import type { TurnEvent } from './events';
import type { BackendInfo, Conversation, ConversationSummary, ModelInfo, Notice, Settings, SystemInfo } from './types';

export interface SendParams {
  /** Omit to start a new conversation. */
  conversationId?: string;
  text: string;
  /** Override the model for this turn. */
  modelId?: string;
  /** Use a .gguf by path for this turn without registering it (the CLI's `--model file.gguf`). */
  modelPath?: string;
  /** Override settings.systemPrompt for this turn. */
  systemPrompt?: string;
  /** Override settings.maxTokens for this turn. */
  maxTokens?: number;
}

export interface ReckonApi {
  'system.info'(): Promise<SystemInfo>;
  'system.notices'(): Promise<Notice[]>;
  'system.dismissNotice'(p: { id: string }): Promise<void>;

  'settings.get'(): Promise<Settings>;
  'settings.update'(p: Partial<Settings>): Promise<Settings>;

  'models.list'(): Promise<ModelInfo[]>;
  /** Imports a .gguf by path on the host's disk (desktop: a file dialog picks it; browser: typed path or upload). */
  'models.import'(p: { path: string }): Promise<ModelInfo>;
  'models.remove'(p: { id: string }): Promise<void>;
  /** Loads the model now (progress arrives as 'load-progress' events with turnId ''), returns backend info. */
  'models.load'(p: { id: string }): Promise<BackendInfo>;

  'conversations.list'(p?: { query?: string }): Promise<ConversationSummary[]>;
  'conversations.get'(p: { id: string }): Promise<Conversation>;
  'conversations.create'(p?: { title?: string }): Promise<ConversationSummary>;
  'conversations.rename'(p: { id: string; title: string }): Promise<ConversationSummary>;
  'conversations.delete'(p: { id: string }): Promise<void>;

  /** Starts a turn; resolves with its id at once; events follow. */
  'chat.send'(p: SendParams): Promise<{ turnId: string; conversationId: string }>;
  /** Stops a running turn; the sequence is freed at once. */
  'chat.stop'(p: { turnId: string }): Promise<void>;
}

export type ApiMethod = keyof ReckonApi;
export type ApiParams<M extends ApiMethod> = Parameters<ReckonApi[M]>[0];
export type ApiResult<M extends ApiMethod> = Awaited<ReturnType<ReckonApi[M]>>;

export const ApiMethods: readonly ApiMethod[] = [
  'system.info', 'system.notices', 'system.dismissNotice',
  'settings.get', 'settings.update',
  'models.list', 'models.import', 'models.remove', 'models.load',
  'conversations.list', 'conversations.get', 'conversations.create', 'conversations.rename', 'conversations.delete',
  'chat.send', 'chat.stop',
] as const;

export function isApiMethod(m: unknown): m is ApiMethod {
  return typeof m === 'string' && (ApiMethods as readonly string[]).includes(m);
}

/** Wire frames used by every transport (Electron IPC, WebSocket). */
export type ClientFrame = { kind: 'call'; id: number; method: ApiMethod; params?: unknown };
export type ServerFrame =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: import('./errors').ErrorPayload }
  | { kind: 'event'; event: TurnEvent };

/** A client as the renderer and CLI see it: the API plus a subscription to turn events. */
export interface ReckonClient {
  call<M extends ApiMethod>(method: M, ...params: Parameters<ReckonApi[M]>): Promise<ApiResult<M>>;
  onTurnEvent(listener: (e: TurnEvent) => void): () => void;
}
