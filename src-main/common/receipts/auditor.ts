/**
 * The auditor (CoIn-style): checks a receipt's signature and counts, opens a random sample of leaves, verifies
 * them bit-exactly against the root, then judges the sampled leaves' semantics with the model's own embedding
 * table: is each token consistent with its block, is the block about this question and answer, is it a copy of
 * another block, is it filler. It never sees the hidden text.
 */
import type { AuditChallenge, AuditCheck, AuditResponse, AuditVerdict, Receipt, ReceiptContext, ReceiptRemote, SignerInfo } from './types';
import type { EmbeddingTable, Fingerprint } from './fingerprint';
import { BLOCK_RECORD_BYTES, blockEmbedding, decodeBlockRecord, kindCode, quantiseUnit } from './fingerprint';
import { blockSketch, hamming } from './sketch';
import type { SecurityParameter } from './challenge';
import { DEFAULT_SECURITY, cryptoRandomInt, detectionProbability, makeChallenge, sampleSize, verifyResponse } from './challenge';
import { contextHashes, isReceiptContext, keyFingerprint, textSha256, verifyReceipt } from './receipt';
import type { AuditHead, BlockJudgement } from './auditHead';
import { bagDistance, isCompound, judgeBlock } from './auditHead';
import type { TraceRule } from './traceGrammar';
import { traceViolations } from './traceGrammar';
import { thinkingBound } from './traceLength';
import { canonicalResult } from './canonicalTrace';

/** A key the auditor trusts, and why. */
export interface TrustedKey {
  /** Ed25519 public key, hex. */
  publicKey: string;
  trust: Exclude<SignerInfo['trust'], 'untrusted'>;
  /** A pinned key's label, or the remote origin of a first-use key. */
  label?: string;
}

/** What an export claims the receipt belongs to; a version 2 receipt must bind exactly this. */
export interface ClaimedBinding {
  messageId: string;
  conversationId?: string;
  question: string;
  answer: string;
  /** The system prompt and earlier turns the export says the model saw; absent = the export carries none. */
  context?: ReceiptContext;
}

/** Canonical tokenisation of committed ids (docs/receipts.md, "Token ids"): decode, re-encode, compare. */
export interface CanonicalTokenizer {
  /** The canonical token ids of the text `ids` decode to (the model's own tokenizer, no special tokens). */
  canonical(ids: readonly number[]): number[] | Promise<number[]>;
}

/**
 * Every semantic threshold in one place. Cosines are computed on int8 vectors dequantised to float and centred
 * by the vocabulary's mean direction (see centreOf), so the common component all token rows share does not make
 * every pair look alike. Calibrate per model (AuditOptions.thresholds); these defaults were set on the synthetic
 * arithmetic suite (tools/audit) and must be re-measured on the bundled model.
 */
export interface AuditThresholds {
  /** Minimum cosine between a token's embedding and its block's. Defaults to -0.4. */
  tokenBlockMinCos: number;
  /** Minimum cosine between a block's embedding and the question+answer embedding. Defaults to -0.15. */
  relevanceMinCos: number;
  /** A block this close (cosine) to one of its tokens is one token repeated: filler. Defaults to 0.95. */
  repetitionMinCos: number;
  /**
   * Two blocks whose 128-bit sketches differ in at most this many bits are duplicates. Defaults to 0 (exact):
   * honest arithmetic blocks of a char-level model are near each other (2 bits flagged 5 % of honest turns).
   */
  duplicateMaxHamming: number;
  /** Blocks shorter than this (segment tails, short trial answers) skip the semantic checks. Defaults to 8. */
  minBlockLength: number;
  /** Extra blocks allowed beyond ceil(treeSize / blockSize): one partial block per segment. Defaults to 256. */
  maxSegments: number;
}

export const DEFAULT_THRESHOLDS: AuditThresholds = {
  tokenBlockMinCos: -0.4,
  relevanceMinCos: -0.15,
  repetitionMinCos: 0.95,
  duplicateMaxHamming: 0,
  minBlockLength: 8,
  maxSegments: 256,
};

