/**
 * Hidden-token receipts on the host (docs/receipts.md): issues a signed receipt for every finished assistant message
 * from the fingerprint leaves the engine computes for its hidden tokens, keeps the provider store in <userData>/receipts/<messageId>.json,
 * answers audit challenges and runs audits (local store, an exported receipt, or a remote Reckon over HTTP).
 */
import type { GenerateResult, TurnFingerprints } from '../../common/engineProtocol';
import { ReckonError } from '../../common/errors';
import { overheadTotal } from '../../common/ledger';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AuditReport, AuditSummary, ReceiptAuditParams, ReceiptExport, TrustedKeyInfo } from '../../common/receiptApi';
import {
  BLOCK_RECORD_BYTES, ReceiptIssuer, ReceiptProvider, auditReceipt, decodeLeaf, ed25519PublicKeyProblem, fromBase64, fromHex,
  headCovers, isAuditHead, keyFingerprint, leafBytes,
  type AuditChallenge, type AuditHead, type AuditResponse, type EmbeddingTable, type FingerprintSet, type Receipt, type ReceiptPlan,
  type ReceiptContext, type ReceiptStore, type TrustedKey,
} from '../../common/receipts';
import type { Conversation, Message, ModelInfo } from '../../common/types';
import { loadOrCreateReceiptKey, normalisePublicKey, trustedKeysDoc, type ReceiptKey, type TrustedKeysFile } from '../store/receiptKey';
import { stored } from '../store/shapes';
import type { JsonDoc, Store } from '../store/Store';
import type { EngineSupervisor } from '../supervisor/EngineSupervisor';
import type { ConversationsService } from './ConversationsService';
import type { ModelsService } from './ModelsService';

/** An embedding table filled on demand from the engine (rows arrive before they are read). */
class RowTable implements EmbeddingTable {
  readonly rows = new Map<number, Float32Array>();
  constructor(readonly dims: number, readonly vocabSize: number) {}
  row(id: number): Float32Array {
    const r = this.rows.get(id);
    if (r === undefined) throw new RangeError(`token id ${id} outside the vocabulary or not fetched`);
    return r;
  }
}

interface StoredReceipt extends ReceiptExport {
  store: ReceiptStore;
}

/** A finished turn whose receipt ReceiptService.issue builds. */
export interface IssueReceiptInput {
  conversation: Conversation;
  /** The assistant message (its id names the receipt). */
  message: Message;
  model: ModelInfo;
  question: string;
  /** The engine's result: hidden tokens, ledger and fingerprint leaves. */
  result: GenerateResult;
  /** The chat turn's id and seed, bound into the receipt when known. */
  turnId?: string;
  seed?: number;
  /** The system prompt and earlier turns the engine was given: signed (hashes) and kept in the export for replay. */
  context?: ReceiptContext;
}

/** The plan a receipt binds, from the engine's result; null for a turn without a controller plan. */
export function receiptPlanOf(r: GenerateResult, seed: number | undefined): ReceiptPlan | null {
  const p = r.plan;
  if (p === undefined) return null;
  return {
    strategy: p.strategy, requested: p.requested, effort: p.effort, seed: seed ?? null, thinkingBudget: p.thinkingBudget,
    trialTokens: p.trialTokens, sampling: p.sampling, rounds: p.rounds, drafts: r.drafts?.length ?? 0,
  };
}

/**
 * Where a model's learned audit head lives: `<model dir>/audit/<name>.audit-head.json` beside `<model dir>/<name>.gguf`
 * (the bundled model's is models/audit/reckon-arith.audit-head.json). Used only for the file whose sha256 it names.
 */
export function auditHeadPath(modelPath: string): string {
  return join(dirname(modelPath), 'audit', `${basename(modelPath).replace(/\.gguf$/i, '')}.audit-head.json`);
}

/** The head for this model, when one exists, parses and names this sha256; otherwise undefined (audits without one). */
export async function loadAuditHead(model: Pick<ModelInfo, 'path' | 'sha256'>): Promise<AuditHead | undefined> {
  try {
    const h = JSON.parse(await readFile(auditHeadPath(model.path), 'utf8')) as unknown;
    return isAuditHead(h) && h.modelSha256.toLowerCase() === model.sha256.toLowerCase() ? h : undefined;
  } catch {
    return undefined;
  }
}

