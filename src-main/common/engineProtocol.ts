/**
 * Host <-> engine process protocol (process.send / parentPort messages, JSON-safe).
 * The engine is the only process that imports node-llama-cpp. It keeps at most one model loaded
 * and one context with a few sequences; the host tells it what to do.
 */
import type { Ledger } from './ledger';
import type { ManifestEffort } from './controller/effort';
import type { BackendChoice, BackendInfo, ModelInfo, TurnTimings } from './types';
import type { EngineTurnEvent } from './events';
import type { ControllerSettings, DifficultyInfo, DraftRecord, EarlyExitRecord, Effort, Plan, StrategyName } from './controller/types';
import type { CalibrationProgress, CalibrationQuestion, CalibrationRecord, ProbeFile } from './probe/types';
import type { EmbeddingSpec, HiddenCounts, HiddenSegment } from './receipts/fingerprint';
import type { ReceiptRemote } from './receipts/types';
import type { RpcCallFrame, RpcServerFrame } from './rpc/types';

/** One prior turn of history, as the engine needs it to format the prompt. */
export interface HistoryItem {
  role: 'system' | 'user' | 'assistant';
  text: string;
}

export interface EngineInitParams {
  backend: BackendChoice;
  /** The user's setting; null = use cachedThreads, else measure on the first model load. */
  threads: number | null;
  /**
   * The thread count the host cached for this machine from an earlier measurement, or null. The engine writes no
   * files: a new measurement comes back as a `threads-measured` event and the host keeps it.
   */
  cachedThreads: number | null;
}

/** Sent (without requestId) when the engine measured llama.cpp's best thread count; the host caches it. */
export interface ThreadsMeasuredEvent {
  type: 'threads-measured';
  threads: number;
  /** Decode speed per candidate thread count, tokens/s. */
  tokensPerSecond: Record<string, number>;
  measuredAt: string;
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
  /** Nucleus sampling (0..1, node-llama-cpp's topP); absent = 1, no cut. Applies to every sampled path of the turn. */
  topP?: number;
  /** Top-k cut (0 = none); absent = the engine's default (40 when sampling). From the model's settings. */
  topK?: number;
  /** Min-p cut (0..1); absent = off. From the model's settings. */
  minP?: number;
  /** Repeat penalty (1 = off); absent = off. Plain generation (strategy 'long') only. From the model's settings. */
  repeatPenalty?: number;
  /** The answer stops at the first of these strings. Plain generation (strategy 'long') only. From the model's settings. */
  stop?: string[];
  /** Context window for this model, tokens; absent = the engine's choice. From the model's settings. */
  contextSize?: number;
  /** Cap on thinking tokens (budget forcing closes </think>); null = no cap. */
  thinkingBudget: number | null;
  seed?: number;
  /** Controller strategy (docs/controller.md); absent = plain generation as before (thinkingBudget applies). */
  strategy?: StrategyName;
  /** Effort knob: 'auto', a level, or 0..1 of the expected thinking length at high effort. Defaults to 'auto'. */
  effort?: Effort;
  /** Controller settings (merged over the defaults by the host). */
  controller?: ControllerSettings;
  /**
   * The DiffAdapt probe file (JSON, ProbeFile) of this model, found by the host; the engine runs the probe on the
   * question itself before it plans (strategy 'long' skips it). null/absent = no probe: the fallback plan.
   */
  probePath?: string | null;
  /**
   * Receipt inputs the engine cannot know: the model file's sha256 for the embedding spec. When given, the result
   * carries the fingerprint leaves of its hidden tokens (`fingerprints`); absent = no fingerprints.
   */
  receipt?: { modelSha256: string } | null;
  /**
   * A fixed difficulty verdict instead of the probe (tests and tools pin a plan with it); the host never sends one.
   * Its probeTokens should be 0: no probe ran, so a receipt could not name them (the turn gets none otherwise).
   * Absent = the engine runs the probe at `probePath`, else its fallback.
   */
  difficulty?: DifficultyInfo;
  /**
   * PDR distillation: `candidates` (ranked answers, the bundled model's trained format) or `summary` (the model
   * writes the workspace). Absent = `summary`. Set by the host from the model's manifest.
   */
  pdrWorkspace?: 'candidates' | 'summary';
  /**
   * The effort levels the model's manifest declares (how to ask for each); absent/null = none, and the engine uses
   * the template family's native control, if any. Set by the host from the model's manifest.
   */
  manifestEffort?: ManifestEffort | null;
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
  /** The fingerprint leaves of `hidden`, when GenerateParams.receipt asked for them and they could be computed. */
  fingerprints?: TurnFingerprints;
  /**
   * A remote engine ran the turn: the server's identity for the receipt (its fingerprints are then header-only,
   * embeddingSpec.dims 0: the remote engine has no embedding table). Absent = the built-in engine.
   */
  remote?: ReceiptRemote;
  /** Why `fingerprints` is absent although asked for (e.g. the model has no token_embd.weight). */
  fingerprintError?: string;
  /** How fast the turn ran (the engine's clock). */
  timings?: TurnTimings;
  /** The context the turn ran in (GenerateParams.contextSize, clamped to the model's trained length). */
  context?: ContextInForce;
}

/** A context's size in force, tokens per sequence; `clampedFrom` = the asked size when the trained length cut it. */
export interface ContextInForce {
  size: number;
  clampedFrom?: number;
}

