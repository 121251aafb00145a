/**
 * The one API contract between a front end (renderer, CLI) and the host.
 * Written once, implemented with `satisfies ReckonApi` by the host and by each client transport.
 * Every method is request/response; turns stream TurnEvents through `onTurnEvent`.
 */
import type { DownloadInfo, HubConfig, HubModelFile, HubRepo } from './downloads';
import type { TurnEvent } from './events';
import type { Effort, StrategyName } from './controller/types';
import type { ControllerSettingsPatch } from './controller/defaults';
import type { ApiServerStatus, BackendInfo, Conversation, ConversationExport, ConversationSummary, ModelInfo, Notice, RemoteEngineInfo, Settings, SystemInfo } from './types';
import type { ProbeStatus } from './probe/types';
import type { ModelSettings } from './modelSettings';
import type { AuditReport, ReceiptAuditParams, ReceiptExport, ReceiptReplayParams, ReplayReport, TrustedKeyInfo } from './receiptApi';
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
  /**
   * Effort knob: 'auto' (the probe decides), a level the model is asked for ('low' | 'medium' | 'high'), or 0..1 of
   * the expected thinking length at high effort (docs/controller.md, "Effort levels"). Defaults to 'auto'.
   */
  effort?: Effort;
  /** Controller strategy; absent = 'auto' (docs/controller.md). 'long' = no controller. */
  strategy?: StrategyName;
  /** Sampling seed for this turn (parallel drafts derive theirs from it); absent = random. */
  seed?: number;
  /**
   * Override settings.temperature for this turn. It samples the accepted path of strategy 'long'; the controller's
   * strategies sample with their class strategy's temperature (docs/controller.md).
   */
  temperature?: number;
  /**
   * Nucleus sampling for this turn: sample only from the most likely tokens whose probabilities add up to topP
   * (0..1; 1 = no cut). Absent = 1. Greedy decoding (temperature 0) is unaffected by it.
   */
  topP?: number;
  /** Cap on thinking tokens for this turn, on top of whatever budget the plan sets; absent = the plan's alone. */
  thinkingBudget?: number;
  /**
   * Earlier exchanges given by the caller (the OpenAI-compatible API's messages), only for a new conversation:
   * they are stored in it before the question and sent to the model as its history.
   */
  history?: { role: 'user' | 'assistant'; text: string }[];
  /** Marks the new conversation as started by a client of the OpenAI-compatible API. */
  origin?: 'api';
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
  /** Calibration questions, at least 24 (MIN_CALIBRATION_QUESTIONS). Defaults to 120. */
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

/** downloads.start: a hub repo (with a file path or a quantisation, else its one GGUF) or a plain URL. */
export interface DownloadStartParams {
  /** "owner/name" on the hub endpoint. */
  repo?: string;
  /** A GGUF's path in the repo, or a quantisation (Q4_K_M) naming one; absent: the repo must hold one GGUF model. */
  file?: string;
  /** A `.../<owner>/<name>/resolve/<rev>/<file>` URL (checked against that hub's metadata) or any https URL of a .gguf. */
  url?: string;
}

/** hub.configure: null clears a stored value; an absent field keeps it. */
export interface HubConfigureParams {
  endpoint?: string | null;
  token?: string | null;
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
  /** The model's own settings (ModelSettings: every field optional; absent = the global setting or the engine's default). */
  'models.settings'(p: { id: string }): Promise<ModelSettings>;
  /**
   * Replaces the model's settings as a whole (an absent field is cleared); answers what is stored. A value out of
   * range is BAD_REQUEST with a sentence naming it ("Top-p must be a number from 0 to 1.") and `details.field`.
   */
  'models.updateSettings'(p: { id: string; settings: ModelSettings }): Promise<ModelSettings>;
  /** "Try again" on a model marked broken (ModelInfo.broken): clears the mark; the next turn uses it again. */
  'models.clearBroken'(p: { id: string }): Promise<ModelInfo>;

  'conversations.list'(p?: { query?: string }): Promise<ConversationSummary[]>;
  'conversations.get'(p: { id: string }): Promise<Conversation>;
  'conversations.create'(p?: { title?: string }): Promise<ConversationSummary>;
  'conversations.rename'(p: { id: string; title: string }): Promise<ConversationSummary>;
  'conversations.delete'(p: { id: string }): Promise<void>;
  /** Pins a conversation to the top of the list (or unpins it); its last activity (updatedAt) is unchanged. */
  'conversations.pin'(p: { id: string; pinned: boolean }): Promise<ConversationSummary>;
  /** Deletes a message and everything below it in its branch; the branch shown moves to a sibling or the parent. */
  'conversations.deleteMessage'(p: { id: string; messageId: string }): Promise<Conversation>;
  /** Shows the branch through a message (the newest path below it): the "< 1/2 >" switch. */
  'conversations.switchBranch'(p: { id: string; messageId: string }): Promise<Conversation>;
  /** The conversation as a file: Markdown (the branch shown, thinking folded) or JSON (every branch, as stored). */
  'conversations.export'(p: { id: string; format: 'markdown' | 'json' }): Promise<ConversationExport>;
  /**
   * Sets this chat's system prompt (used over the model's and the global one; a turn's override still wins).
   * An empty or all-white-space text clears it, so the chat falls back to the model's, then the global prompt.
   */
  'conversations.setSystemPrompt'(p: { id: string; systemPrompt: string }): Promise<Conversation>;

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
   * <userData>/probes/<sha256>.json when its held-out accuracy beats its majority baseline and is not below the
   * current probe's; otherwise it is kept aside (status.keptAside says why). Resolves when it ends with the new status (report included);
   * progress is read with probe.status; probe.cancel stops it (the call then rejects with TURN_ABORTED).
   */
  'probe.calibrate'(p?: ProbeCalibrateParams): Promise<ProbeStatus>;
  /** The stored probe of a model (user-calibrated, else shipped with a bundled model) and any running calibration. */
  'probe.status'(p?: { modelId?: string; modelPath?: string }): Promise<ProbeStatus>;
  /**
   * Removes the user's calibrated probe of a model (and any kept-aside one) so the shipped probe applies again;
   * resolves with the new status. BUSY while a calibration runs.
   */
  'probe.restore'(p?: { modelId?: string; modelPath?: string }): Promise<ProbeStatus>;
  /** Cancels the running calibration, if any. */
  'probe.cancel'(p?: Record<string, never>): Promise<void>;

