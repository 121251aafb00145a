/**
 * API types of hidden-token receipts and audits (docs/receipts.md, docs/audit-protocol.md): what the host stores
 * on a message, what `receipts.get` exports, and what `receipts.audit` returns.
 */
import type { AuditVerdict, Receipt, ReceiptContext } from './receipts/types';
import type { ReceiptStore } from './receipts/receipt';

/** The last audit of a message's receipt, kept on the message (the ledger's badge). */
export interface AuditSummary {
  ok: boolean;
  /** ISO time of the audit. */
  at: string;
  /** Leaves opened. */
  sampleSize: number;
  /** Chance this sample catches an inflation of `confidence.inflation` (binomial tail). */
  confidence: { inflation: number; probability: number };
  /** Names of the checks that failed. */
  failed: string[];
  /** 'local' (the host's own provider store) or the remote base URL (without its token). */
  via: string;
}

/**
 * A receipt with what an auditor needs besides the model: the question and the visible answer. `store` (the
 * provider store: every leaf, hence every hidden token id) is included only when exporting one's own receipt for
 * a local audit; never over HTTP.
 */
export interface ReceiptExport {
  version: 1;
  kind: 'reckon-receipt';
  messageId: string;
  conversationId: string;
  question: string;
  answer: string;
  /**
   * The system prompt and earlier turns the model saw (the receipt signs their hashes): what a replay re-runs.
   * Absent from exports of receipts issued before context binding.
   */
  context?: ReceiptContext;
  receipt: Receipt;
  store?: ReceiptStore;
}

export interface ReceiptAuditParams {
  /** Audit a stored message's receipt against the host's own provider store (or `remote`). */
  messageId?: string;
  /** Audit an exported receipt: against its own `store`, or over HTTP when `remote` is given. */
  export?: ReceiptExport;
  /**
   * Challenge a remote Reckon over HTTP: its page URL `http://127.0.0.1:PORT/?token=...`. Without `export`, the
   * receipt, question and answer of `messageId` are fetched from its GET /audit/receipt/<messageId>.
   */
  remote?: string;
  /** Pin the issuer's Ed25519 public key (hex). Local audits of this install's receipts pin its own key. */
  publicKey?: string;
  /** Keys (hex) to trust for this audit only, besides this install's own and the pinned ones (`reckon audit --trust`). */
  trust?: string[];
}

/** A key an install trusts (receipts.trustedKeys): its own, pinned by the user, or remembered for a remote. */
export interface TrustedKeyInfo {
  /** Ed25519 public key, 64 lower-case hex. */
  publicKey: string;
  /** keyFingerprint(publicKey): what Settings and the CLI show. */
  fingerprint: string;
  /** own = this install's signing key; pinned = trusted by the user; remote = trusted on first use of a remote. */
  source: 'own' | 'pinned' | 'remote';
  /** The user's label, or the remote origin. */
  label?: string;
  /** ISO time it was added (own: absent). */
  addedAt?: string;
}

/** What `receipts.audit` returns: the verdict, the summary stored on the message, and timing. */
export interface AuditReport extends AuditVerdict {
  messageId: string;
  summary: AuditSummary;
  /** Wall time of the audit (challenge, response, verification), ms. */
  ms: number;
}

/** `receipts.replay`: re-execute a receipt's committed plan with the same model file (docs/receipts.md "Replay audit"). */
export interface ReceiptReplayParams {
  /** Replay a stored message's receipt (its conversation gives the history above the question). */
  messageId?: string;
  /**
   * Replay an exported receipt: with its provider `store`, the committed tokens are also teacher-forced; the history
   * is the local conversation's when this install holds it, else none (the receipt does not bind it).
   */
  export?: ReceiptExport;
  /**
   * Ask a remote Reckon (its page URL with `?token=`) for its receipt of `messageId` (GET /audit/receipt/<id>) and
   * re-execute it here. The issuer never serves token ids, so only the identical-root check runs.
   */
  remote?: string;
}

/** What `receipts.replay` returns. */
export interface ReplayReport {
  messageId: string;
  /** identical | model-consistent | diverged | unverifiable (common/receipts/replay.ts decideReplay). */
  outcome: 'identical' | 'model-consistent' | 'diverged' | 'unverifiable';
  ok: boolean;
  /** One sentence: what this verdict proves and what it cannot. */
  meaning: string;
  /** The committed side: root, counts and whether the store's leaves build that root under a valid signature. */
  committed: { root: string; treeSize: number; counts: Receipt['counts']; valid: boolean; problem?: string };
  /** The re-execution: null when it could not run (`why`). */
  reexecuted: { root: string; treeSize: number; counts: Receipt['counts']; rootMatches: boolean; answerMatches: boolean; countDiffs: string[] } | null;
  /** Teacher forcing of the committed thinking tokens; null when it did not run (`forcedSkipped`). */
  teacherForced: { positions: number; firstDivergence: number | null; divergent: number; criterion: 'greedy' | 'top-k' } | null;
  /** Why a step did not run. */
  notes: string[];
  /** What the replay ran with: history turns, seed, strategy, where the context came from. */
  inputs: { historyItems: number; seed: number | null; strategy: string; effort: string | number; context: 'signed context' | 'conversation' | 'question only' };
  /** 'local' or the remote origin. */
  via: string;
  /** Wall time, ms. */
  ms: number;
}
