/** Wire types of receipts and the audit protocol (docs/audit-protocol.md). Pure JSON data. */
import type { EmbeddingSpec, HiddenCounts } from './fingerprint';

/** The receipt format issued now; version 1 receipts (question and answer not bound) still verify, marked weaker. */
export const RECEIPT_VERSION = 2;
/** Versions an auditor accepts. */
export const RECEIPT_VERSIONS = [1, 2] as const;
/** Prefix of the signed message, so a receipt signature can never be replayed as another kind of signature. */
export const RECEIPT_SIGNING_CONTEXT = 'reckon-receipt-v1\n';
/** The prefix of version 2 bodies: a v2 signature can never pass for a v1 one, nor the other way round. */
export const RECEIPT_SIGNING_CONTEXT_V2 = 'reckon-receipt-v2\n';

/** The plan a turn ran under, as its receipt binds it (what the verdict's counts depend on). */
export interface ReceiptPlan {
  /** What ran ('long', 'short-m@k', 'pdr', ...); the requested strategy beside it ('auto' stays 'auto'). */
  strategy: string;
  requested: string;
  /** 'auto' or 0..1. */
  effort: string | number;
  /** Sampling seed of the turn; null = none given (greedy or the engine's own). */
  seed: number | null;
  /** Thinking budget per path, tokens; null = none. */
  thinkingBudget: number | null;
  /** Tokens per early-exit trial (0 = no trials). */
  trialTokens: number;
  /** short-m@k: k samples, first m vote; null = no parallel sampling. */
  sampling: { k: number; m: number } | null;
  /** PDR: drafts per round; null = no PDR. */
  rounds: number[] | null;
  /** Parallel drafts the turn reported (winner included). */
  drafts: number;
}

/**
 * The server a remote engine ran the turn on, as the local side read it, without its URL (a receipt may travel):
 * what the receipt can name of the model it cannot hash. Its leaves are header-only (embeddingSpec.dims = 0).
 */
export interface ReceiptRemote {
  /** The engine kind, 'llama-server'. */
  kind: string;
  /** The model file the server runs (the base name of its /props model_path). */
  model: string;
  /** The server's build (/props build_info); null when it does not say. */
  build: string | null;
  /** Vocabulary size, parameter count and file size (bytes) the server reports (/v1/models meta); null = not said. */
  vocabSize: number | null;
  params: number | null;
  size: number | null;
}

/** What the model saw before the question: the system prompt and the earlier turns (an export carries it). */
export interface ReceiptContext {
  systemPrompt: string;
  /** Oldest first, as the engine was given them. */
  history: { role: 'system' | 'user' | 'assistant'; text: string }[];
}

/** Everything the signature covers. Fields marked v2 are absent from version 1 receipts. */
export interface ReceiptBody {
  version: 1 | 2;
  /** The turn (assistant message) this receipt belongs to: the id audit challenges name (= messageId in v2). */
  turnId: string;
  /** v2: the assistant message the receipt belongs to. */
  messageId?: string;
  /** v2: its conversation. */
  conversationId?: string;
  /** v2: the chat turn id that produced it, when the host knew it (null otherwise). */
  chatTurnId?: string | null;
  /** v2: sha256 (hex) of the question text (UTF-8). */
  questionSha256?: string;
  /** v2: sha256 (hex) of the visible answer text (UTF-8). */
  answerSha256?: string;
  /** v2: sha256 (hex) of the model's tokenizer (GGUF tokenizer.* metadata, docs/receipts.md); null = unknown. */
  tokenizerSha256?: string | null;
  /** v2: the plan the turn ran under; null = plain generation (no controller plan). */
  plan?: ReceiptPlan | null;
  /**
   * v2, remote turns only: the server that generated the tokens. Then modelSha256 is the local file of that name
   * (the server's own file is not hashed here) and the leaves carry no embeddings.
   */
  remote?: ReceiptRemote;
  /**
   * v2, additive (absent from receipts issued before it): sha256 (hex) of the system prompt the model saw (UTF-8).
   * With historySha256 it binds the context, so a replay re-runs exactly the signed context (contextHashes).
   */
  systemPromptSha256?: string;
  /** v2, additive: sha256 (hex) of canonicalJson of the earlier turns the model saw ([{role, text}], oldest first). */
  historySha256?: string;
  /** sha256 (hex) of the model file that generated the tokens. */
  modelSha256: string;
  embeddingSpec: EmbeddingSpec;
  /** Hidden tokens by ledger kind; counts.hidden must equal treeSize. */
  counts: HiddenCounts;
  /** Number of leaves (hidden tokens) in the Merkle tree. */
  treeSize: number;
  /** Merkle root (hex, 32 bytes) over the fingerprint leaves. */
  root: string;
  /** Tokens per block (= embeddingSpec.blockSize). */
  blockSize: number;
  /** Number of blocks (segments split into blockSize runs). */
  blockCount: number;
  /** sha256 (hex) of all block records back to back (20 bytes per block, in block order; docs/receipts.md). */
  sketchDigest: string;
  /** ISO 8601 UTC time the receipt was issued. */
  createdAt: string;
  /** Ed25519 public key (hex, 32 raw bytes) of the issuing install. */
  publicKey: string;
}