export interface AuditOptions {
  /** The receipt to audit (anything: its shape is checked). */
  receipt: unknown;
  /** Sends a challenge to the provider: ReceiptProvider.respond locally, POST /audit/challenge remotely. */
  respond: (challenge: AuditChallenge) => AuditResponse | Promise<AuditResponse>;
  /** The embedding table of the model the auditor trusts (same GGUF as the receipt's modelSha256). */
  table: EmbeddingTable;
  /** Token ids of the question and of the visible answer, tokenised with that model. */
  questionTokens: readonly number[];
  answerTokens: readonly number[];
  /** The question and answer text (the trace grammar reads them); default: the binding's, when given. */
  question?: string;
  answer?: string;
  /** sha256 of the auditor's model file; when given, the receipt must name it. */
  modelSha256?: string;
  /** When given, the receipt must be signed by this key (hex); the same as one `pinned` entry of trustedKeys. */
  trustedPublicKey?: string;
  /** Keys the auditor trusts. A receipt signed by any other key FAILS the 'trust' check. */
  trustedKeys?: readonly TrustedKey[];
  /** What the export says the receipt is for; v2 receipts must bind it (the 'binding' check). */
  binding?: ClaimedBinding;
  /**
   * Remote audits: what the issuer itself serves for this message (GET /audit/receipt/<id>), or null when it has
   * none. An export that is not the issuer's receipt, question and answer FAILS the 'issuer' check.
   */
  issuer?: { receipt: unknown; question: string; answer: string; origin: string } | null;
  /** sha256 of the auditor's tokenizer; a v2 receipt that names one must name this. */
  tokenizerSha256?: string | null;
  /**
   * The model's tokenizer: whole opened blocks of thinking are decoded and re-encoded, and ids that are not the
   * canonical tokenisation of their text (re-tokenisation inflation) fail the 'canonical-tokens' check.
   */
  tokenizer?: CanonicalTokenizer;
  /** Blocks opened whole for the canonical-token check. Defaults to 4. */
  wholeBlocks?: number;
  /**
   * Tokens either side of each sampled thinking or draft leaf opened for the trace grammar (when the head has one):
   * a window of 2 × traceWindow + 1 consecutive leaves. Defaults to 32.
   */
  traceWindow?: number;
  /** Defaults to DEFAULT_SECURITY (10 % at 99 %, tolerance 0 -> 44 leaves). */
  security?: Partial<SecurityParameter>;
  thresholds?: Partial<AuditThresholds>;
  /**
   * The table's centre (centreOf), when the caller computed it already (the host gets it from the engine, which
   * holds the whole table; `table` then only needs the rows the audit reads).
   */
  centre?: ArrayLike<number>;
  /**
   * The model's audit head (auditHead.ts, models/audit/): bag-of-tokens checks of every opened block. Used only
   * when its modelSha256 is the receipt's.
   */
  head?: AuditHead;
  /** Random integer in [0, bound); defaults to WebCrypto. Inject only in tests. */
  randomInt?: (bound: number) => number;
}

const centres = new WeakMap<EmbeddingTable, Float64Array>();

/** Mean of the L2-normalised rows of the table: the direction every token shares. */
export function centreOf(table: EmbeddingTable): Float64Array {
  let c = centres.get(table);
  if (c !== undefined) return c;
  c = new Float64Array(table.dims);
  for (let id = 0; id < table.vocabSize; id++) {
    const q = quantiseUnit(table.row(id));
    for (let i = 0; i < table.dims; i++) c[i]! += q[i]! / 127 / table.vocabSize;
  }
  centres.set(table, c);
  return c;
}