/**
 * The per-token fingerprints of a turn's hidden tokens (common/receipts/fingerprint.ts), computed in the engine from
 * the model's embedding table: everything the host needs to build the Merkle tree and sign (it never sees a row).
 */
export interface TurnFingerprints {
  spec: EmbeddingSpec;
  /** One leaf per hidden token in `hidden` order, leafBytes(spec.dims) each, back to back (base64). */
  leaves: string;
  /** One block record per block, BLOCK_RECORD_BYTES each, back to back (base64). */
  sketches: string;
  /** Blocks the segments were split into. */
  blockCount: number;
  counts: HiddenCounts;
  /** sha256 (hex) of the model's tokenizer (TokenEmbeddings.tokenizerSha256), bound into the receipt; absent = unknown. */
  tokenizerSha256?: string;
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
  /** Runs of token ids to decode and re-encode (the canonical tokenisation of their text; audits). */
  canonical?: number[][];
}

export interface EmbeddingRowsResult {
  /** 'token_embd.weight'. */
  tensor: string;
  /** Storage type in the GGUF (e.g. 'F16', 'Q8_0', 'Q6_K'); rows are dequantised to float32. */
  type: string;
  dims: number;
  vocabSize: number;
  /** float32 little-endian rows back to back, in `ids` order (base64). */
  rows: string;
  centre?: number[];
  /** Token ids of `texts`, in order. */
  tokens?: number[][];
  /** The canonical token ids of each `canonical` run's text, in order. */
  canonical?: number[][];
  /** sha256 (hex) of the model's tokenizer; absent = its metadata could not be read. */
  tokenizerSha256?: string;
}

/**
 * Teacher-forced scoring for the replay audit: the turn's prompt (formatted as a controlled turn formats it), then
 * `tokens` fed one by one; at each position the model's next-token logits rank the committed token.
 */
export interface TeacherForceParams {
  modelPath: string;
  systemPrompt: string;
  history: HistoryItem[];
  question: string;
  /** The committed accepted-path tokens (`<think>` ... `</think>` of a single-path turn), in order (at most 262,144). */
  tokens: number[];
  /**
   * How many of the model's best tokens a sampler could have picked at a position: 1 for a greedy turn, the
   * engine's top-k (40) for a sampled one. Positions whose committed token ranks lower are reported as -1.
   */
  topK: number;
}

export interface TeacherForceResult {
  /** Per committed token: its rank among the next-token logits (0 = the greedy choice), -1 = outside the top `topK`. */
  ranks: number[];
  /** Length of the formatted prompt, tokens (BOS included). */
  promptTokens: number;
  /** `</think>`'s id, which the controller may force in place of the model's choice; null = no single-token tag. */
  closeToken: number | null;
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
  /**
   * System prompt of the prompt the features are read from ('' or absent: none). Turns read the prompt the fallback
   * plan would send (on a model with effort levels: the Normal class's level line), so calibration must too; the
   * samples that measure correctness and length are generated without it (the model's default level).
   */
  featureSystemPrompt?: string;
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
  /**
   * "Answer now": closes the running generate's thought where it is (the thought suffix is injected as budget
   * forcing does; an 'answer-now' event says where). A turn still loading keeps the request until it thinks.
   * applied = false when the request is not running or runs plain LlamaChat generation (strategy 'long', models
   * without single-token think tags), which cannot close it.
   */
  answerNow(p: { requestId: string }): { applied: boolean };
  /** Runs a calibration; 'calibrate-progress' events arrive meanwhile; `abort` with its requestId cancels it (TURN_ABORTED). */
  calibrate(p: CalibrateParams): CalibrateResult;
  info(): BackendInfo | null;
  /** Embedding rows of a model's token_embd.weight (read once per model), tokenised texts and the audit centre (audits). */
  embeddingRows(p: EmbeddingRowsParams): EmbeddingRowsResult;
  /** Ranks committed tokens under teacher forcing (replay audit, docs/receipts.md); its own context, no cache reuse. */
  teacherForce(p: TeacherForceParams): TeacherForceResult;
  /** Test hook: crashes the engine natively-alike (process.abort) to exercise supervision. */
  crash(): void;
}
export type EngineMethod = keyof EngineMethods;

/** Host -> engine: a call frame of the generic RPC. */
export type HostToEngine = RpcCallFrame<EngineMethod>;

/**
 * Engine events: a generate request's TurnEvents (turnId = its requestId; load-progress of a plain `load` has
 * turnId ''; a calibration's load-progress carries the calibration's requestId) and calibration progress.
 */
export type EngineEvent =
  | EngineTurnEvent
  | { type: 'calibrate-progress'; requestId: string; progress: CalibrationProgress }
  | ThreadsMeasuredEvent;

/** The request an engine event belongs to, or undefined when none waits for it (routes it to its caller). */
export function engineEventRequestId(e: EngineEvent): string | undefined {
  if (e.type === 'threads-measured') return undefined;
  const id = e.type === 'calibrate-progress' ? e.requestId : e.turnId;
  return id === '' ? undefined : id;
}

/** Engine -> host: the generic RPC's replies and events, plus 'ready' once the process can take calls. */
export type EngineToHost = { kind: 'ready'; pid: number } | RpcServerFrame<EngineEvent>;
