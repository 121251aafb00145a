/**
 * The per-model audit head (CoIn's "matching head", in the simplest form that works for a char-level model): a
 * block's int8 embedding is the normalised mean of its tokens' rows, and when the model's reasoning vocabulary
 * is smaller than the embedding width the auditor can solve for the block's bag of tokens (non-negative least
 * squares over that vocabulary, the block length known from its record). The head holds that vocabulary and
 * thresholds calibrated on honest traces of training questions (never the evaluation questions); the auditor
 * then judges each opened block by what it contains:
 * - residual: the embedding is not a mix of reasoning-vocabulary tokens (random or foreign filler);
 * - repetition: one token makes up most of the block;
 * - foreign numbers: number tokens that occur in neither the question nor the answer (another question's
 *   reasoning), beyond what honest blocks of this kind of question carry;
 * - near duplicates: two opened blocks whose bags are nearly the same.
 * Pure TypeScript (runs in the renderer too). Heads live in models/audit/<model>.audit-head.json, keyed by the
 * model file's sha256 (docs/receipts.md).
 */
import type { EmbeddingTable } from './fingerprint';
import { quantiseUnit } from './fingerprint';
import type { TraceRule } from './traceGrammar';
import type { TraceLengthModel } from './traceLength';

export const AUDIT_HEAD_VERSION = 1;

export interface AuditHeadThresholds {
  /** Flag a block whose bag fit leaves more than this relative residual. */
  residual: number;
  /** Flag a block in which one token's share is above this. */
  repetition: number;
  /** Flag a block with more foreign number tokens than this (plain questions: one operator, no multiply). */
  foreignPlain: number;
  /** The same for compound questions (a multiply token, or several operators): intermediate results are new numbers. */
  foreignCompound: number;
  /** Flag two opened blocks (both at least minBagLength long) whose bags differ by less than this L1 share. */
  duplicateL1: number;
  /** Blocks shorter than this skip the duplicate check (short tails repeat each other honestly). */
  minBagLength: number;
}

export interface AuditHead {
  version: 1;
  /** sha256 of the GGUF this head was trained for (the auditor uses it only for that model). */
  modelSha256: string;
  modelName?: string;
  /** Token ids of the model's reasoning vocabulary (every token seen in honest training traces). */
  support: number[];
  /** Token ids that are numbers (digits for a char-level model). */
  numberTokens: number[];
  /** Number tokens that honest reasoning produces whatever the question (carries, borrows): never foreign. */
  commonNumberTokens: number[];
  /** Operator token ids; a question with two or more, or any compoundTokens, is compound. */
  operatorTokens: number[];
  compoundTokens: number[];
  thresholds: AuditHeadThresholds;
  /**
   * Token ids of the questions it was fitted on: its domain. An auditor applies the head to a question made of
   * these tokens only. Absent in older heads: then the reasoning vocabulary (`support`) is the domain.
   */
  questionSupport?: number[];
  /** How it was trained: questions, blocks, the honest maxima the thresholds sit above, the date. */
  training: Record<string, unknown>;
  /**
   * The model's trace grammar (traceGrammar.ts), when it writes a fixed format: the text of each reasoning token
   * (the auditor decodes opened windows with it) and the rules no honest training trace broke. Absent = no grammar.
   */
  trace?: AuditHeadTrace;
  /** How long honest traces of a question run (traceLength.ts); absent = no length check. */
  length?: TraceLengthModel;
}

export interface AuditHeadTrace {
  format: 'reckon-arith-columns-1';
  /** Token id -> its text, for every token of `support` (special tokens as written, e.g. "<think>"). */
  pieces: Record<string, string>;
  /** The rules used: those no honest training trace broke. */
  rules: TraceRule[];
  /** Traces it was fitted on and how many broke each rule (the rules left out). */
  training: Record<string, unknown>;
}

export interface BlockBag {
  /** Estimated count per token id (only support ∪ question ∪ answer ids are non-zero). */
  counts: Map<number, number>;
  /** |Σ c·row − μ·b| / μ: how much of the block embedding the bag leaves unexplained. */
  residual: number;
}

/**
 * Recovers a block's bag of tokens from its int8 embedding: minimise |Σ_t c_t·row_t − μ·b|² + w²(Σ c_t − L)²
 * over c ≥ 0, μ ≥ 0 (Lawson-Hanson on the normal equations: the problem is small, at most a few dozen unknowns).
 */