/** A message's receipt fields after issuing: the receipt, or why there is none. */
export type IssuedReceiptFields = { receipt: Receipt; receiptError?: never } | { receiptError: string; receipt?: never };

/**
 * The engine's wire fingerprints as a FingerprintSet, checked: the spec names this model, one leaf per hidden
 * token, whole block records; block embeddings are read back from each block's first leaf.
 */
function fingerprintSetOf(f: TurnFingerprints, modelSha256: string, hiddenCount: number): FingerprintSet {
  const spec = f.spec;
  if (spec?.scheme !== 'reckon-fp-1' || spec.modelSha256 !== modelSha256) throw new RangeError('the engine fingerprinted under another model or scheme');
  const leaves = fromBase64(f.leaves);
  const sketches = fromBase64(f.sketches);
  const lb = leafBytes(spec.dims);
  if (leaves.length !== hiddenCount * lb || f.counts?.hidden !== hiddenCount) throw new RangeError(`the engine sent ${leaves.length} leaf bytes for ${hiddenCount} hidden tokens of ${lb} bytes each`);
  if (sketches.length !== f.blockCount * BLOCK_RECORD_BYTES) throw new RangeError('the engine\'s block records do not match its block count');
  const blocks: Int8Array[] = new Array(f.blockCount);
  for (let i = 0; i < hiddenCount; i++) {
    const leaf = decodeLeaf(leaves.subarray(i * lb, (i + 1) * lb), spec.dims);
    if (leaf === null || leaf.index !== i || leaf.blockIndex >= f.blockCount) throw new RangeError(`the engine sent a malformed leaf ${i}`);
    if (leaf.offsetInBlock === 0) blocks[leaf.blockIndex] = leaf.blockEmbedding;
  }
  if (blocks.some((b) => b === undefined) || blocks.length !== f.blockCount) throw new RangeError('the engine\'s leaves do not cover its blocks');
  return { dims: spec.dims, leaves, leafCount: hiddenCount, blocks, sketches, counts: f.counts };
}

export class ReceiptService {
  #key: Promise<ReceiptKey> | null = null;

  constructor(
    private readonly engine: EngineSupervisor,
    private readonly conversations: ConversationsService,
    private readonly models: ModelsService,
    private readonly store: Store,
  ) {}