export interface Receipt extends ReceiptBody {
  /** Ed25519 signature (hex, 64 bytes) over RECEIPT_SIGNING_CONTEXT + canonicalJson(body). */
  signature: string;
}

/** Sent by the auditor: which leaves to open. */
export interface AuditChallenge {
  version: 1;
  turnId: string;
  /** The root the auditor holds; the provider must answer for this commitment. */
  root: string;
  treeSize: number;
  /** Distinct leaf indices, each < treeSize. */
  indices: number[];
  /** Random hex chosen by the auditor, echoed back (binds a response to its challenge). */
  nonce: string;
}

export interface AuditOpening {
  index: number;
  /** The leaf bytes (base64), docs/receipts.md layout. */
  leaf: string;
  /** RFC 6962 audit path, bottom first, hex. */
  proof: string[];
}

/** The provider's answer: openings for the asked indices and every block sketch. Never any hidden text. */
export interface AuditResponse {
  version: 1;
  turnId: string;
  root: string;
  treeSize: number;
  nonce: string;
  openings: AuditOpening[];
  /** All block records back to back (base64), blockCount × 20 bytes; their sha256 is receipt.sketchDigest. */
  sketches: string;
}

export interface AuditCheck {
  name: string;
  passed: boolean;
  detail: string;
}

/** Who signed a receipt, and whether the auditor trusts that key. */
export interface SignerInfo {
  /** Ed25519 public key (hex). */
  publicKey: string;
  /** Short form to show and compare: the first 16 hex digits of sha256(raw key), in groups of 4. */
  fingerprint: string;
  /**
   * own = this install's key; pinned = a key the user trusts; first-use = a remote issuer seen for the first time
   * (now remembered); known-remote = the key remembered for this remote; untrusted = none of these.
   */
  trust: 'own' | 'pinned' | 'first-use' | 'known-remote' | 'untrusted';
  /** The user's label of a pinned key, or the remote origin. */
  label?: string;
}

export interface AuditVerdict {
  ok: boolean;
  /** The receipt's format version (1 = question and answer not bound: weaker); null when unreadable. */
  receiptVersion: 1 | 2 | null;
  /** The signing key and its trust; null when the receipt had no readable key. */
  signer: SignerInfo | null;
  /** One sentence: what this verdict proves and what it cannot (docs/receipts.md). */
  meaning: string;
  checks: AuditCheck[];
  counts: HiddenCounts | null;
  treeSize: number | null;
  /** Leaves opened. */
  sampleSize: number;
  /**
   * Probability that this sample holds more than `tolerance` bad leaves if a fraction `inflation` of the committed
   * leaves were fabricated (binomial tail, i.e. sampling with replacement: a lower bound for sampling without).
   */
  confidence: { inflation: number; probability: number };
  /** Indices of opened leaves that failed a semantic check, by check name. */
  flagged: Record<string, number[]>;
}