/** Cosine of two vectors after subtracting `centre` from both (int8 inputs are read as x / 127). */
export function centredCos(a: ArrayLike<number>, b: ArrayLike<number>, centre: Float64Array, scaleA = 127, scaleB = 127): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < centre.length; i++) {
    const x = a[i]! / scaleA - centre[i]!, y = b[i]! / scaleB - centre[i]!;
    ab += x * y; aa += x * x; bb += y * y;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/** Question+answer embedding: the mean of their normalised rows (float, scale 1). */
export function questionAnswerEmbedding(table: EmbeddingTable, tokens: readonly number[]): Float64Array {
  const acc = new Float64Array(table.dims);
  for (const id of tokens) {
    if (!Number.isInteger(id) || id < 0 || id >= table.vocabSize) continue;
    const q = quantiseUnit(table.row(id));
    for (let i = 0; i < table.dims; i++) acc[i]! += q[i]! / 127;
  }
  for (let i = 0; i < table.dims; i++) acc[i]! /= Math.max(tokens.length, 1);
  return acc;
}

function int8Equal(a: Int8Array, b: Int8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs a full audit: receipt, challenge, response, semantics. Never throws for a bad receipt or response. */
export async function auditReceipt(opts: AuditOptions): Promise<AuditVerdict> {
  const o: AuditOptions = { ...opts, question: opts.question ?? opts.binding?.question, answer: opts.answer ?? opts.binding?.answer };
  const th = { ...DEFAULT_THRESHOLDS, ...o.thresholds };
  const sec = { ...DEFAULT_SECURITY, ...o.security };
  const n = sampleSize(sec);
  const checks: AuditCheck[] = [];
  const flagged: Record<string, number[]> = {};
  let receiptVersion: AuditVerdict['receiptVersion'] = null;
  let signer: SignerInfo | null = null;
  const verdict = (sample: number, counts: AuditVerdict['counts'], treeSize: number | null, extraOk = true): AuditVerdict => ({
    ok: extraOk && checks.every((c) => c.passed),
    receiptVersion,
    signer,
    meaning: verdictMeaning(checks, receiptVersion, signer, sample, sec.inflation, sample === 0 ? 0 : detectionProbability(sample, sec.inflation, sec.tolerance)),
    checks,
    counts,
    treeSize,
    sampleSize: sample,
    confidence: { inflation: sec.inflation, probability: sample === 0 ? 0 : detectionProbability(sample, sec.inflation, sec.tolerance) },
    flagged,
  });

  const rv = await verifyReceipt(o.receipt);
  const raw = o.receipt as Partial<Receipt> | null;
  if (typeof raw === 'object' && raw !== null) {
    if (raw.version === 1 || raw.version === 2) receiptVersion = raw.version;
    if (typeof raw.publicKey === 'string') signer = signerOf(raw.publicKey, o);
  }
  checks.push({ name: 'receipt', passed: rv.ok, detail: rv.ok ? 'shape, counts (treeSize = hidden) and a strict Ed25519 signature verify' : rv.problems.join('; ') });
  if (signer !== null) {
    checks.push({
      name: 'trust', passed: signer.trust !== 'untrusted',
      detail: signer.trust === 'untrusted'
        ? `signed by key ${signer.fingerprint}, which this auditor does not trust (pin it with \`reckon keys trust\` if you know it is the issuer's)`
        : `signed by key ${signer.fingerprint}: ${trustWords[signer.trust]}${signer.label !== undefined ? ` (${signer.label})` : ''}`,
    });
  }
  if (o.issuer !== undefined) checks.push(issuerCheck(o));
  if (!rv.ok) return verdict(0, null, null);
  const receipt = o.receipt as Receipt;
  checks.push(bindingCheck(receipt, o));
  const spec = receipt.embeddingSpec;
  const t = o.table;

  const tokenizerOk = receipt.version === 1 || receipt.tokenizerSha256 == null || o.tokenizerSha256 == null || o.tokenizerSha256 === receipt.tokenizerSha256;
  if (!tokenizerOk) checks.push({ name: 'tokenizer', passed: false, detail: `the receipt names tokenizer ${String(receipt.tokenizerSha256).slice(0, 16)}, the auditor's model has ${String(o.tokenizerSha256).slice(0, 16)}` });
  // A remote turn's leaves are header-only (receipt.remote): there is no embedding shape to compare, nor rows to check.
  const remote = receipt.remote;
  const modelOk = (o.modelSha256 === undefined || o.modelSha256.toLowerCase() === receipt.modelSha256) &&
    (remote !== undefined || (spec.dims === t.dims && spec.vocabSize === t.vocabSize));
  checks.push({
    name: 'model', passed: modelOk,
    detail: !modelOk ? 'the receipt names another model or embedding shape than the auditor holds'
      : remote !== undefined ? `model ${receipt.modelSha256.slice(0, 16)} (the local file of the name ${remote.kind} reported), header-only leaves`
      : `embedding table ${t.vocabSize}×${t.dims} of model ${receipt.modelSha256.slice(0, 16)}`,
  });
  const maxBlocks = Math.ceil(receipt.treeSize / receipt.blockSize) + th.maxSegments;
  const blocksOk = receipt.blockCount <= maxBlocks;
  checks.push({ name: 'block-count', passed: blocksOk, detail: `${receipt.blockCount} blocks for ${receipt.treeSize} tokens (at most ${maxBlocks})` });
  if (!modelOk || !blocksOk) return verdict(0, receipt.counts, receipt.treeSize);
  if (receipt.treeSize === 0) {
    checks.push({ name: 'empty', passed: true, detail: 'no hidden tokens committed' });
    return verdict(0, receipt.counts, 0);
  }

  // The signed counts against how long an honest trace of this question runs (the head's length model).
  const lengthHead = o.head !== undefined && o.head.modelSha256.toLowerCase() === receipt.modelSha256.toLowerCase() ? o.head.length : undefined;
  const lb = lengthHead !== undefined && o.question !== undefined ? thinkingBound(lengthHead, o.question, o.head!.trace?.pieces) : null;
  if (lb !== null) {
    // A draft is a whole trace and its answer (not fitted on honest drafts: the suite's honest turns run none).
    const drafts = receipt.version === 2 && receipt.plan != null ? Math.max(0, receipt.plan.drafts - 1) : 0;
    const draftBound = drafts * (lb.draftBound + o.answerTokens.length + 2);
    // Each draft is a whole trace (at least the floor, or the budget when one cut it) and an answer like the visible
    // one (two tokens of slack: its result may be shorter).
    const budget = receipt.version === 2 ? receipt.plan?.thinkingBudget ?? null : null;
    const draftFloor = drafts * (Math.min(lb.floor, budget ?? Infinity) + Math.max(0, o.answerTokens.length - 2));
    const ok = receipt.counts.thinking <= lb.bound && receipt.counts.overhead.draft <= draftBound && receipt.counts.overhead.draft >= draftFloor;
    checks.push({
      name: 'trace-length', passed: ok,
      detail: `${receipt.counts.thinking} thinking tokens${drafts > 0 || receipt.counts.overhead.draft > 0 ? ` and ${receipt.counts.overhead.draft} draft tokens` : ''}; an honest trace of this question runs at most ${lb.bound}${drafts > 0 ? ` (drafts: ${draftFloor}..${draftBound})` : ''} (${lb.how})`,
    });
  }

  const challenge = makeChallenge(receipt, n, o.randomInt);
  let response: AuditResponse;
  try {
    response = await o.respond(challenge);
  } catch (e) {
    checks.push({ name: 'response', passed: false, detail: `provider did not answer: ${e instanceof Error ? e.message : String(e)}` });
    return verdict(challenge.indices.length, receipt.counts, receipt.treeSize);
  }
  const vr = verifyResponse(receipt, challenge, response);
  checks.push(...vr.checks);
  if (!vr.ok || vr.blockRecords === null) return verdict(challenge.indices.length, receipt.counts, receipt.treeSize);
  const records = vr.blockRecords;
  const parallelKind = (b: number): boolean => { const k = records[b * BLOCK_RECORD_BYTES + 18]; return k === kindCode('draft') || k === kindCode('distill'); };

  // --- structure and bit-exact embedding checks (any failure fails the audit) ---
  const structural: string[] = [];
  const tokenBad: number[] = [];
  const sketchBad: number[] = [];
  const byBlock = new Map<number, Fingerprint>();
  const sketchOkOf = new Map<number, boolean>();
  let prev: Fingerprint | null = null;
  for (const { index, fingerprint: f } of vr.opened) {
    const rec = decodeBlockRecord(records, f.blockIndex);
    if (rec === null || f.blockIndex >= receipt.blockCount) { structural.push(`${index}: block ${f.blockIndex} does not exist`); continue; }
    if (rec.kind !== f.kind || f.offsetInBlock >= rec.length || rec.length > receipt.blockSize || f.blockIndex > index || f.offsetInBlock > index) {
      structural.push(`${index}: leaf disagrees with its block record`); continue;
    }
    const same = byBlock.get(f.blockIndex);
    if (same !== undefined && (!int8Equal(same.blockEmbedding, f.blockEmbedding) || same.segment !== f.segment || same.index - same.offsetInBlock !== index - f.offsetInBlock)) {
      structural.push(`${index}: two leaves of block ${f.blockIndex} disagree`);
    }
    if (prev !== null && (f.blockIndex < prev.blockIndex || f.segment < prev.segment)) structural.push(`${index}: blocks or segments out of order`);
    byBlock.set(f.blockIndex, f);
    prev = f;
    if (remote === undefined && (f.tokenId >= t.vocabSize || !int8Equal(quantiseUnit(t.row(f.tokenId)), f.tokenEmbedding))) tokenBad.push(index);
    if (remote !== undefined && remote.vocabSize !== null && f.tokenId >= remote.vocabSize) structural.push(`${index}: token id ${f.tokenId} outside the server's vocabulary`);
    // Leaves of one block carry one embedding (checked above), so its sketch is computed once per block.
    let sketchOk = sketchOkOf.get(f.blockIndex);
    if (sketchOk === undefined || same === undefined || !int8Equal(same.blockEmbedding, f.blockEmbedding)) {
      sketchOk = hamming(blockSketch(f.blockEmbedding, spec), 0, rec.sketch, 0, 16) === 0;
      sketchOkOf.set(f.blockIndex, sketchOk);
    }
    if (!sketchOk) sketchBad.push(index);
  }
  checks.push({ name: 'leaf-structure', passed: structural.length === 0, detail: structural.length === 0 ? 'block indices, offsets, kinds and order are consistent' : structural.slice(0, 5).join('; ') });
  if (remote !== undefined) {
    checks.push({ name: 'remote', passed: true, detail: remoteCaveat(remote) });
    if (o.tokenizer !== undefined) checks.push(await canonicalTokensCheck(o, receipt, challenge, records, th.minBlockLength));
    return verdict(challenge.indices.length, receipt.counts, receipt.treeSize);
  }
  checks.push({ name: 'token-embedding', passed: tokenBad.length === 0, detail: tokenBad.length === 0 ? 'every opened token embedding equals the model\'s row, bit for bit' : `${tokenBad.length} leaves carry a token embedding that is not their token's row: ${tokenBad.slice(0, 8).join(', ')}` });
  checks.push({ name: 'block-sketch', passed: sketchBad.length === 0, detail: sketchBad.length === 0 ? 'opened block embeddings match their committed sketches' : `${sketchBad.length} leaves: block embedding does not match the committed sketch` });

  if (o.tokenizer !== undefined) checks.push(await canonicalTokensCheck(o, receipt, challenge, records, th.minBlockLength));

  // --- semantic checks: flag blocks; more than `tolerance` flagged blocks fails the audit ---
  const centre = o.centre !== undefined ? Float64Array.from(o.centre) : centreOf(t);
  const qa = questionAnswerEmbedding(t, [...o.questionTokens, ...o.answerTokens]);
  const flaggedBlocks = new Set<number>();
  const flag = (check: string, index: number, block: number): void => {
    (flagged[check] ??= []).push(index);
    flaggedBlocks.add(block);
  };
  const relevance: number[] = [];
  for (const { index, fingerprint: f } of vr.opened) {
    const rec = decodeBlockRecord(records, f.blockIndex)!;
    if (rec.length < th.minBlockLength) continue;
    const tb = centredCos(f.tokenEmbedding, f.blockEmbedding, centre);
    if (tb >= th.repetitionMinCos) flag('filler', index, f.blockIndex);
    else if (tb < th.tokenBlockMinCos) flag('token-block-consistency', index, f.blockIndex);
    const rel = centredCos(f.blockEmbedding, qa, centre, 127, 1);
    relevance.push(rel);
    if (rel < th.relevanceMinCos) flag('block-relevance', index, f.blockIndex);
  }
  // The model's head: what each opened block holds (its bag of tokens), against the question and answer.
  const head = o.head !== undefined && o.head.modelSha256.toLowerCase() === receipt.modelSha256.toLowerCase() ? o.head : undefined;
  if (head !== undefined) {
    const ht = head.thresholds;
    const qaTokens = [...o.questionTokens, ...o.answerTokens];
    const vocab = new Set([...head.support, ...qaTokens]);
    const foreignMax = isCompound(head, o.questionTokens) ? ht.foreignCompound : ht.foreignPlain;
    const judged = new Map<number, BlockJudgement>();
    for (const [b, f] of byBlock) {
      // The head's bag checks judge the accepted path (thinking, trials): the greedy reasoning it was fitted to.
      // Probe and workspace blocks are prompt material and discarded drafts are sampled; they get the token check only.
      const rec = decodeBlockRecord(records, b)!;
      if (rec.kind !== 'thinking' && rec.kind !== 'trial') continue;
      judged.set(b, judgeBlock(head, t, f.blockEmbedding, rec.length, qaTokens));
    }
    for (const { index, fingerprint: f } of vr.opened) {
      if (f.kind !== 'probe' && f.kind !== 'distill' && !vocab.has(f.tokenId)) flag('token-vocabulary', index, f.blockIndex);
      const j = judged.get(f.blockIndex);
      if (j === undefined) continue;
      if (j.residual > ht.residual) flag('bag-residual', index, f.blockIndex);
      if (j.length >= ht.minBagLength && j.repetition > ht.repetition) flag('bag-repetition', index, f.blockIndex);
      if (j.foreign > foreignMax) flag('foreign-numbers', index, f.blockIndex);
    }
    // A threshold of 0 (the bundled head's: honest blocks came that close) flags no pair: skip the 45 x 45 comparisons.
    const long = ht.duplicateL1 > 0 ? [...judged.entries()].filter(([b, j]) => j.length >= ht.minBagLength && !parallelKind(b)) : [];
    for (const [b, j] of long) {
      for (const [c, k] of long) {
        if (c !== b && bagDistance(j.bag, k.bag, j.length) < ht.duplicateL1) { flag('near-duplicate-bag', byBlock.get(b)!.index, b); break; }
      }
    }
  }
  // The trace grammar: windows of consecutive tokens around the sampled leaves, judged in order (traceGrammar.ts).
  let traceDetail: string | null = null;
  if (head?.trace !== undefined && o.question !== undefined && o.answer !== undefined) {
    const tr = await traceCheck(o, receipt, challenge, [...vr.opened.map((x) => x.index), ...segmentStarts(receipt, records)], head.trace, { question: o.question, answer: o.answer });
    if (tr.error !== null) checks.push({ name: 'trace-grammar', passed: false, detail: tr.error });
    else {
      for (const v of tr.flagged) flag('trace-grammar', v.index, v.block);
      traceDetail = tr.detail;
    }
  }
  // Duplicates: an opened block with a near-identical sketch elsewhere; and exact sketch collisions anywhere.
  const blocks = receipt.blockCount;
  // Blocks of parallel drafts and workspaces are left out: k drafts of one question honestly repeat each other
  // and the winner, and every round's prompt repeats the candidate list (docs/receipts.md).
  const longBlock = (b: number): boolean => !parallelKind(b) && (records[b * BLOCK_RECORD_BYTES + 16]! | (records[b * BLOCK_RECORD_BYTES + 17]! << 8)) >= th.minBlockLength;
  // One pass over every block: its sketch as a key (four 32-bit words), and how many long blocks share it.
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const sketchKey = (b: number): string => {
    const o = b * BLOCK_RECORD_BYTES;
    return `${view.getUint32(o)}.${view.getUint32(o + 4)}.${view.getUint32(o + 8)}.${view.getUint32(o + 12)}`;
  };
  // The canonical trace repeats some of its own blocks (the re-check copies the column work): an honest trace has
  // those same copies, so a sketch the canonical trace itself repeats is not a duplicate here.
  const canonicalRepeats = new Set<string>();
  if (lb?.canonicalIds != null) {
    const seen = new Set<string>();
    const ids = lb.canonicalIds;
    for (let at = 0; at + th.minBlockLength <= ids.length; at += receipt.blockSize) {
      const sk = blockSketch(blockEmbedding(ids.slice(at, at + receipt.blockSize).map((id) => t.row(id)), t.dims), spec);
      const v = new DataView(sk.buffer, sk.byteOffset, sk.byteLength);
      const key = `${v.getUint32(0)}.${v.getUint32(4)}.${v.getUint32(8)}.${v.getUint32(12)}`;
      if (seen.has(key)) canonicalRepeats.add(key);
      seen.add(key);
    }
  }
  const sharing = new Map<string, number>();
  let exactDup = 0;
  for (let b = 0; b < blocks; b++) {
    if (!longBlock(b)) continue;
    const key = sketchKey(b);
    if (canonicalRepeats.has(key)) continue;
    const had = sharing.get(key) ?? 0;
    if (had > 0) { exactDup++; flaggedBlocks.add(b); }
    sharing.set(key, had + 1);
  }
  for (const [b, f] of byBlock) {
    if (!longBlock(b)) continue;
    // Exact duplicates (the default, 0 bits) are a lookup; a looser threshold compares against every long block.
    if (th.duplicateMaxHamming === 0 ? (sharing.get(sketchKey(b)) ?? 0) > 1 : anyWithin(b)) flag('duplicate-block', f.index, b);
  }
  function anyWithin(b: number): boolean {
    for (let other = 0; other < blocks; other++) {
      if (other !== b && longBlock(other) && hamming(records, b * BLOCK_RECORD_BYTES, records, other * BLOCK_RECORD_BYTES, 16) <= th.duplicateMaxHamming) return true;
    }
    return false;
  }
  if (exactDup > 0) (flagged['duplicate-block'] ??= []).push(-exactDup);

  const semanticNames = ['filler', 'token-block-consistency', 'block-relevance', 'duplicate-block',
    ...(head !== undefined ? ['token-vocabulary', 'bag-residual', 'bag-repetition', 'foreign-numbers', 'near-duplicate-bag'] : []),
    ...(traceDetail !== null ? ['trace-grammar'] : [])];
  for (const name of semanticNames) {
    const hits = flagged[name] ?? [];
    const detail = name === 'duplicate-block' && exactDup > 0
      ? `${exactDup} blocks are exact copies of another block; ${hits.filter((x) => x >= 0).length} opened leaves sit in near-duplicate blocks`
      : name === 'trace-grammar' ? traceDetail!
      : hits.length === 0 ? 'no opened leaf flagged' : `opened leaves flagged: ${hits.slice(0, 8).join(', ')}`;
    checks.push({ name, passed: hits.length === 0 || flaggedBlocks.size <= sec.tolerance, detail });
  }
  const meanRel = relevance.length === 0 ? 0 : relevance.reduce((a, b) => a + b, 0) / relevance.length;
  checks.push({ name: 'semantic-summary', passed: flaggedBlocks.size <= sec.tolerance, detail: `${flaggedBlocks.size} flagged blocks (tolerance ${sec.tolerance}); mean block relevance ${meanRel.toFixed(3)}` });
  return verdict(challenge.indices.length, receipt.counts, receipt.treeSize);
}


const trustWords: Record<TrustedKey['trust'], string> = {
  own: "this install's own key",
  pinned: 'a key you pinned',
  'first-use': 'trusted on first use of this remote issuer (remembered from now on)',
  'known-remote': 'the key remembered for this remote issuer',
};

function signerOf(publicKey: string, o: AuditOptions): SignerInfo {
  const key = publicKey.toLowerCase();
  const fingerprint = keyFingerprint(key);
  const all: TrustedKey[] = [...(o.trustedKeys ?? [])];
  if (o.trustedPublicKey !== undefined) all.push({ publicKey: o.trustedPublicKey, trust: 'pinned' });
  const hit = all.find((k) => k.publicKey.toLowerCase() === key);
  return hit === undefined
    ? { publicKey: key, fingerprint, trust: 'untrusted' }
    : { publicKey: key, fingerprint, trust: hit.trust, ...(hit.label !== undefined ? { label: hit.label } : {}) };
}

function issuerCheck(o: AuditOptions): AuditCheck {
  const i = o.issuer;
  const mine = o.receipt as Partial<Receipt> | null;
  const id = o.binding?.messageId ?? mine?.turnId ?? '?';
  if (i === null || i === undefined) return { name: 'issuer', passed: false, detail: `the issuer has no receipt for message ${id}` };
  const theirs = i.receipt as Partial<Receipt> | null;
  const same = theirs?.signature === mine?.signature && theirs?.root === mine?.root && theirs?.publicKey === mine?.publicKey &&
    (o.binding === undefined || (i.question === o.binding.question && i.answer === o.binding.answer));
  return same
    ? { name: 'issuer', passed: true, detail: `${i.origin} serves this same receipt, question and answer for message ${id}` }
    : { name: 'issuer', passed: false, detail: `${i.origin} signed another receipt, question or answer for message ${id} than this export holds` };
}

/**
 * Where an export's message id, conversation, question and answer differ from what a v2 receipt signs (empty = none;
 * a v1 receipt signs none of them). Shared by the sampling audit's binding check and the replay audit.
 */
export function bindingProblems(r: Receipt, b: NonNullable<AuditOptions['binding']>): string[] {
  if (r.version === 1) return [];
  const bad: string[] = [];
  if (b.messageId !== r.messageId) bad.push(`the export is for message ${b.messageId}, the receipt signs ${r.messageId ?? '?'}`);
  if (b.conversationId !== undefined && b.conversationId !== r.conversationId) bad.push(`the export is for conversation ${b.conversationId}, the receipt signs ${r.conversationId ?? '?'}`);
  if (textSha256(b.question) !== r.questionSha256) bad.push('the question is not the one the receipt signs');
  if (textSha256(b.answer) !== r.answerSha256) bad.push('the answer is not the one the receipt signs');
  bad.push(...contextProblems(r, b.context));
  return bad;
}

/**
 * Where a context differs from the one a receipt signs (empty = none). A receipt that binds no context (issued
 * before context binding) and an export that carries none have nothing to compare; replay asks for one separately.
 */
export function contextProblems(r: Receipt, context: unknown): string[] {
  if (r.version === 1 || r.systemPromptSha256 === undefined || context === undefined) return [];
  if (!isReceiptContext(context)) return ['the export\'s context is not {systemPrompt, history: [{role, text}]}'];
  const h = contextHashes(context);
  const bad: string[] = [];
  if (h.systemPromptSha256 !== r.systemPromptSha256) bad.push('the system prompt is not the one the receipt signs');
  if (h.historySha256 !== r.historySha256) bad.push(`the ${context.history.length} earlier turns are not the ones the receipt signs`);
  return bad;
}

/** v2: the signed ids and text hashes are the export's; v1 binds none of it (passes, marked weaker). */
function bindingCheck(r: Receipt, o: AuditOptions): AuditCheck {
  if (r.version === 1) {
    return { name: 'binding', passed: true, detail: 'v1: question/answer not bound (a version 1 receipt signs the commitment only; weaker)' };
  }
  const b = o.binding;
  if (b === undefined) return { name: 'binding', passed: true, detail: 'v2 receipt; no question and answer given to compare' };
  const bad = bindingProblems(r, b);
  return bad.length === 0
    ? { name: 'binding', passed: true, detail: `question, answer, message and conversation${b.context !== undefined && r.systemPromptSha256 !== undefined ? ', system prompt and earlier turns' : ''} are the ones the receipt signs` }
    : { name: 'binding', passed: false, detail: bad.join('; ') };
}

/**
 * Opens a few whole thinking blocks (a second challenge: block starts follow from the signed block records), decodes
 * their ids and re-encodes the text: committed ids that take more tokens than the canonical tokenisation of their
 * own text were re-tokenised to inflate the count. Two tokens of slack per block: a block cut mid-word may
 * re-encode its edges differently.
 */
async function canonicalTokensCheck(o: AuditOptions, receipt: Receipt, first: AuditChallenge, records: Uint8Array, minLength: number): Promise<AuditCheck> {
  const name = 'canonical-tokens';
  const starts: { start: number; length: number }[] = [];
  let at = 0;
  for (let b = 0; b < receipt.blockCount; b++) {
    const rec = decodeBlockRecord(records, b);
    if (rec === null) return { name, passed: false, detail: `block record ${b} is malformed` };
    if (rec.kind === 'thinking' && rec.length >= minLength) starts.push({ start: at, length: rec.length });
    at += rec.length;
  }
  if (at !== receipt.treeSize) return { name, passed: false, detail: `block records cover ${at} tokens, the receipt commits ${receipt.treeSize}` };
  if (starts.length === 0) return { name, passed: true, detail: 'no thinking block long enough to re-tokenise' };
  const rnd = o.randomInt ?? cryptoRandomInt;
  const want = Math.min(o.wholeBlocks ?? 4, starts.length);
  const picked = new Set<number>();
  while (picked.size < want) picked.add(rnd(starts.length));
  const blocks = [...picked].sort((a, b) => a - b).map((k) => starts[k]!);
  const indices = blocks.flatMap((b) => Array.from({ length: b.length }, (_, i) => b.start + i));
  const second: AuditChallenge = { ...first, indices, nonce: makeChallenge(receipt, 0, rnd).nonce };
  let response: AuditResponse;
  try {
    response = await o.respond(second);
  } catch (e) {
    return { name, passed: false, detail: `provider did not open whole blocks: ${e instanceof Error ? e.message : String(e)}` };
  }
  const vr = verifyResponse(receipt, second, response);
  if (!vr.ok) return { name, passed: false, detail: `whole-block openings do not verify: ${vr.checks.filter((c) => !c.passed).map((c) => c.detail).join('; ')}` };
  const ids = new Map(vr.opened.map((x) => [x.index, x.fingerprint.tokenId]));
  const bad: string[] = [];
  for (const b of blocks) {
    const run = Array.from({ length: b.length }, (_, i) => ids.get(b.start + i)!);
    const canonical = await o.tokenizer!.canonical(run);
    if (canonical.length < run.length - 2) bad.push(`tokens ${b.start}..${b.start + b.length - 1}: ${run.length} ids for text whose canonical tokenisation is ${canonical.length}`);
  }
  return bad.length === 0
    ? { name, passed: true, detail: `${blocks.length} whole thinking blocks are the canonical tokenisation of their text (within 2 tokens)` }
    : { name, passed: false, detail: `re-tokenised: ${bad.slice(0, 3).join('; ')}` };
}

/**
 * First leaves of the segments the block records show (a kind change, or a block after a partial one): their
 * windows see how each segment opens. Blocks never cross a segment, so this finds every start but that of a segment
 * following a full block of its own kind.
 */
function segmentStarts(receipt: Receipt, records: Uint8Array): number[] {
  const out: number[] = [];
  let at = 0, prevKind: string | null = null, prevFull = true;
  for (let b = 0; b < receipt.blockCount; b++) {
    const rec = decodeBlockRecord(records, b);
    if (rec === null) break;
    if (rec.kind !== prevKind || !prevFull) out.push(at);
    prevKind = rec.kind; prevFull = rec.length === receipt.blockSize;
    at += rec.length;
  }
  return out.filter((i) => i < receipt.treeSize);
}

/** Most indices one challenge may name (docs/audit-protocol.md): larger openings go in several challenges. */
const MAX_CHALLENGE = 4096;

/**
 * Opens a window of consecutive leaves around every sampled thinking or draft leaf (and the tree's first and last
 * leaf), decodes each window, cut at segment changes, with the head's pieces, and runs the trace grammar over it.
 * Drafts are sampled, so only the rules that name the question hold for them. A violation flags the window's
 * centre block; a response that does not verify is an error (the check fails).
 */
async function traceCheck(o: AuditOptions, receipt: Receipt, first: AuditChallenge, sampled: readonly number[], trace: NonNullable<AuditHead['trace']>, qa: { question: string; answer: string }): Promise<{ error: string | null; flagged: { index: number; block: number }[]; detail: string }> {
  const r = o.traceWindow ?? 32;
  const n = receipt.treeSize;
  const centres = [...new Set([...sampled, 0, n - 1])].sort((a, b) => a - b);
  const want = new Set<number>();
  // One leaf more each side than the window: it tells whether the window starts or ends its segment.
  for (const c of centres) for (let i = Math.max(0, c - r - 1); i <= Math.min(n - 1, c + r + 1); i++) want.add(i);
  const all = [...want].sort((a, b) => a - b);
  const leaves = new Map<number, { tokenId: number; segment: number; kind: string; blockIndex: number }>();
  for (let at = 0; at < all.length; at += MAX_CHALLENGE) {
    const ch: AuditChallenge = { ...first, indices: all.slice(at, at + MAX_CHALLENGE), nonce: makeChallenge(receipt, 0, o.randomInt).nonce };
    let response: AuditResponse;
    try {
      response = await o.respond(ch);
    } catch (e) {
      return { error: `provider did not open the trace windows: ${e instanceof Error ? e.message : String(e)}`, flagged: [], detail: '' };
    }
    const vr = verifyResponse(receipt, ch, response);
    if (!vr.ok) return { error: `trace-window openings do not verify: ${vr.checks.filter((c) => !c.passed).map((c) => c.detail).join('; ')}`, flagged: [], detail: '' };
    for (const x of vr.opened) leaves.set(x.index, x.fingerprint);
  }
  const rules = new Set<TraceRule>(trace.rules);
  const draftRules = new Set<TraceRule>(['question-line', 'segment-start', 'segment-end'].filter((x) => rules.has(x as TraceRule)) as TraceRule[]);
  const flagged: { index: number; block: number }[] = [];
  const broken: Record<string, number> = {};
  let windows = 0;
  const result = canonicalResult(qa.question);
  for (const c of centres) {
    const mid = leaves.get(c)!;
    if (mid.kind !== 'thinking' && mid.kind !== 'draft') continue;
    let a = c, b = c;
    while (a > c - r && a > 0 && leaves.get(a - 1)?.segment === mid.segment) a--;
    while (b < c + r && b < n - 1 && leaves.get(b + 1)?.segment === mid.segment) b++;
    const atStart = a === 0 || leaves.get(a - 1)?.segment !== mid.segment;
    const atEnd = b === n - 1 || leaves.get(b + 1)?.segment !== mid.segment;
    let text = '';
    for (let i = a; i <= b; i++) text += trace.pieces[String(leaves.get(i)!.tokenId)] ?? '\uFFFD';
    windows++;
    const use = mid.kind === 'draft' ? draftRules : rules;
    // A draft is sampled and may lose the vote: only how it opens, that it closes, and the question it names are judged.
    const v = traceViolations({ text, atStart, atEnd, question: qa.question, answer: qa.answer, ...(result !== null ? { result } : {}), draft: mid.kind === 'draft' }).filter((x) => use.has(x.rule));
    if (v.length > 0) {
      flagged.push({ index: c, block: mid.blockIndex });
      for (const x of v) broken[x.rule] = (broken[x.rule] ?? 0) + 1;
    }
  }
  const summary = Object.entries(broken).map(([k, x]) => `${k} ${x}`).join(', ');
  return {
    error: null, flagged,
    detail: flagged.length === 0
      ? `${windows} windows of up to ${2 * r + 1} consecutive tokens read as this question's ${trace.format} trace (${all.length} leaves opened)`
      : `${flagged.length} of ${windows} windows break the ${trace.format} trace of this question: ${summary}`,
  };
}

/** What an audit of a remote turn's receipt cannot vouch for (its 'remote' check and verdict). */
function remoteCaveat(r: ReceiptRemote): string {
  return `a remote ${r.kind} running ${r.model}${r.build !== null ? ` (build ${r.build})` : ''} generated these tokens: the receipt commits to their ids, kinds and counts, ` +
    'but its leaves carry no embeddings, so the token-embedding and semantic checks did not run, and nothing here proves which weights the server used';
}

/** The verdict in one sentence (docs/receipts.md, "What a verdict proves"). */
function verdictMeaning(checks: readonly AuditCheck[], version: 1 | 2 | null, signer: SignerInfo | null, sample: number, inflation: number, probability: number): string {
  const failed = checks.filter((c) => !c.passed);
  const who = signer === null ? 'an unreadable key' : `key ${signer.fingerprint} (${signer.trust === 'untrusted' ? 'untrusted' : trustWords[signer.trust]})`;
  if (failed.length > 0) return `FAILED (${failed.map((c) => c.name).join(', ')}): this receipt, signed by ${who}, is not evidence of the hidden tokens it claims.`;
  const weaker = version === 1 ? ' (a v1 receipt: the question and answer are not bound)' : '';
  if (sample === 0) return `Signed by ${who}${weaker}: the receipt commits to no hidden tokens.`;
  const remote = checks.find((c) => c.name === 'remote');
  if (remote !== undefined) {
    return `Signed by ${who}${weaker}, the committed hidden token ids and counts are consistent with ${sample} opened leaves (an inflation of ${Math.round(inflation * 100)} % or more would have been caught with probability ${(100 * probability).toFixed(1)} %); it cannot vouch for more: ${remote.detail}.`;
  }
  return `Signed by ${who}${weaker}, the committed hidden tokens are consistent with ${sample} opened leaves, so an inflation of ${Math.round(inflation * 100)} % or more would have been caught with probability ${(100 * probability).toFixed(1)} %; the evidence still comes from the issuer, so this cannot prove the tokens were really generated.`;
}
