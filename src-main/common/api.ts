/**
 * The one API contract between a front end (renderer, CLI) and the host.
 * Written once, implemented with `satisfies ReckonApi` by the host and by each client transport.
 * Every method is request/response; turns stream TurnEvents through `onTurnEvent`.
 */
import type { TurnEvent } from './events';
import type { Effort, StrategyName } from './controller/types';
import type { ControllerSettingsPatch } from './controller/defaults';
import type { BackendInfo, Conversation, ConversationExport, ConversationSummary, ModelInfo, Notice, Settings, SystemInfo } from './types';
import type { ProbeStatus } from './probe/types';
import type { AuditReport, ReceiptAuditParams, ReceiptExport } from './receiptApi';
import type { AuditChallenge, AuditResponse } from './receipts/types';
import type { RpcCallFrame, RpcServerFrame } from './rpc/types';

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
  /** Effort knob: 'auto' (the probe decides) or 0..1 of the expected thinking length. Defaults to 'auto'. */
  effort?: Effort;
  /** Controller strategy; absent = 'auto' (docs/controller.md). 'long' = no controller. */
  strategy?: StrategyName;
  /** Sampling seed for this turn (parallel drafts derive theirs from it); absent = random. */
  seed?: number;
  /**
   * Edit-and-resend: the message the new question follows (an assistant message of this conversation, or null =
   * the conversation's start). The question becomes a new branch there; the old one stays reachable. Absent =
   * the end of the branch shown.
   */
  parentId?: string | null;
}

/** chat.regenerate: answer a question again, as a new variant beside the old answer. */
export interface RegenerateParams {
  conversationId: string;
  /** The assistant message to answer again (a failed or interrupted one is replaced, a finished one kept). */
  messageId: string;
  modelId?: string;
  maxTokens?: number;
  effort?: Effort;
  strategy?: StrategyName;
  seed?: number;
}

/** Parameters of a probe calibration (docs/probe.md); every field is optional. */
export interface ProbeCalibrateParams {
  /** Registered model id; defaults to settings.modelId, else the bundled model. */
  modelId?: string;
  /** A .gguf by path (not registered), instead of modelId. */
  modelPath?: string;
  /** Samples per question. Defaults to 4. */
  perQuestion?: number;
  /** Calibration questions. Defaults to 120. */
  questions?: number;
  /** Sampling temperature (> 0). Defaults to 0.7. */
  temperature?: number;
  /** Score by agreement across samples instead of answer keys (models the generator cannot check). Defaults to false. */
  labelFree?: boolean;
  /** Seed of the question set, the sampler and the split. Defaults to 1. */
  seed?: number;
}

/**
 * A settings.update patch: any subset of the settings. `controller` may itself be partial; it is stored as given
 * and merged over the defaults when read (mergeControllerSettings).
 */
export interface SettingsPatch extends Partial<Omit<Settings, 'controller'>> {
  controller?: ControllerSettingsPatch;
}

export interface ReckonApi {
  'system.info'(): Promise<SystemInfo>;
  'system.notices'(): Promise<Notice[]>;
  'system.dismissNotice'(p: { id: string }): Promise<void>;

  'settings.get'(): Promise<Settings>;
  'settings.update'(p: SettingsPatch): Promise<Settings>;

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
  /** Deletes a message and everything below it in its branch; the branch shown moves to a sibling or the parent. */
  'conversations.deleteMessage'(p: { id: string; messageId: string }): Promise<Conversation>;
  /** Shows the branch through a message (the newest path below it): the "< 1/2 >" switch. */
  'conversations.switchBranch'(p: { id: string; messageId: string }): Promise<Conversation>;
  /** The conversation as a file: Markdown (the branch shown, thinking folded) or JSON (every branch, as stored). */
  'conversations.export'(p: { id: string; format: 'markdown' | 'json' }): Promise<ConversationExport>;

  /** Starts a turn; resolves with its id at once; events follow. */
  'chat.send'(p: SendParams): Promise<{ turnId: string; conversationId: string }>;
  /** Stops a running turn; the sequence is freed at once. */
  'chat.stop'(p: { turnId: string }): Promise<void>;
  /**
   * "Answer now": closes the running turn's thinking where it is and lets the model answer (the tokens so far
   * stay billed). applied = false when the turn is not running or cannot close its thought (strategy 'long').
   */
  'chat.answerNow'(p: { turnId: string }): Promise<{ applied: boolean }>;
  /** Answers a question again (another strategy, effort or seed); resolves with the new turn's id at once. */
  'chat.regenerate'(p: RegenerateParams): Promise<{ turnId: string; conversationId: string }>;

  /**
   * Calibrates the DiffAdapt probe of a model (one run at a time; BUSY otherwise) and stores it in
   * <userData>/probes/<sha256>.json. Resolves when it ends with the new status (report included);
   * progress is read with probe.status; probe.cancel stops it (the call then rejects with TURN_ABORTED).
   */
  'probe.calibrate'(p?: ProbeCalibrateParams): Promise<ProbeStatus>;
  /** The stored probe of a model (user-calibrated, else shipped with a bundled model) and any running calibration. */
  'probe.status'(p?: { modelId?: string; modelPath?: string }): Promise<ProbeStatus>;
  /** Cancels the running calibration, if any. */
  'probe.cancel'(p?: Record<string, never>): Promise<void>;

  /** A message's receipt with its question and answer; `includeStore` adds the provider store (local export only). */
  'receipts.get'(p: { messageId: string; includeStore?: boolean }): Promise<ReceiptExport>;
  /** Answers an audit challenge for a message's receipt (docs/audit-protocol.md): openings and block records, never text. */
  'receipts.challenge'(p: { messageId: string; challenge: AuditChallenge }): Promise<AuditResponse>;
  /** Audits a receipt (local store, an export, or a remote Reckon over HTTP); stores a summary on a local message. */
  'receipts.audit'(p: ReceiptAuditParams): Promise<AuditReport>;
}

export type ApiMethod = keyof ReckonApi;
export type ApiParams<M extends ApiMethod> = Parameters<ReckonApi[M]>[0];
export type ApiResult<M extends ApiMethod> = Awaited<ReturnType<ReckonApi[M]>>;

/** The method list and its guard come from the schema table (schemas/api.ts), so they cannot miss a method. */
export { ApiMethods, isApiMethod } from './schemas/api';

/** Wire frames of the API over every door (Electron IPC, WebSocket, in-process): the generic RPC's frames. */
export type ClientFrame = RpcCallFrame<ApiMethod>;
export type ServerFrame = RpcServerFrame<TurnEvent>;

/**
 * A client as the renderer and CLI see it: the API plus a subscription to turn events. `call` is typed by the
 * contract: `call('conversations.get', { id })` resolves with a Conversation; a method without params takes none.
 */
export interface ReckonClient {
  call<M extends ApiMethod>(method: M, ...params: Parameters<ReckonApi[M]>): Promise<ApiResult<M>>;
  onTurnEvent(listener: (e: TurnEvent) => void): () => void;
}
