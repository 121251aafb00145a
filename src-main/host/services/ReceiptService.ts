/**
 * Hidden-token receipts on the host (docs/receipts.md): issues a signed receipt for every finished assistant message
 * from the fingerprint leaves the engine computes for its hidden tokens, keeps the provider store in <userData>/receipts/<messageId>.json,
 * answers audit challenges and runs audits (local store, an exported receipt, or a remote Reckon over HTTP).
 */
import type { GenerateResult, TurnFingerprints } from '../../common/engineProtocol';
import { ReckonError } from '../../common/errors';
import { overheadTotal } from '../../common/ledger';
import type { AuditReport, AuditSummary, ReceiptAuditParams, ReceiptExport } from '../../common/receiptApi';
import {
  BLOCK_RECORD_BYTES, ReceiptIssuer, ReceiptProvider, auditReceipt, decodeLeaf, fromBase64, leafBytes,
  type AuditChallenge, type AuditResponse, type EmbeddingTable, type FingerprintSet, type Receipt, type ReceiptStore,
} from '../../common/receipts';
import type { Conversation, Message, ModelInfo } from '../../common/types';
import { loadOrCreateReceiptKey, type ReceiptKey } from '../store/receiptKey';
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
  async #fetch(model: ModelInfo, ids: Iterable<number>, o: { table?: RowTable; texts?: string[]; centre?: boolean } = {}): Promise<{ table: RowTable; tokens: number[][]; centre?: number[] }> {
    const want = [...new Set(ids)].filter((id) => o.table === undefined || !o.table.rows.has(id));
    const r = await this.engine.call('embeddingRows', { modelPath: model.path, ids: want, texts: o.texts, centre: o.centre });
    const table = o.table ?? new RowTable(r.dims, r.vocabSize);
    const bytes = fromBase64(r.rows);
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    want.forEach((id, k) => table.rows.set(id, all.slice(k * r.dims, (k + 1) * r.dims)));
    return { table, tokens: r.tokens ?? [], centre: r.centre };
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
      const issued = await new ReceiptIssuer(keyPair).issueFromFingerprints({ turnId: message.id, spec: r.fingerprints.spec, fingerprints });
      const stored: StoredReceipt = {
        version: 1, kind: 'reckon-receipt', messageId: message.id, conversationId: conversation.id,
        question, answer: r.answer, receipt: issued.receipt, store: issued.store,
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
    let pinned = p.publicKey;
    if (p.remote !== undefined) {
      const base = new URL(p.remote);
      const token = base.searchParams.get('token') ?? '';
      via = `${base.protocol}//${base.host}`;
      const url = (path: string): string => `${via}${path}?token=${encodeURIComponent(token)}`;
      if (p.export !== undefined) exp = p.export;
      else {
        if (p.messageId === undefined) throw new ReckonError('BAD_REQUEST', 'receipts.audit: a remote audit needs messageId or export.');
        const res = await fetch(url(`/audit/receipt/${encodeURIComponent(p.messageId)}`));
        if (!res.ok) throw new ReckonError(res.status === 404 ? 'RECEIPT_NOT_FOUND' : 'BAD_REQUEST', `The remote Reckon answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
        exp = (await res.json()) as ReceiptExport;
      }
      respond = async (c) => {
        const res = await fetch(url('/audit/challenge'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(c) });
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
        return (await res.json()) as AuditResponse;
      };
    } else if (p.export !== undefined) {
      exp = p.export;
      if (exp.store === undefined) throw new ReckonError('BAD_REQUEST', 'This receipt file has no provider store: audit it with --remote against the Reckon that issued it.');
      const provider = new ReceiptProvider(exp.store);
      respond = async (c) => provider.respond(c);
    } else if (p.messageId !== undefined) {
      exp = await this.#stored(p.messageId);
      const provider = new ReceiptProvider((exp as StoredReceipt).store);
      respond = async (c) => provider.respond(c);
      pinned ??= await this.publicKey();
    } else {
      throw new ReckonError('BAD_REQUEST', 'receipts.audit: give messageId, export or remote.');
    }
    if (exp?.receipt === undefined || typeof exp.receipt !== 'object') throw new ReckonError('BAD_REQUEST', 'Not a Reckon receipt export.');

    // The auditor's own model: the registered model whose file hash the receipt names.
    const sha = String(exp.receipt.modelSha256 ?? '').toLowerCase();
    const model = (await this.models.list()).find((m) => m.sha256.toLowerCase() === sha);
    if (model === undefined) throw new ReckonError('MODEL_NOT_FOUND', `The receipt names model ${sha.slice(0, 16)}…; import that GGUF to audit it.`);
    const base = await this.#fetch(model, [], { texts: [exp.question, exp.answer], centre: true });
    const table = base.table;
    await this.#fetch(model, base.tokens.flat().filter((id) => id < table.vocabSize), { table });
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
    const verdict = await auditReceipt({
      receipt: exp.receipt, respond: fetching, table,
      questionTokens: base.tokens[0] ?? [], answerTokens: base.tokens[1] ?? [],
      modelSha256: model.sha256, trustedPublicKey: pinned, centre: base.centre,
    });
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
