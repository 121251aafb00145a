/** Domain types shared by host, engine, front doors and the renderer. Pure data, JSON-safe. */
import type { EngineCrashDetails } from './engineCrash';
import type { ErrorCode, ErrorPayload } from './errors';
import type { Ledger } from './ledger';
import type { Receipt } from './receipts/types';
import type { AuditSummary } from './receiptApi';
import type { ControllerSettings, DifficultyInfo, DraftRecord, EarlyExitRecord, Plan } from './controller/types';
import type { Reliability } from './controller/reliability';
import type { ManifestEffort } from './controller/effort';
import { defaultControllerSettings } from './controller/defaults';

export type BackendChoice = 'auto' | 'cpu' | 'cuda' | 'vulkan' | 'metal';
/** The GPU backends llama.cpp has builds for. */
export type GpuBackend = 'cuda' | 'vulkan' | 'metal';

export interface BackendInfo {
  /** What the user asked for in settings. */
  requested: BackendChoice;
  /** What actually loaded: 'cpu' when llama.gpu is false. */
  active: Exclude<BackendChoice, 'auto'>;
  /** llama.cpp build type ('prebuilt' | 'localBuild'). */
  buildType: string;
  deviceNames: string[];
  /** VRAM in bytes; null on CPU. */
  vram: { total: number; used: number; free: number } | null;
  /** Set when the requested override could not load (or found no device) and another backend is used instead. */
  fallbackReason?: string;
  /**
   * A GPU backend that loaded but found no device (e.g. Vulkan on Mesa's drivers without a GPU), so `active` is
   * 'cpu'. Absent when nothing was skipped.
   */
  noDevice?: GpuBackend;
  /**
   * Set when the GPU backend's only devices are software renderers (Mesa's llvmpipe): with `noDevice` they were
   * skipped (auto); without it the user chose that backend and it runs on them, on the CPU. Absent otherwise.
   */
  softwareDevices?: string[];
  /** Threads llama.cpp uses for generation. */
  threads: number;
  /** How the thread count was chosen. */
  threadsSource: 'measured' | 'cached' | 'settings';
  cpuCores: number;
  /** Set when the engine is a remote llama-server (docs/engines.md): where it is and what it runs. */
  remote?: RemoteEngineInfo;
  /** What the engine can do for the controller; absent = the built-in engine (everything). */
  capabilities?: EngineCapabilities;
}

/** A remote llama-server engine as `init` found it. */
export interface RemoteEngineInfo {
  kind: 'llama-server';
  /** The server's base URL (no API key in it). */
  url: string;
  /** The file name of the model the server runs (/props model_path, directory left out). */
  model: string;
  /** Parallel slots (-np). */
  slots: number;
  /** The server's build ('b1234-abcdef'), null when it does not say. */
  build: string | null;
}

/** What an engine can do (docs/engines.md's capability table); a plan degrades where one is false. */
export interface EngineCapabilities {
  /** The DiffAdapt probe (needs the model's logits on the prompt). */
  probe: boolean;
  /** Closing the thought at a budget and continuing with the think-close injected (also "Answer now"). */
  budgetForcing: boolean;
  /** DEER early-exit trials that roll back. */
  earlyExit: boolean;
  /** short-m@k and PDR drafts. */
  parallelDrafts: boolean;
  /** calibrate, teacherForce and embeddingRows (receipt fingerprints and audits). */
  weights: boolean;
}

/** What a GGUF file says about itself (read from its header). */
export interface ModelInfo {
  /** Stable id: first 16 hex of the file's sha256. */
  id: string;
  /** Display name: the file's name without `.gguf` (and without a split GGUF's `-00001-of-0000N`). */
  name: string;
  /** The GGUF's own general.name when it differs from the file name; null (or absent) = none. */
  metadataName?: string | null;
  path: string;
  /** True for models shipped in models/ (cannot be removed from disk, only hidden). */
  bundled: boolean;
  sizeBytes: number;
  sha256: string;
  architecture: string;
  /** Parameter count, when computable from tensor shapes. */
  parameters: number | null;
  /** Quantisation / file type, e.g. 'F16', 'Q4_K_M'. */
  quantization: string;
  contextLength: number | null;
  /**
   * KV cache bytes per token of context (F16 keys and values over every layer), from the GGUF header; absent when
   * the header lacks the dimensions (or the record is from before it was kept). estimateModelMemory uses it.
   */
  kvBytesPerToken?: number;
  /** 'chatml-think' | 'chatml' | 'qwen' | 'deepseek-r1' | 'gpt-oss' | 'llama' | 'none' ... */
  chatTemplate: string;
  /** Whether the model's template / tokens support a thinking segment. */
  thinking: boolean;
  addedAt: string;
  /** Earlier exchanges a turn sends to this model (its `.reckon.json` manifest); null = all. Not stored. */
  historyTurns?: number | null;
  /** How PDR distils drafts for this model (its manifest; default `summary`). Not stored. */
  pdrWorkspace?: 'candidates' | 'summary';
  /** The effort levels the model's manifest declares; null = none (a native control may still apply). Not stored. */
  effort?: ManifestEffort | null;
  /**
   * Set when this file crashed the engine twice in a row: turns use the bundled model instead until the user
   * chooses "Try again" (models.clearBroken) or the file changes (its size or mtime differ from these).
   */
  broken?: ModelBroken;
}

