/**
 * Host <-> engine process protocol (process.send / parentPort messages, JSON-safe).
 * The engine is the only process that imports node-llama-cpp. It keeps at most one model loaded
 * and one context with a few sequences; the host tells it what to do.
 */
import type { Ledger } from './ledger';
import type { BackendChoice, BackendInfo, ModelInfo } from './types';
import type { ControllerEngineEvent } from './controller/events';
import type { ControllerSettings, DifficultyInfo, DraftRecord, EarlyExitRecord, Effort, Plan, StrategyName } from './controller/types';
import type { CalibrationProgress, CalibrationQuestion, CalibrationRecord, ProbeFile, ProbeResult } from './probe/types';
import type { HiddenSegment } from './receipts/fingerprint';
import type { RpcCallFrame, RpcServerFrame } from './rpc/types';

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
  /** Controller strategy (docs/controller.md); absent = plain generation as before (thinkingBudget applies). */
  strategy?: StrategyName;
  /** Effort knob: 'auto' or 0..1 of the expected thinking length. Defaults to 'auto'. */
  effort?: Effort;
  /** Controller settings (merged over the defaults by the host). */
  controller?: ControllerSettings;
  /** The probe's verdict for this question, when the host ran one; null/absent = fallback plan. */
  difficulty?: DifficultyInfo | null;
  /**
   * PDR distillation: `candidates` (ranked answers, the bundled model's trained format) or `summary` (the model
   * writes the workspace). Absent = `summary`. Set by the host from the model's manifest.
   */
  pdrWorkspace?: 'candidates' | 'summary';
}

export interface GenerateResult {
  answer: string;
  thinking: string;
  thinkingMs: number;
  /** The turn's hidden tokens in production order, for its receipt (see HiddenTokens). */
  hidden?: HiddenTokens;
  ledger: Ledger;
  stopReason: 'eos' | 'maxTokens' | 'aborted';
  /** Set when a strategy was given: the difficulty and the plan the turn ran under. */
  difficulty?: DifficultyInfo;
  plan?: Plan;
  /** Parallel drafts (short-m@k, PDR), the winner marked. */
  drafts?: DraftRecord[];
  earlyExit?: EarlyExitRecord;
  /** Tokens decoded one after another (parallel drafts counted once per round, at the longest; trials included). */
  latencyTokens?: number;
}

/**
 * Hidden tokens of a turn for its receipt (docs/receipts.md): thinking and overhead tokens in the order the engine
 * produced them, one segment per run of one ledger kind. Their total equals ledger.thinking + overhead total;
 * the host issues no receipt when it does not. Lives in GenerateResult.hidden.
 */
export type HiddenTokens = HiddenSegment[];

/** Rows of the model's token embedding table (receipt fingerprints and audits). */
export interface EmbeddingRowsParams {
  modelPath: string;
  /** Token ids whose rows to return (at most 65,536). */
  ids: number[];
  /** Also tokenise these texts (no special tokens), e.g. a question and its answer for the auditor. */
  texts?: string[];
  /** Also return the auditor's centre: the mean of the table's normalised rows (float64). */
  centre?: boolean;
}

export interface EmbeddingRowsResult {
  /** 'token_embd.weight'. */
  tensor: string;
  /** Storage type in the GGUF ('F32' | 'F16' | 'Q8_0'); rows are dequantised to float32. */
  type: string;
  dims: number;
  vocabSize: number;
  /** float32 little-endian rows back to back, in `ids` order (base64). */
  rows: string;
  centre?: number[];
  /** Token ids of `texts`, in order. */
  tokens?: number[][];
}

/** One DiffAdapt probe pass: the formatted question's final hidden state through the probe file's MLP. */
export interface ProbeParams {
  modelPath: string;
  question: string;
  /** The turn's system prompt ('' or absent for none): features are taken over the prompt the model sees. */
  systemPrompt?: string;
  /** The probe file (JSON, ProbeFile) to use; the engine caches it by path and mtime. */
  probePath: string;
}

/** A calibration run: sample every question several times, label, train, report (docs/probe.md). */
export interface CalibrateParams {
  requestId: string;
  modelPath: string;
  modelSha256: string;
  modelName: string;
  questions: CalibrationQuestion[];
  /** Samples per question (>= 1). */
  perQuestion: number;
  /** Sampling temperature (> 0). */
  temperature: number;
  /** Cap on generated tokens per sample (thinking + answer). */
  maxTokens: number;
  /** Score by agreement across samples instead of the answer keys. */
  labelFree: boolean;
  /** Share of questions held out for the report (0..0.9). */
  heldOutShare: number;
  seed: number;
}

export interface CalibrateResult {
  probe: ProbeFile;
  records: CalibrationRecord[];
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
  /** DiffAdapt probe for one question; null when the probe file does not exist. */
  probe(p: ProbeParams): ProbeResult | null;
  /** Runs a calibration; 'calibrate-progress' events arrive meanwhile; `abort` with its requestId cancels it (TURN_ABORTED). */
  calibrate(p: CalibrateParams): CalibrateResult;
  info(): BackendInfo | null;
  /** Embedding rows of a model's token_embd.weight (read once per model), tokenised texts and the audit centre. */
  embeddingRows(p: EmbeddingRowsParams): EmbeddingRowsResult;
  /** Test hook: crashes the engine natively-alike (process.abort) to exercise supervision. */
  crash(): void;
}
export type EngineMethod = keyof EngineMethods;

/** Host -> engine: a call frame of the generic RPC. */
export type HostToEngine = RpcCallFrame<EngineMethod>;

export type EngineEvent =
  | { type: 'load-progress'; requestId?: string; progress: number }
  | { type: 'thought'; requestId: string; text: string }
  | { type: 'answer'; requestId: string; text: string }
  | { type: 'thought-end'; requestId: string; ms: number; tokens: number }
  | ControllerEngineEvent
  | { type: 'calibrate-progress'; requestId: string; progress: CalibrationProgress };

/** Engine -> host: the generic RPC's replies and events, plus 'ready' once the process can take calls. */
export type EngineToHost = { kind: 'ready'; pid: number } | RpcServerFrame<EngineEvent>;