  #keyPair(): Promise<ReceiptKey> {
    this.#key ??= loadOrCreateReceiptKey(this.store);
    this.#key.catch(() => { this.#key = null; });
    return this.#key;
  }

  async publicKey(): Promise<string | undefined> {
    return (await this.#keyPair().catch(() => null))?.publicKeyHex;
  }

  async #trusted(): Promise<TrustedKeysFile> {
    return (await trustedKeysDoc(this.store).read()) ?? { version: 1, keys: [] };
  }

  /** This install's key first, then pinned and remembered remote keys. */
  async trustedKeys(): Promise<TrustedKeyInfo[]> {
    const own = await this.publicKey();
    const out: TrustedKeyInfo[] = own === undefined ? [] : [{ publicKey: own, fingerprint: keyFingerprint(own), source: 'own' }];
    for (const k of (await this.#trusted()).keys) {
      if (k.publicKey === own) continue;
      out.push({ publicKey: k.publicKey, fingerprint: keyFingerprint(k.publicKey), source: k.source, addedAt: k.addedAt, ...(k.label !== undefined ? { label: k.label } : {}) });
    }
    return out;
  }

  /** Pins a key (a valid, strict Ed25519 public key: never a small-order or non-canonical one). */
  async trustKey(p: { publicKey: string; label?: string }): Promise<TrustedKeyInfo> {
    const key = this.#checkedKey(p.publicKey);
    const file = await this.#trusted();
    const keys = file.keys.filter((k) => k.publicKey !== key);
    const entry = { publicKey: key, source: 'pinned' as const, addedAt: new Date().toISOString(), ...(p.label !== undefined ? { label: p.label } : {}) };
    await trustedKeysDoc(this.store).write({ version: 1, keys: [...keys, entry] });
    return { ...entry, fingerprint: keyFingerprint(key) };
  }

  async untrustKey(p: { publicKey: string }): Promise<{ removed: boolean }> {
    const key = this.#checkedKey(p.publicKey, false);
    if (key === (await this.publicKey())) throw new ReckonError('BAD_REQUEST', 'This install\'s own receipt key is always trusted; it cannot be untrusted.');
    const file = await this.#trusted();
    const keys = file.keys.filter((k) => k.publicKey !== key);
    if (keys.length === file.keys.length) return { removed: false };
    await trustedKeysDoc(this.store).write({ version: 1, keys });
    return { removed: true };
  }

  #checkedKey(text: string, strict = true): string {
    const key = normalisePublicKey(text);
    if (key === null) throw new ReckonError('BAD_REQUEST', 'Not an Ed25519 public key: give its 64 hex digits.');
    const why = strict ? ed25519PublicKeyProblem(fromHex(key)) : null;
    if (why !== null) throw new ReckonError('BAD_REQUEST', `Refused to trust this key: ${why}.`);
    return key;
  }

  /**
   * The keys an audit trusts: own, pinned, the audit's own --trust keys, and for a remote issuer the key remembered
   * for its origin. A remote seen for the first time is trusted on first use with the key of the receipt it serves
   * (remembered only when the audit passes).
   */
  async #trustFor(p: ReceiptAuditParams, origin: string | null, remoteKey: string | null): Promise<{ keys: TrustedKey[]; firstUse: string | null }> {
    const own = await this.publicKey();
    const file = await this.#trusted();
    const keys: TrustedKey[] = [];
    if (own !== undefined) keys.push({ publicKey: own, trust: 'own' });
    for (const k of file.keys) if (k.source === 'pinned') keys.push({ publicKey: k.publicKey, trust: 'pinned', ...(k.label !== undefined ? { label: k.label } : {}) });
    for (const t of [...(p.trust ?? []), ...(p.publicKey !== undefined ? [p.publicKey] : [])]) {
      const key = normalisePublicKey(t);
      if (key === null) throw new ReckonError('BAD_REQUEST', `--trust: ${t.slice(0, 80)} is not an Ed25519 public key (64 hex digits).`);
      keys.push({ publicKey: key, trust: 'pinned', label: 'this audit' });
    }
    let firstUse: string | null = null;
    if (origin !== null) {
      const known = file.keys.filter((k) => k.source === 'remote' && k.label === origin);
      for (const k of known) keys.push({ publicKey: k.publicKey, trust: 'known-remote', label: origin });
      if (known.length === 0 && remoteKey !== null && !keys.some((k) => k.publicKey === remoteKey)) {
        keys.push({ publicKey: remoteKey, trust: 'first-use', label: origin });
        firstUse = remoteKey;
      }
    }
    return { keys, firstUse };
  }

  async #remember(origin: string, key: string): Promise<void> {
    const file = await this.#trusted();
    if (file.keys.some((k) => k.source === 'remote' && k.label === origin)) return;
    await trustedKeysDoc(this.store).write({ version: 1, keys: [...file.keys, { publicKey: key, source: 'remote', label: origin, addedAt: new Date().toISOString() }] });
  }

  /** receipts/<messageId>.json, through the store (atomic writes; a corrupt file is set aside with a notice). */
  #file(messageId: string): JsonDoc<StoredReceipt> {
    if (!/^[A-Za-z0-9-]{1,100}$/.test(messageId)) throw new ReckonError('BAD_REQUEST', 'Bad message id.');
    return this.store.json(`receipts/${messageId}.json`, {
      // The stored shape; what the values mean (signature, root, counts) is verified by the audit itself.
      parse: stored('receipt'),
      describe: (file, aside) => `Receipt file ${file} was unreadable and was set aside (as ${aside}); that answer can no longer be audited here. Other receipts are unaffected.`,
    });
  }

  /** Rows (and optionally tokenised texts and the centre) of a model's embedding table, into `table`. */
  async #fetch(model: ModelInfo, ids: Iterable<number>, o: { table?: RowTable; texts?: string[]; centre?: boolean } = {}): Promise<{ table: RowTable; tokens: number[][]; centre?: number[]; tokenizerSha256?: string }> {
    const want = [...new Set(ids)].filter((id) => o.table === undefined || !o.table.rows.has(id));
    const r = await this.engine.call('embeddingRows', { modelPath: model.path, ids: want, texts: o.texts, centre: o.centre });
    const table = o.table ?? new RowTable(r.dims, r.vocabSize);
    const bytes = fromBase64(r.rows);
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    want.forEach((id, k) => table.rows.set(id, all.slice(k * r.dims, (k + 1) * r.dims)));
    return { table, tokens: r.tokens ?? [], centre: r.centre, ...(r.tokenizerSha256 !== undefined ? { tokenizerSha256: r.tokenizerSha256 } : {}) };
  }

  /**
   * Issues the receipt of a finished turn from the leaves the engine computed (GenerateResult.fingerprints): builds
   * the Merkle tree, signs (the key never leaves the host) and stores the provider store. Answers the message's
   * receipt fields: the receipt, or why there is none. Never throws: a turn's answer never fails because of its receipt.
   */
  async issue(o: IssueReceiptInput): Promise<IssuedReceiptFields> {
    const { conversation, message, model, question, result: r } = o;
    try {
      const hidden = r.hidden;
      const expected = r.ledger.thinking + overheadTotal(r.ledger);
      const got = (hidden ?? []).reduce((n, s) => n + s.tokens.length, 0);
      if (hidden === undefined) return { receiptError: 'The engine did not report the hidden tokens of this turn.' };
      if (got !== expected) return { receiptError: `The engine reported ${got} hidden tokens for a ledger of ${expected}; no receipt was issued.` };
      if (r.fingerprints === undefined) return { receiptError: `No receipt: ${r.fingerprintError ?? 'the engine did not fingerprint the hidden tokens of this turn.'}` };
      const fingerprints = fingerprintSetOf(r.fingerprints, model.sha256, got);
      const { keyPair } = await this.#keyPair();
      const issued = await new ReceiptIssuer(keyPair).issueFromFingerprints({
        turnId: message.id, spec: r.fingerprints.spec, fingerprints, ...(r.remote !== undefined ? { remote: r.remote } : {}),
        binding: {
          conversationId: conversation.id, chatTurnId: o.turnId ?? null, question, answer: r.answer,
          tokenizerSha256: r.fingerprints.tokenizerSha256 ?? null, plan: receiptPlanOf(r, o.seed),
          ...(o.context !== undefined ? { context: o.context } : {}),
        },
      });
      const stored: StoredReceipt = {
        version: 1, kind: 'reckon-receipt', messageId: message.id, conversationId: conversation.id,
        question, answer: r.answer, ...(o.context !== undefined ? { context: o.context } : {}), receipt: issued.receipt, store: issued.store,
      };
      await this.#file(message.id).write(stored);
      return { receipt: issued.receipt };
    } catch (err) {
      return { receiptError: `No receipt: ${err instanceof RangeError ? err.message : ReckonError.from(err).message}` };
    }
  }

  async #stored(messageId: string): Promise<StoredReceipt> {
    const r = await this.#file(messageId).readDetailed();
    if (r.state === 'ok') return r.value;
    if (r.state === 'set-aside') {
      throw new ReckonError('STORE_CORRUPT', `The receipt file of message ${messageId} was unreadable (${r.why}) and was set aside as ${r.aside}.`, { messageId });
    }
    throw new ReckonError('RECEIPT_NOT_FOUND', `No receipt for message ${messageId}.`, { messageId, status: 404 });
  }

  async get(messageId: string, includeStore = false): Promise<ReceiptExport> {
    const s = await this.#stored(messageId);
    const { store, ...rest } = s;
    return includeStore ? { ...rest, store } : rest;
  }

  async challenge(messageId: string, challenge: AuditChallenge): Promise<AuditResponse> {
    const s = await this.#stored(messageId);
    try {
      return new ReceiptProvider(s.store).respond(challenge);
    } catch (err) {
      throw new ReckonError('BAD_REQUEST', `Bad challenge: ${(err as Error).message}`, { status: 400 });
    }
  }

  async audit(p: ReceiptAuditParams): Promise<AuditReport> {
    const t0 = performance.now();
    let exp: ReceiptExport;
    let respond: (c: AuditChallenge) => Promise<AuditResponse>;
    let via = 'local';
    let origin: string | null = null;
    /** Checks of the export's parts against each other and against the issuer; FAILED, never INTERNAL. */
    const extra: { name: string; passed: boolean; detail: string }[] = [];
    let remoteKey: string | null = null;
    let issuerView: { receipt: unknown; question: string; answer: string; origin: string } | null | undefined;
    // A provider store that does not match its receipt fails the audit ('response'), it does not throw.
    const providerOf = (store: ReceiptStore): ((c: AuditChallenge) => Promise<AuditResponse>) => {
      let provider: ReceiptProvider | null = null;
      let why: string | null = null;
      try { provider = new ReceiptProvider(store); } catch (err) { why = err instanceof Error ? err.message : String(err); }
      return async (c) => {
        if (provider === null) throw new Error(why ?? 'no provider store');
        return provider.respond(c);
      };
    };
    if (p.remote !== undefined) {
      const base = new URL(p.remote);
      const token = base.searchParams.get('token') ?? '';
      via = `${base.protocol}//${base.host}`;
      origin = via;
      const url = (path: string): string => `${via}${path}?token=${encodeURIComponent(token)}`;
      const messageId = p.export?.messageId ?? p.messageId;
      if (messageId === undefined) throw new ReckonError('BAD_REQUEST', 'receipts.audit: a remote audit needs messageId or export.');
      const res = await fetch(url(`/audit/receipt/${encodeURIComponent(messageId)}`));
      let issuer: ReceiptExport | null = null;
      if (res.ok) issuer = (await res.json()) as ReceiptExport;
      else if (res.status !== 404 || p.export === undefined) {
        throw new ReckonError(res.status === 404 ? 'RECEIPT_NOT_FOUND' : 'BAD_REQUEST', `The remote Reckon answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      }
      exp = p.export ?? issuer!;
      remoteKey = typeof issuer?.receipt?.publicKey === 'string' ? issuer.receipt.publicKey.toLowerCase() : null;
      // The issuer is asked what it signed for this message: a substituted or re-signed export differs from it.
      issuerView = { receipt: issuer?.receipt, question: issuer?.question ?? '', answer: issuer?.answer ?? '', origin: via };
      if (issuer === null) issuerView = null;
      respond = async (c) => {
        const r = await fetch(url('/audit/challenge'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(c) });
        if (!r.ok) throw new Error(`HTTP ${r.status}: ${(await r.text()).slice(0, 200)}`);
        return (await r.json()) as AuditResponse;
      };
    } else if (p.export !== undefined) {
      exp = p.export;
      if (exp.store === undefined) throw new ReckonError('BAD_REQUEST', 'This receipt file has no provider store: audit it with --remote against the Reckon that issued it.');
      respond = providerOf(exp.store);
    } else if (p.messageId !== undefined) {
      exp = await this.#stored(p.messageId);
      respond = providerOf((exp as StoredReceipt).store);
    } else {
      throw new ReckonError('BAD_REQUEST', 'receipts.audit: give messageId, export or remote.');
    }
    if (exp?.receipt === undefined || typeof exp.receipt !== 'object') throw new ReckonError('BAD_REQUEST', 'Not a Reckon receipt export.');
    if (exp.store !== undefined && p.remote === undefined && exp.store.receipt.signature !== exp.receipt.signature) {
      extra.push({ name: 'export', passed: false, detail: 'the provider store belongs to another receipt than the export' });
    }

    // The auditor's own model: the registered model whose file hash the receipt names.
    const sha = String(exp.receipt.modelSha256 ?? '').toLowerCase();
    const model = (await this.models.list()).find((m) => m.sha256.toLowerCase() === sha);
    if (model === undefined) throw new ReckonError('MODEL_NOT_FOUND', `The receipt names model ${sha.slice(0, 16)}…; import that GGUF to audit it.`);
    // A remote turn's receipt has header-only leaves: no rows to read (and a remote engine has none to give).
    const headerOnly = (exp.receipt as Partial<Receipt>).remote !== undefined;
    const base = headerOnly
      ? { table: new RowTable(0, 0), tokens: [] as number[][], centre: undefined, tokenizerSha256: undefined }
      : await this.#fetch(model, [], { texts: [exp.question, exp.answer], centre: true });
    const table = base.table;
    // The model's learned audit head, for questions in its domain (auditHead.ts headCovers): it was fitted to the
    // model's own reasoning and flags honest replies to other questions, which get the embedding checks only.
    const stored = headerOnly ? undefined : await loadAuditHead(model);
    const head = stored !== undefined && headCovers(stored, base.tokens[0] ?? []) ? stored : undefined;
    if (!headerOnly) await this.#fetch(model, [...base.tokens.flat(), ...(head?.support ?? [])].filter((id) => id < table.vocabSize), { table });
    const fetching = async (c: AuditChallenge): Promise<AuditResponse> => {
      const r = await respond(c);
      // Prefetch the rows of the opened tokens (the auditor reads them synchronously).
      const dims = (exp.receipt as Receipt).embeddingSpec?.dims ?? table.dims;
      const ids: number[] = [];
      for (const o of Array.isArray(r?.openings) ? r.openings : []) {
        try {
          const f = decodeLeaf(fromBase64(String(o.leaf)), dims);
          if (f !== null && f.tokenId < table.vocabSize) ids.push(f.tokenId);
        } catch { /* a malformed leaf fails verification later */ }
      }
      if (ids.length > 0) await this.#fetch(model, ids, { table });
      return r;
    };
    const trust = await this.#trustFor(p, origin, remoteKey);
    const verdict = await auditReceipt({
      receipt: exp.receipt, respond: fetching, table,
      questionTokens: base.tokens[0] ?? [], answerTokens: base.tokens[1] ?? [],
      modelSha256: model.sha256, trustedKeys: trust.keys, centre: base.centre, head,
      binding: { messageId: exp.messageId, conversationId: exp.conversationId, question: exp.question, answer: exp.answer, ...(exp.context !== undefined ? { context: exp.context } : {}) },
      ...(issuerView !== undefined ? { issuer: issuerView } : {}),
      tokenizerSha256: base.tokenizerSha256 ?? null,
      ...(headerOnly ? {} : { tokenizer: {
        canonical: async (ids: readonly number[]) => {
          const r = await this.engine.call('embeddingRows', { modelPath: model.path, ids: [], canonical: [[...ids]] });
          return r.canonical?.[0] ?? [...ids];
        },
      } }),
    });
    if (extra.length > 0) {
      verdict.checks.splice(1, 0, ...extra);
      if (extra.some((c) => !c.passed)) {
        verdict.ok = false;
        verdict.meaning = `FAILED (${verdict.checks.filter((c) => !c.passed).map((c) => c.name).join(', ')}): this export is not the receipt its issuer signed for this answer.`;
      }
    }
    // Trust on first use: remembered once a remote issuer's receipt audits clean.
    if (verdict.ok && origin !== null && trust.firstUse !== null) await this.#remember(origin, trust.firstUse);
    const summary: AuditSummary = {
      ok: verdict.ok, at: new Date().toISOString(), sampleSize: verdict.sampleSize, confidence: verdict.confidence,
      failed: verdict.checks.filter((c) => !c.passed).map((c) => c.name), via,
    };
    // A local message's badge.
    if (p.remote === undefined && p.export === undefined && p.messageId !== undefined) {
      // The receipt outlives a deleted conversation: the verdict stands, there is just no badge to set.
      let conv: Conversation | null = null;
      try {
        conv = this.conversations.require(exp.conversationId);
      } catch (err) {
        if (ReckonError.from(err).code !== 'CONVERSATION_NOT_FOUND') throw err;
      }
      const m = conv?.messages.find((x) => x.id === p.messageId);
      if (conv !== null && m !== undefined) {
        m.audit = summary;
        await this.conversations.save(conv);
      }
    }
    return { ...verdict, messageId: exp.messageId, summary, ms: Math.round((performance.now() - t0) * 10) / 10 };
  }
}