export function recoverBag(blockEmbedding: ArrayLike<number>, length: number, ids: readonly number[], table: EmbeddingTable): BlockBag {
  const d = table.dims;
  const k = ids.length;
  const m = k + 1; // unknowns: counts, then μ
  const b = new Float64Array(d);
  for (let i = 0; i < d; i++) b[i] = blockEmbedding[i]! / 127;
  const w = 10;
  // Gram matrix G = AᵀA and h = Aᵀy, A = [[rows..., -b], [w..., 0]], y = [0, w·L]. The rows' part is the same for
  // every block of an audit: computed once per (table, ids).
  const { cols, gram } = rowsGram(table, ids, w);
  const G = new Float64Array(m * m);
  const h = new Float64Array(m);
  for (let p = 0; p < k; p++) {
    G.set(gram.subarray(p * k, p * k + k), p * m);
    const a = cols[p]!;
    let s = 0;
    for (let i = 0; i < d; i++) s += a[i]! * b[i]!;
    G[p * m + k] = -s; G[k * m + p] = -s;
    h[p] = w * w * length;
  }
  let bb = 0;
  for (let i = 0; i < d; i++) bb += b[i]! * b[i]!;
  G[k * m + k] = bb;
  const x = nnlsGram(G, h, m);
  const mu = x[k]!;
  let r2 = 0;
  for (let i = 0; i < d; i++) {
    let s = -mu * b[i]!;
    for (let j = 0; j < k; j++) s += cols[j]![i]! * x[j]!;
    r2 += s * s;
  }
  const counts = new Map<number, number>();
  ids.forEach((id, j) => { if (x[j]! > 1e-6) counts.set(id, x[j]!); });
  return { counts, residual: mu > 1e-9 ? Math.sqrt(r2) / mu : Infinity };
}

const grams = new WeakMap<EmbeddingTable, Map<string, { cols: Float64Array[]; gram: Float64Array }>>();

/** The rows of `ids` and their Gram matrix plus the length row's w² (k × k), cached per table and id list. */
function rowsGram(table: EmbeddingTable, ids: readonly number[], w: number): { cols: Float64Array[]; gram: Float64Array } {
  let byIds = grams.get(table);
  if (byIds === undefined) { byIds = new Map(); grams.set(table, byIds); }
  const key = `${w}:${ids.join(',')}`;
  let hit = byIds.get(key);
  if (hit !== undefined) return hit;
  const d = table.dims, k = ids.length;
  const cols = ids.map((id) => Float64Array.from(table.row(id)));
  const gram = new Float64Array(k * k);
  for (let p = 0; p < k; p++) {
    for (let q = p; q < k; q++) {
      const a = cols[p]!, c = cols[q]!;
      let s = w * w;
      for (let i = 0; i < d; i++) s += a[i]! * c[i]!;
      gram[p * k + q] = s; gram[q * k + p] = s;
    }
  }
  hit = { cols, gram };
  if (byIds.size > 64) byIds.clear(); // a handful of questions per audit session; keep the cache small
  byIds.set(key, hit);
  return hit;
}

/** Whether a question (its token ids) is compound for this head. */
export function isCompound(head: AuditHead, questionTokens: readonly number[]): boolean {
  const ops = new Set(head.operatorTokens), comp = new Set(head.compoundTokens);
  let n = 0;
  for (const t of questionTokens) {
    if (comp.has(t)) return true;
    if (ops.has(t)) n++;
  }
  return n >= 2;
}

export interface BlockJudgement {
  residual: number;
  repetition: number;
  foreign: number;
  bag: BlockBag;
  length: number;
}

/** Bag features of one block against a question+answer. */
export function judgeBlock(head: AuditHead, table: EmbeddingTable, blockEmbedding: ArrayLike<number>, length: number, questionAnswerTokens: readonly number[]): BlockJudgement {
  const ids = [...new Set([...head.support, ...questionAnswerTokens.filter((t) => Number.isInteger(t) && t >= 0 && t < table.vocabSize)])].sort((a, b) => a - b);
  const bag = recoverBag(blockEmbedding, length, ids, table);
  const qa = new Set(questionAnswerTokens);
  const common = new Set(head.commonNumberTokens);
  let foreign = 0, top = 0;
  for (const t of head.numberTokens) if (!qa.has(t) && !common.has(t)) foreign += bag.counts.get(t) ?? 0;
  for (const c of bag.counts.values()) top = Math.max(top, c);
  return { residual: bag.residual, repetition: top / Math.max(length, 1), foreign, bag, length };
}

/** Whether a question lies in the head's domain (every token among its training questions', or its reasoning vocabulary). */
export function headCovers(head: AuditHead, questionTokens: readonly number[]): boolean {
  const known = new Set(head.questionSupport ?? head.support);
  return questionTokens.every((t) => known.has(t));
}

/** L1 distance between two bags as a share of the first block's length. */
export function bagDistance(a: BlockBag, b: BlockBag, length: number): number {
  let s = 0;
  for (const [t, c] of a.counts) s += Math.abs(c - (b.counts.get(t) ?? 0));
  for (const [t, c] of b.counts) if (!a.counts.has(t)) s += c;
  return s / Math.max(length, 1);
}