/** Why a model is marked broken (ModelInfo.broken). */
export interface ModelBroken {
  /** The last crash, as engineCrashMessage's first sentence says it ('signal SIGABRT: GGML_ASSERT(...) failed'). */
  reason: string;
  /** When it was marked (ISO time). */
  at: string;
  /** The file's size (bytes) and mtime (ms since the epoch) when it was marked: a changed file is tried again. */
  fileSize: number;
  fileMtimeMs: number;
}

export interface Settings {
  /** Model used for new turns; null = the bundled model. */
  modelId: string | null;
  backend: BackendChoice;
  /** null = measured automatically and cached per machine. */
  threads: number | null;
  systemPrompt: string;
  theme: 'system' | 'light' | 'dark';
  /** Maximum tokens for one answer (thinking + visible). */
  maxTokens: number;
  temperature: number;
  /** Adaptive reasoning controller: strategies per difficulty class and their knobs (docs/controller.md). */
  controller?: ControllerSettings;
  /** The OpenAI-compatible API beside the UI (docs/api.md). */
  api: ApiSettings;
  /** Which engine runs the model (Settings > Engine, docs/engines.md); absent = the built-in one. */
  engine?: EngineSettings;
}

/**
 * Settings > Engine: the built-in engine, or a llama-server at `url` (its --api-key in `apiKey`, '' = none). The URL
 * and key are kept while the built-in engine is chosen, so switching back is one click. `--engine` /
 * RECKON_ENGINE_URL win over this (SystemInfo.engineChoice says which is in force).
 */
export interface EngineSettings {
  kind: 'builtin' | 'llama-server';
  /** The server's base URL, e.g. http://127.0.0.1:8080; '' while none was entered. */
  url: string;
  /** The server's --api-key; '' = none. */
  apiKey: string;
}

export const defaultEngineSettings: EngineSettings = { kind: 'builtin', url: '', apiKey: '' };

/**
 * The OpenAI-compatible local API (docs/api.md): on its own 127.0.0.1 port (`port`) in the desktop app and
 * `reckon serve`, and under /v1 of browser mode's page port too.
 */
export interface ApiSettings {
  /** Whether the API answers at all (off: its port closes, /v1 beside the page answers 404). Defaults to true. */
  enabled: boolean;
  /** The API's own port on 127.0.0.1, 1024..65535. Defaults to 8147 (defaultApiPort). */
  port: number;
  /** Browser origins (e.g. 'http://localhost:3000') whose pages may call the API; others get 403. Defaults to none. */
  allowedOrigins: string[];
  /** API turns run at once; more wait in the queue. Defaults to 1 (one model, one machine). */
  maxConcurrent: number;
  /** Requests that may wait for a turn; beyond them the API answers 429 with Retry-After. Defaults to 8. */
  maxQueued: number;
}

/** The API's default port: fixed, so a client's base URL stays the same across restarts. */
export const defaultApiPort = 8147;

export const defaultApiSettings: ApiSettings = { enabled: true, port: defaultApiPort, allowedOrigins: [], maxConcurrent: 1, maxQueued: 8 };

/** api.status: where the API's own port stands (ApiListener). */
export interface ApiServerStatus {
  /**
   * 'listening': answering at baseUrl; 'off': settings.api.enabled is false; 'error': the port could not be opened
   * (`error` says why: API_PORT_IN_USE when another program has it); 'unserved': this front door opens no API port
   * of its own (the terminal, tests; browser mode's page port still serves /v1 while enabled).
   */
  state: 'listening' | 'off' | 'error' | 'unserved';
  /** The port listened on (or tried); null when none. */
  port: number | null;
  /** http://127.0.0.1:PORT/v1 while listening, else null. */
  baseUrl: string | null;
  error: { code: ErrorCode; message: string } | null;
}

export const defaultSettings: Settings = {
  modelId: null,
  backend: 'auto',
  threads: null,
  systemPrompt: '',
  theme: 'system',
  maxTokens: 1024,
  temperature: 0,
  controller: defaultControllerSettings,
  api: defaultApiSettings,
};

export type MessageRole = 'user' | 'assistant';

export interface Segment {
  kind: 'thought' | 'answer';
  text: string;
  /** ms since epoch */
  startedAt?: number;
  endedAt?: number;
  tokens?: number;
}

/** How fast a turn ran, measured by the engine (wall clock). */
export interface TurnTimings {
  /** Loading the model first (0 when it was loaded), ms. */
  loadMs: number;
  /** From the start of the turn on a loaded model (probe and prompt included) to its first streamed token, ms. */
  timeToFirstTokenMs: number;
  /** From the first streamed token to the end, ms. */
  decodeMs: number;
  /** Tokens decoded after the first one (thinking, answer, drafts, trials), per second of decodeMs; parallel drafts add up. */
  tokensPerSecond: number;
}