  /** Searches the hub for GGUF repositories (`/api/models?search=...&filter=gguf`). */
  'hub.search'(p: { query: string; limit?: number }): Promise<HubRepo[]>;
  /** A repo's GGUF models with sizes, quantisation and LFS sha256; split GGUFs are one entry. */
  'hub.files'(p: { repo: string }): Promise<HubModelFile[]>;
  /** The endpoint in use and whether a token is set (the token itself never leaves the host). */
  'hub.config'(): Promise<HubConfig>;
  /** Stores an endpoint (mirror) and/or a user token for gated repos in <userData>/hub.json (mode 0600). */
  'hub.configure'(p: HubConfigureParams): Promise<HubConfig>;

  /**
   * Starts (or resumes, when the same file is already known) a model download; resolves once the files are
   * resolved and the free disk checked, with the download; progress arrives as `download` events. When the bytes
   * match the hub's sha256 the model is imported (models.import) and the download is `done` with its modelId.
   */
  'downloads.start'(p: DownloadStartParams): Promise<DownloadInfo>;
  'downloads.list'(): Promise<DownloadInfo[]>;
  /** Stops the transfer, keeping the partial bytes; downloads.resume continues from them. */
  'downloads.pause'(p: { id: string }): Promise<DownloadInfo>;
  'downloads.resume'(p: { id: string }): Promise<DownloadInfo>;
  /** Stops it and deletes its partial bytes (a finished one is only forgotten: its model stays registered). */
  'downloads.cancel'(p: { id: string }): Promise<void>;

  /** A message's receipt with its question and answer; `includeStore` adds the provider store (local export only). */
  'receipts.get'(p: { messageId: string; includeStore?: boolean }): Promise<ReceiptExport>;
  /** Answers an audit challenge for a message's receipt (docs/audit-protocol.md): openings and block records, never text. */
  'receipts.challenge'(p: { messageId: string; challenge: AuditChallenge }): Promise<AuditResponse>;
  /** Audits a receipt (local store, an export, or a remote Reckon over HTTP); stores a summary on a local message. */
  'receipts.audit'(p: ReceiptAuditParams): Promise<AuditReport>;
  /**
   * Replay audit: re-executes the receipt's committed plan (greedy or its seed) with the same model file and compares
   * the tree with the committed root; where it differs, teacher-forces the committed tokens and names the first
   * divergent position and how many the model would not have produced.
   */
  'receipts.replay'(p: ReceiptReplayParams): Promise<ReplayReport>;
  /** Keys this install trusts for audits: its own signing key first, then pinned and first-use remote keys. */
  'receipts.trustedKeys'(p?: Record<string, never>): Promise<TrustedKeyInfo[]>;
  /** Pins a public key (hex) as trusted, with an optional label; answers the stored entry. */
  'receipts.trustKey'(p: { publicKey: string; label?: string }): Promise<TrustedKeyInfo>;
  /** Forgets a pinned or remote key (this install's own key cannot be untrusted). */
  'receipts.untrustKey'(p: { publicKey: string }): Promise<{ removed: boolean }>;

  /**
   * The OpenAI-compatible API's key (docs/api.md): `--api-key` / RECKON_API_KEY when given (`fixed`), else the one
   * generated on first use and kept in the user-data folder.
   */
  'api.key'(): Promise<{ key: string; fixed: boolean }>;
  /** Replaces the generated key (BAD_REQUEST when it is fixed by --api-key / RECKON_API_KEY); old keys stop working at once. */
  'api.rotateKey'(): Promise<{ key: string; fixed: boolean }>;
  /** Where the API's own 127.0.0.1 port stands (desktop app, `reckon serve`): listening, off, or why it could not open. */
  'api.status'(): Promise<ApiServerStatus>;

  /**
   * Settings > Engine's Test connection: asks the llama-server at `url` (with `apiKey` as its --api-key, '' or
   * absent = none) what it runs, changing nothing. Resolves with its model, slots and build; rejects with
   * ENGINE_UNREACHABLE (nothing answers, not a llama-server, still loading), ENGINE_AUTH_FAILED (HTTP 401) and a
   * sentence naming the URL.
   */
  'engine.test'(p: { url: string; apiKey?: string }): Promise<RemoteEngineInfo>;

  /**
   * Browser mode: replaces the page access token (as `reckon serve --new-token` does, and kept the same way). From
   * the reply on the server refuses the old one (HTTP 401, WebSocket upgrade refused) and closes every open socket
   * (close code 4001); the page that asked moves to `?token=<token>`.
   */
  'page.rotateToken'(): Promise<{ token: string }>;
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