/** Cheap shape check of a parsed head file. */
export function isAuditHead(x: unknown): x is AuditHead {
  const h = x as AuditHead;
  return typeof h === 'object' && h !== null && h.version === AUDIT_HEAD_VERSION && typeof h.modelSha256 === 'string'
    && Array.isArray(h.support) && Array.isArray(h.numberTokens) && typeof h.thresholds === 'object' && h.thresholds !== null
    && (h.questionSupport === undefined || Array.isArray(h.questionSupport))
    && (h.trace === undefined || (typeof h.trace === 'object' && h.trace !== null && typeof h.trace.pieces === 'object' && Array.isArray(h.trace.rules)))
    && (h.length?.canonical === undefined || (Number.isFinite(h.length.canonical.maxOver) && Number.isFinite(h.length.canonical.minRatio)));
}

/** Quantised block embedding of ids (what the engine commits), for training and tests. */
export function blockEmbeddingOf(ids: readonly number[], table: EmbeddingTable): Int8Array {
  const acc = new Float64Array(table.dims);
  for (const id of ids) { const r = table.row(id); for (let i = 0; i < table.dims; i++) acc[i]! += r[i]!; }
  for (let i = 0; i < table.dims; i++) acc[i]! /= Math.max(ids.length, 1);
  return quantiseUnit(acc);
}

/**
 * Lawson-Hanson NNLS given the Gram matrix G = AᵀA (m × m) and h = Aᵀy: argmin |Ax − y| over x ≥ 0. The passive
 * set's G_PP is kept as a Cholesky factor that grows by one row per added variable (O(n²) instead of a fresh
 * O(n³) solve each step: the bag fits were most of an audit's time); a removal refactors from scratch.
 */
export function nnlsGram(G: Float64Array, h: Float64Array, m: number): Float64Array {
  const x = new Float64Array(m);
  const inP = new Uint8Array(m);
  // The passive set in factor order, and L: lower-triangular factor of G_PP, row-major with stride m.
  const P = new Int32Array(m);
  let n = 0;
  const L = new Float64Array(m * m);
  const z = new Float64Array(m);
  let scale = 1e-12;
  for (let j = 0; j < m; j++) scale = Math.max(scale, Math.abs(h[j]!));
  /** Appends variable j as row n of the factor; false when G_PP would become singular. */
  const extend = (j: number): boolean => {
    let dd = G[j * m + j]!;
    const row = n * m;
    for (let r = 0; r < n; r++) {
      let s = G[P[r]! * m + j]!;
      const rr = r * m;
      for (let c = 0; c < r; c++) s -= L[rr + c]! * L[row + c]!;
      const v = s / L[rr + r]!;
      L[row + r] = v;
      dd -= v * v;
    }
    if (!(dd > 1e-24)) return false;
    L[row + n] = Math.sqrt(dd);
    P[n++] = j;
    return true;
  };
  for (let outer = 0; outer < 3 * m; outer++) {
    // The gradient h − Gx; x is zero outside the passive set, so only its columns count.
    let best = -1, bw = 1e-10 * scale;
    for (let j = 0; j < m; j++) {
      if (inP[j]) continue;
      let w = h[j]!;
      const row = j * m;
      for (let i = 0; i < n; i++) { const p = P[i]!; w -= G[row + p]! * x[p]!; }
      if (w > bw) { bw = w; best = j; }
    }
    if (best < 0) break;
    if (!extend(best)) return x;
    inP[best] = 1;
    for (let inner = 0; inner < 3 * m; inner++) {
      // z = G_PP⁻¹ h_P by the factor: L y = h_P, then Lᵀ z = y.
      for (let r = 0; r < n; r++) { let s = h[P[r]!]!; const rr = r * m; for (let c = 0; c < r; c++) s -= L[rr + c]! * z[c]!; z[r] = s / L[rr + r]!; }
      for (let r = n - 1; r >= 0; r--) { let s = z[r]!; for (let c = r + 1; c < n; c++) s -= L[c * m + r]! * z[c]!; z[r] = s / L[r * m + r]!; }
      let allPositive = true;
      for (let i = 0; i < n; i++) if (!(z[i]! > 0)) { allPositive = false; break; }
      if (allPositive) { for (let i = 0; i < n; i++) x[P[i]!] = z[i]!; break; }
      let alpha = 1;
      for (let i = 0; i < n; i++) { const p = P[i]!; if (z[i]! <= 0) alpha = Math.min(alpha, x[p]! / (x[p]! - z[i]!)); }
      for (let i = 0; i < n; i++) { const p = P[i]!; x[p] = x[p]! + alpha * (z[i]! - x[p]!); if (x[p]! <= 1e-12) { x[p] = 0; inP[p] = 0; } }
      // A variable left the set: refactor the rest from scratch, in the same order.
      const keep = Array.from(P.subarray(0, n)).filter((p) => inP[p]);
      n = 0;
      for (const j of keep) if (!extend(j)) return x;
    }
  }
  return x;
}
