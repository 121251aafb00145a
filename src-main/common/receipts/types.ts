/** Wire types of receipts and the audit protocol (docs/audit-protocol.md). Pure JSON data. */
import type { EmbeddingSpec, HiddenCounts } from './fingerprint';

export const RECEIPT_VERSION = 1;
/** Prefix of the signed message, so a receipt signature can never be replayed as another kind of signature. */
export const RECEIPT_SIGNING_CONTEXT = 'reckon-receipt-v1\n';

/** Everything the signature covers. */
export interface ReceiptBody {
  version: 1;
  /** The turn (assistant message) this receipt belongs to. */
  turnId: string;
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

export interface AuditVerdict {
  ok: boolean;
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