export interface Message {
  id: string;
  role: MessageRole;
  /**
   * The message this one follows (common/branches.ts): null = the first of the conversation; absent (files from
   * before branches) = the message before it in the array. Regenerate and edit-and-resend add siblings.
   */
  parentId?: string | null;
  /** Visible text (for the assistant: the answer). */
  text: string;
  /** Hidden reasoning text, for the assistant. */
  thinking?: string;
  thinkingMs?: number;
  createdAt: string;
  /** Assistant turns: the model that produced it. */
  modelId?: string;
  ledger?: Ledger;
  /** Hidden-token receipt of this turn (docs/receipts.md); its treeSize equals the ledger's hidden count. */
  receipt?: Receipt;
  /** Why this turn has no receipt (e.g. the engine's hidden tokens did not match the ledger). */
  receiptError?: string;
  /** The last audit of the receipt (the ledger's badge). */
  audit?: AuditSummary;
  /** 'streaming' while being produced (a crash leaves it 'interrupted'), 'error' with error set. */
  status?: 'streaming' | 'done' | 'stopped' | 'interrupted' | 'error';
  /** Why generation ended (the engine's word): end of its answer, the token limit, or a stop. Absent on older messages. */
  stopReason?: 'eos' | 'maxTokens' | 'aborted';
  error?: ErrorPayload;
  /** Controller turns: the difficulty verdict, the plan, parallel drafts and what early exit did. */
  difficulty?: DifficultyInfo;
  plan?: Plan;
  drafts?: DraftRecord[];
  /** PDR: the workspace each round handed to the next, exactly as the model saw it. */
  workspaces?: { round: number; text: string; tokens: number }[];
  earlyExit?: EarlyExitRecord;
  /** Tokens decoded one after another (parallel drafts once per round). */
  latencyTokens?: number;
  /** The user's "Answer now" closed the thinking after this many thinking content tokens. */
  answeredNow?: { atThinkingTokens: number };
  /**
   * Controlled turns: whether the answer can be trusted and why not (common/controller/reliability.ts); absent on
   * plain turns and on turns stored before it was kept.
   */
  reliability?: Reliability;
  /** Speed of this turn (the engine's clock); absent on turns from before it was kept. */
  timings?: TurnTimings;
  /**
   * The context the turn ran in: its size in tokens and, when the model's trained length cut the asked "Context
   * length", the asked size; absent on turns from before it was kept.
   */
  context?: { size: number; clampedFrom?: number };
}

export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
  /** 'api': started by a client of the OpenAI-compatible API (docs/api.md); absent = the UI or the CLI. */
  origin?: 'api';
  /** Pinned to the top of the sidebar (conversations.pin); absent = not pinned (files from before pins). */
  pinned?: boolean;
}

export interface Conversation extends ConversationSummary {
  /** Every message of every branch, in the order they were added (a parent always before its children). */
  messages: Message[];
  /** The last message of the branch shown (common/branches.ts); absent = the last message of the array. */
  leafId?: string;
  /**
   * This chat's system prompt (conversations.setSystemPrompt): used over the model's and the global one, under a
   * turn's own override. Absent = none set (also files from before per-chat prompts).
   */
  systemPrompt?: string;
}

/** A conversation written out for the user (conversations.export). */
export interface ConversationExport {
  filename: string;
  mimeType: 'text/markdown' | 'application/json';
  text: string;
}

/** A notice the host wants the user to see once (e.g. a corrupt file set aside). */
export interface Notice {
  id: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  createdAt: string;
}

export interface SystemInfo {
  version: string;
  /** 'electron' | 'browser' | 'cli' */
  shell: 'electron' | 'browser' | 'cli';
  backend: BackendInfo | null;
  /** The loaded model, if any. */
  model: ModelInfo | null;
  engine: {
    state: 'starting' | 'ready' | 'loading' | 'crashed' | 'stopped'; pid: number | null; restarts: number;
    /** The latest engine crash of this run (restart: what was done about it); absent before the first. */
    lastCrash?: EngineCrashDetails;
  };
  /**
   * The engine choice in force: its kind, the server's URL for a llama-server (never the key), and where it came
   * from: 'flags' (--engine / RECKON_ENGINE_URL, which win over Settings), 'settings' or 'default'.
   */
  engineChoice?: { kind: 'builtin' | 'llama-server'; url: string | null; source: 'flags' | 'settings' | 'default' };
  userDataDir: string;
  /**
   * The thread count llama.cpp measured as fastest on this machine (threads-cache.json), with the tokens/s of
   * each count it tried; null until a model loads in Auto. Shown beside the threads override in Settings.
   */
  measuredThreads?: { threads: number; tokensPerSecond: Record<string, number>; measuredAt: string } | null;
  /** This install's receipt signing key (Ed25519, hex); auditors pin it. */
  receiptPublicKey?: string;
}
