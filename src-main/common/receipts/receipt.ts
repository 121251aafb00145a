/** Receipts: Ed25519-signed commitments to a turn's hidden tokens, and their verification. */
import { OverheadKinds } from '../ledger';
import { bytesEqual, fromBase64, fromHex, isHex, toBase64, toHex, utf8 } from './bytes';
import { canonicalJson } from './canonicalJson';
import type { EmbeddingSpec, EmbeddingTable, FingerprintSet, HiddenCounts, HiddenSegment } from './fingerprint';
import { HiddenKinds, fingerprintSegments, leafBytes } from './fingerprint';
import { MerkleTree } from './merkle';
import { sha256 } from './sha256';
import { ed25519PublicKeyProblem, ed25519SignatureProblem } from './ed25519';
import type { AuditChallenge, AuditResponse, Receipt, ReceiptBody, ReceiptContext, ReceiptPlan, ReceiptRemote } from './types';
import { RECEIPT_SIGNING_CONTEXT, RECEIPT_SIGNING_CONTEXT_V2, RECEIPT_VERSION } from './types';

const ED25519 = { name: 'Ed25519' } as const;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (s === undefined) throw new Error('WebCrypto (crypto.subtle) is not available');
  return s;
}

/** Buffer-backed copy, as WebCrypto's BufferSource typing wants. */
function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  const c = new Uint8Array(b.length);
  c.set(b);
  return c;
}

export function receiptBody(r: Receipt | ReceiptBody): ReceiptBody {
  const { signature: _s, ...body } = r as Receipt;
  return body;
}

/** The exact bytes the signature covers (the context string names the format version). */
export function receiptSigningBytes(body: ReceiptBody): Uint8Array {
  return utf8((body.version === 1 ? RECEIPT_SIGNING_CONTEXT : RECEIPT_SIGNING_CONTEXT_V2) + canonicalJson(receiptBody(body)));
}

/** sha256 (hex) of a text's UTF-8 bytes: how v2 receipts bind the question and the answer. */
export function textSha256(text: string): string {
  return toHex(sha256(utf8(text)));
}

/** The hashes a v2 receipt signs for its context: the system prompt's text, and the canonical JSON of the history. */
export function contextHashes(c: ReceiptContext): { systemPromptSha256: string; historySha256: string } {
  return {
    systemPromptSha256: textSha256(c.systemPrompt),
    historySha256: toHex(sha256(utf8(canonicalJson(c.history.map((h) => ({ role: h.role, text: h.text })))))),
  };
}

/** Whether `c` has the shape of a ReceiptContext (an export is untrusted input). */
export function isReceiptContext(c: unknown): c is ReceiptContext {
  const x = c as Partial<ReceiptContext> | null;
  return typeof x === 'object' && x !== null && typeof x.systemPrompt === 'string' && Array.isArray(x.history) &&
    x.history.every((h) => typeof h === 'object' && h !== null && ['system', 'user', 'assistant'].includes(h.role) && typeof h.text === 'string');
}

/** A key's short form: the first 16 hex digits of sha256(raw key), in groups of 4 ("1a2b-3c4d-5e6f-7a8b"). */
export function keyFingerprint(publicKeyHex: string): string {
  let raw: Uint8Array;
  try { raw = fromHex(publicKeyHex.toLowerCase()); } catch { raw = utf8(publicKeyHex); }
  return toHex(sha256(raw)).slice(0, 16).match(/.{4}/g)!.join('-');
}

export async function generateReceiptKeyPair(): Promise<CryptoKeyPair> {
  return (await subtle().generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function exportPublicKeyHex(key: CryptoKey): Promise<string> {
  return toHex(new Uint8Array(await subtle().exportKey('raw', key)));
}

export async function signReceipt(body: ReceiptBody, privateKey: CryptoKey): Promise<Receipt> {
  const sig = await subtle().sign(ED25519, privateKey, buf(receiptSigningBytes(body)));
  return { ...receiptBody(body), signature: toHex(new Uint8Array(sig)) };
}

/** Structural problems with a receipt, or [] when it has the right shape. */
export function receiptShapeProblems(r: unknown): string[] {
  const p: string[] = [];
  if (typeof r !== 'object' || r === null) return ['not an object'];
  const x = r as Record<string, unknown>;
  const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
  if (x.version !== 1 && x.version !== RECEIPT_VERSION) p.push(`version must be 1 or ${RECEIPT_VERSION}`);
  if (typeof x.turnId !== 'string' || x.turnId.length === 0) p.push('turnId must be a non-empty string');
  if (x.version === 2) {
    if (typeof x.messageId !== 'string' || x.messageId.length === 0) p.push('messageId must be a non-empty string');
    if (typeof x.conversationId !== 'string' || x.conversationId.length === 0) p.push('conversationId must be a non-empty string');
    if (x.chatTurnId !== null && typeof x.chatTurnId !== 'string') p.push('chatTurnId must be a string or null');
    if (!isHex(x.questionSha256, 32)) p.push('questionSha256 must be 64 lower-case hex');
    if (!isHex(x.answerSha256, 32)) p.push('answerSha256 must be 64 lower-case hex');
    if (x.tokenizerSha256 !== null && !isHex(x.tokenizerSha256, 32)) p.push('tokenizerSha256 must be 64 lower-case hex or null');
    if (x.plan !== null && !isPlan(x.plan)) p.push('plan must be null or {strategy, requested, effort, seed, thinkingBudget, trialTokens, sampling, rounds, drafts}');
    if ('remote' in x && !isRemote(x.remote)) p.push('remote must be {kind, model, build, vocabSize, params, size}');
    // Context binding is additive: both hashes or neither (receipts issued before it have neither).
    if (('systemPromptSha256' in x) !== ('historySha256' in x)) p.push('systemPromptSha256 and historySha256 come together');
    if ('systemPromptSha256' in x && !isHex(x.systemPromptSha256, 32)) p.push('systemPromptSha256 must be 64 lower-case hex');
    if ('historySha256' in x && !isHex(x.historySha256, 32)) p.push('historySha256 must be 64 lower-case hex');
  } else if (['messageId', 'conversationId', 'chatTurnId', 'questionSha256', 'answerSha256', 'tokenizerSha256', 'plan', 'systemPromptSha256', 'historySha256', 'remote'].some((k) => k in x)) {
    p.push('a version 1 receipt has no version 2 fields');
  }
  if (!isHex(x.modelSha256, 32)) p.push('modelSha256 must be 64 lower-case hex');
  if (!isHex(x.root, 32)) p.push('root must be 64 lower-case hex');
  if (!isHex(x.sketchDigest, 32)) p.push('sketchDigest must be 64 lower-case hex');
  if (!isHex(x.publicKey, 32)) p.push('publicKey must be 64 lower-case hex');
  if (!isHex(x.signature, 64)) p.push('signature must be 128 lower-case hex');
  if (!isCount(x.treeSize)) p.push('treeSize must be a non-negative integer');
  if (!isCount(x.blockSize) || x.blockSize === 0) p.push('blockSize must be a positive integer');
  if (!isCount(x.blockCount)) p.push('blockCount must be a non-negative integer');
  if (typeof x.createdAt !== 'string' || Number.isNaN(Date.parse(x.createdAt))) p.push('createdAt must be an ISO date');
  const c = x.counts as Record<string, unknown> | undefined;
  if (typeof c !== 'object' || c === null || !isCount(c.thinking) || !isCount(c.hidden) ||
    typeof c.overhead !== 'object' || c.overhead === null ||
    !OverheadKinds.every((k) => isCount((c.overhead as Record<string, unknown>)[k]))) {
    p.push('counts must be {thinking, overhead: {probe, trial, draft, distill}, hidden} of non-negative integers');
  }
  const s = x.embeddingSpec as Record<string, unknown> | undefined;
  // Header-only leaves (dims 0) exactly when a remote engine ran the turn: it has no embedding table to read.
  if (typeof s !== 'object' || s === null || s.scheme !== 'reckon-fp-1' || !isCount(s.dims) || (s.dims === 0) !== ('remote' in x) ||
    !isCount(s.vocabSize) || !isCount(s.blockSize) || typeof s.tensor !== 'string' || !isHex(s.modelSha256, 32) ||
    (s.quantisation as { kind?: unknown; scale?: unknown } | undefined)?.kind !== 'int8-l2' ||
    (s.quantisation as { scale?: unknown }).scale !== 127 ||
    (s.sketch as { kind?: unknown } | undefined)?.kind !== 'simhash-pm1' || (s.sketch as { bits?: unknown }).bits !== 128 ||
    typeof (s.sketch as { seed?: unknown }).seed !== 'string') {
    p.push('embeddingSpec is not a reckon-fp-1 spec');
  }
  return p;
}

function isRemote(v: unknown): v is ReceiptRemote {
  const x = v as Record<string, unknown>;
  const count = (n: unknown): boolean => n === null || (Number.isInteger(n) && (n as number) >= 0);
  return typeof x === 'object' && x !== null && typeof x.kind === 'string' && typeof x.model === 'string' &&
    (x.build === null || typeof x.build === 'string') && count(x.vocabSize) && count(x.params) && count(x.size);
}

function isPlan(v: unknown): v is ReceiptPlan {
  const x = v as Record<string, unknown>;
  const int = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 0;
  const sampling = x?.sampling as Record<string, unknown> | null | undefined;
  return typeof x === 'object' && x !== null && typeof x.strategy === 'string' && typeof x.requested === 'string' &&
    (typeof x.effort === 'string' || typeof x.effort === 'number') && (x.seed === null || Number.isInteger(x.seed)) &&
    (x.thinkingBudget === null || int(x.thinkingBudget)) && int(x.trialTokens) && int(x.drafts) &&
    (sampling === null || (typeof sampling === 'object' && int(sampling?.k) && int(sampling?.m))) &&
    (x.rounds === null || (Array.isArray(x.rounds) && x.rounds.every(int)));
}

/** Internal consistency: counts add up, treeSize = hidden count, spec agrees with the top-level fields. */
export function receiptConsistencyProblems(r: ReceiptBody): string[] {
  const p: string[] = [];
  const oh = OverheadKinds.reduce((s, k) => s + r.counts.overhead[k], 0);
  if (r.counts.hidden !== r.counts.thinking + oh) p.push(`counts.hidden ${r.counts.hidden} != thinking + overhead ${r.counts.thinking + oh}`);
  if (r.treeSize !== r.counts.hidden) p.push(`treeSize ${r.treeSize} != hidden count ${r.counts.hidden}`);
  if (r.blockSize !== r.embeddingSpec.blockSize) p.push('blockSize differs from embeddingSpec.blockSize');
  if (r.modelSha256 !== r.embeddingSpec.modelSha256) p.push('modelSha256 differs from embeddingSpec.modelSha256');
  if (r.version === 2 && r.messageId !== r.turnId) p.push(`turnId ${r.turnId} is not the messageId ${r.messageId ?? ''}`);
  if (r.version === 2 && r.counts.overhead.draft > 0 && (r.plan == null || r.plan.drafts === 0)) {
    p.push(`${r.counts.overhead.draft} draft tokens committed under a plan that ran no parallel drafts`);
  }
  if (r.blockCount > r.treeSize || (r.treeSize > 0 && r.blockCount < Math.ceil(r.treeSize / r.blockSize))) {
    p.push(`blockCount ${r.blockCount} impossible for ${r.treeSize} tokens in blocks of ${r.blockSize}`);
  }
  return p;
}

export interface ReceiptVerification {
  ok: boolean;
  /** Why not, empty when ok. */
  problems: string[];
  signatureValid: boolean;
}

/**
 * Checks shape, internal consistency (treeSize = hidden count), the key and signature encodings (strict: no
 * small-order or non-canonical key, R or S; ed25519.ts) and the Ed25519 signature. Pass `trustedPublicKey` (hex)
 * to also require a given issuer; otherwise the embedded key is used as is (who it is is the auditor's question).
 */
export async function verifyReceipt(r: unknown, opts: { trustedPublicKey?: string } = {}): Promise<ReceiptVerification> {
  const shape = receiptShapeProblems(r);
  if (shape.length > 0) return { ok: false, problems: shape, signatureValid: false };
  const receipt = r as Receipt;
  const problems = receiptConsistencyProblems(receipt);
  if (opts.trustedPublicKey !== undefined && opts.trustedPublicKey.toLowerCase() !== receipt.publicKey) problems.push('signed by an untrusted key');
  const strict = ed25519PublicKeyProblem(fromHex(receipt.publicKey)) ?? ed25519SignatureProblem(fromHex(receipt.signature));
  if (strict !== null) {
    problems.push(`${strict}: refused before verification`);
    return { ok: false, problems, signatureValid: false };
  }
  let signatureValid = false;
  try {
    const key = await subtle().importKey('raw', buf(fromHex(receipt.publicKey)), ED25519, false, ['verify']);
    signatureValid = await subtle().verify(ED25519, key, buf(fromHex(receipt.signature)), buf(receiptSigningBytes(receipt)));
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) problems.push('signature does not verify');
  return { ok: problems.length === 0, problems, signatureValid };
}

/** What the provider keeps per receipt to answer challenges later (JSON-safe; store it beside the message). */
export interface ReceiptStore {
  version: 1;
  receipt: Receipt;
  /** All leaves back to back (base64), leafBytes(dims) each. */
  leaves: string;
  /** All block sketches back to back (base64). */
  sketches: string;
}

/** What a version 2 receipt binds besides the commitment. */
export interface ReceiptBinding {
  conversationId: string;
  chatTurnId?: string | null;
  question: string;
  answer: string;
  tokenizerSha256: string | null;
  plan: ReceiptPlan | null;
  /** The system prompt and earlier turns the model saw; absent = not bound (tests of older receipts). */
  context?: ReceiptContext;
}

export interface IssueOptions {
  turnId: string;
  /** What a v2 receipt binds; absent = a version 1 receipt (kept for tests of the v1 path and old stores). */
  binding?: ReceiptBinding;
  spec: EmbeddingSpec;
  /** Hidden tokens in the order the engine produced them. */
  segments: readonly HiddenSegment[];
  table: EmbeddingTable;
  /** Defaults to now. */
  createdAt?: Date;
}

export interface IssuedReceipt {
  receipt: Receipt;
  store: ReceiptStore;
  /** Kept so the issuer's process can answer challenges without rebuilding the tree. */
  provider: ReceiptProvider;
}

/** Builds commitments and signs receipts with one install's key pair. Pure: no storage, no clock unless asked. */
export class ReceiptIssuer {
  private readonly keyPair: CryptoKeyPair;
  private publicKeyHex: string | null = null;

  constructor(keyPair: CryptoKeyPair) {
    this.keyPair = keyPair;
  }

  async publicKey(): Promise<string> {
    this.publicKeyHex ??= await exportPublicKeyHex(this.keyPair.publicKey);
    return this.publicKeyHex;
  }

  async issue(o: IssueOptions): Promise<IssuedReceipt> {
    const fp = fingerprintSegments(o.spec, o.segments, o.table);
    return this.issueFromFingerprints({ turnId: o.turnId, binding: o.binding, spec: o.spec, fingerprints: fp, createdAt: o.createdAt });
  }

  /**
   * Signs a commitment over given fingerprints. `counts` defaults to the fingerprints' own counts; passing other
   * counts exists for the attack suite (a dishonest issuer), never for production.
   */
  async issueFromFingerprints(o: { turnId: string; binding?: ReceiptBinding; spec: EmbeddingSpec; fingerprints: FingerprintSet; createdAt?: Date; counts?: HiddenCounts; treeSize?: number; remote?: ReceiptRemote }): Promise<IssuedReceipt> {
    const fp = o.fingerprints;
    const lb = leafBytes(o.spec.dims);
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < fp.leafCount; i++) leaves.push(fp.leaves.subarray(i * lb, (i + 1) * lb));
    const tree = MerkleTree.fromLeaves(leaves);
    const counts = o.counts ?? fp.counts;
    const b = o.binding;
    const body: ReceiptBody = {
      version: b === undefined ? 1 : 2,
      turnId: o.turnId,
      ...(b === undefined ? {} : {
        messageId: o.turnId, conversationId: b.conversationId, chatTurnId: b.chatTurnId ?? null,
        questionSha256: textSha256(b.question), answerSha256: textSha256(b.answer),
        tokenizerSha256: b.tokenizerSha256, plan: b.plan,
        ...(b.context === undefined ? {} : contextHashes(b.context)),
      }),
      ...(o.remote !== undefined ? { remote: o.remote } : {}),
      modelSha256: o.spec.modelSha256,
      embeddingSpec: o.spec,
      counts,
      treeSize: o.treeSize ?? tree.size,
      root: toHex(tree.root()),
      blockSize: o.spec.blockSize,
      blockCount: fp.blocks.length,
      sketchDigest: toHex(sha256(fp.sketches)),
      createdAt: (o.createdAt ?? new Date()).toISOString(),
      publicKey: await this.publicKey(),
    };
    const receipt = await signReceipt(body, this.keyPair.privateKey);
    const store: ReceiptStore = { version: 1, receipt, leaves: toBase64(fp.leaves), sketches: toBase64(fp.sketches) };
    return { receipt, store, provider: new ReceiptProvider(store, { tree, leaves, sketches: fp.sketches }) };
  }
}

/** Answers audit challenges for one stored receipt (the provider side of docs/audit-protocol.md). */
export class ReceiptProvider {
  readonly receipt: Receipt;
  private readonly tree: MerkleTree;
  private readonly leaves: Uint8Array[];
  private readonly sketches: Uint8Array;
  /** Hex of tree nodes already sent: windows of consecutive leaves send the same upper nodes again and again. */
  private readonly hexOf = new WeakMap<Uint8Array, string>();
  private sketchesBase64: string | null = null;

  constructor(store: ReceiptStore, built?: { tree: MerkleTree; leaves: Uint8Array[]; sketches: Uint8Array }) {
    this.receipt = store.receipt;
    if (built !== undefined) {
      ({ tree: this.tree, leaves: this.leaves, sketches: this.sketches } = built);
      return;
    }
    const lb = leafBytes(store.receipt.embeddingSpec.dims);
    const all = fromBase64(store.leaves);
    if (all.length % lb !== 0) throw new RangeError('stored leaves are not a whole number of leaves');
    this.leaves = [];
    for (let i = 0; i < all.length / lb; i++) this.leaves.push(all.subarray(i * lb, (i + 1) * lb));
    this.tree = MerkleTree.fromLeaves(this.leaves);
    this.sketches = fromBase64(store.sketches);
    if (!bytesEqual(this.tree.root(), fromHex(store.receipt.root))) throw new RangeError('stored leaves do not match the receipt root');
  }

  /** Openings for the challenged indices. Unknown indices get an empty leaf and proof (the auditor will fail them). */
  respond(ch: AuditChallenge): AuditResponse {
    if (ch.turnId !== this.receipt.turnId || ch.root !== this.receipt.root) {
      throw new RangeError('challenge is for another receipt');
    }
    return {
      version: 1,
      turnId: this.receipt.turnId,
      root: this.receipt.root,
      treeSize: this.receipt.treeSize,
      nonce: ch.nonce,
      openings: ch.indices.map((index) =>
        index < this.tree.size
          ? { index, leaf: toBase64(this.leaves[index]!), proof: this.tree.proof(index).map((h) => this.hex(h)) }
          : { index, leaf: '', proof: [] }),
      sketches: (this.sketchesBase64 ??= toBase64(this.sketches)),
    };
  }

  private hex(h: Uint8Array): string {
    let s = this.hexOf.get(h);
    if (s === undefined) { s = toHex(h); this.hexOf.set(h, s); }
    return s;
  }
}

export { HiddenKinds };
