/**
 * The engine side of receipts: a turn's fingerprint leaves (computed here, from the embedding table the engine
 * reads anyway), and embedding rows, the auditor's centre and tokenised texts for audits, so the host never reads
 * weights itself.
 */
import type { LlamaModel, Token } from 'node-llama-cpp';
import type { EmbeddingRowsParams, EmbeddingRowsResult, TurnFingerprints } from '../../common/engineProtocol';
import { fingerprintSegments, makeEmbeddingSpec, toBase64, type HiddenSegment } from '../../common/receipts';
import { ReckonError } from '../../common/errors';
import { statSync } from 'node:fs';
import { EMBEDDING_TENSOR, TokenEmbeddings } from './TokenEmbeddings';

export interface ReceiptModelSource {
  modelFor(modelPath: string, onProgress: (progress: number) => void): Promise<{ model: LlamaModel }>;
}

/** Most rows one call may ask for (the host asks for the unique ids of one turn). */
export const MAX_ROWS = 1 << 16;

export class ReceiptRows {
  /**
   * One table per model file (read once per loaded model), at most a few kept, with the file's mtime when it was
   * opened. A file that cannot be read stays failed until it changes: reading a big vocabulary's header takes most
   * of a second, which every turn would otherwise pay again after its last token.
   */
  private readonly tables = new Map<string, { mtimeMs: number; table: Promise<TokenEmbeddings> }>();

  constructor(private readonly models: ReceiptModelSource) {}

  /** The table of a model file, re-read when the file changed since it was opened (or failed to open). */
  table(modelPath: string): Promise<TokenEmbeddings> {
    const mtimeMs = mtimeOf(modelPath);
    const kept = this.tables.get(modelPath);
    if (kept !== undefined && kept.mtimeMs === mtimeMs) return kept.table;
    const table = TokenEmbeddings.open(modelPath);
    table.catch(() => undefined); // kept as the answer for this file; each caller sees the rejection
    this.tables.delete(modelPath);
    this.tables.set(modelPath, { mtimeMs, table });
    while (this.tables.size > 3) this.tables.delete(this.tables.keys().next().value!);
    return table;
  }

  /**
   * The fingerprint leaves of a turn's hidden tokens under a reckon-fp-1 spec naming `modelSha256` (the host
   * builds the Merkle tree over them and signs). Throws RangeError for a token id outside the vocabulary.
   */
  async fingerprints(modelPath: string, modelSha256: string, hidden: readonly HiddenSegment[]): Promise<TurnFingerprints> {
    const t = await this.table(modelPath);
    const spec = makeEmbeddingSpec({ modelSha256, dims: t.dims, vocabSize: t.vocabSize });
    const fp = fingerprintSegments(spec, hidden, t);
    return {
      spec, leaves: toBase64(fp.leaves), sketches: toBase64(fp.sketches), blockCount: fp.blocks.length, counts: fp.counts,
      ...(t.tokenizerSha256 !== null ? { tokenizerSha256: t.tokenizerSha256 } : {}),
    };
  }

  async rows(p: EmbeddingRowsParams): Promise<EmbeddingRowsResult> {
    if (p.ids.length > MAX_ROWS) throw new ReckonError('BAD_REQUEST', `embeddingRows: at most ${MAX_ROWS} ids per call.`);
    const t = await this.table(p.modelPath);
    const out = new Float32Array(p.ids.length * t.dims);
    p.ids.forEach((id, k) => {
      if (!Number.isInteger(id) || id < 0 || id >= t.vocabSize) throw new ReckonError('BAD_REQUEST', `embeddingRows: token id ${id} is outside the vocabulary (${t.vocabSize}).`);
      out.set(t.row(id), k * t.dims);
    });
    const r: EmbeddingRowsResult = {
      tensor: EMBEDDING_TENSOR, type: t.type, dims: t.dims, vocabSize: t.vocabSize,
      rows: toBase64(new Uint8Array(out.buffer, out.byteOffset, out.byteLength)),
    };
    if (p.centre === true) r.centre = Array.from(t.centre());
    if (t.tokenizerSha256 !== null) r.tokenizerSha256 = t.tokenizerSha256;
    if ((p.texts?.length ?? 0) > 0 || (p.canonical?.length ?? 0) > 0) {
      const { model } = await this.models.modelFor(p.modelPath, () => undefined);
      if (p.texts !== undefined) r.tokens = p.texts.map((text) => Array.from(model.tokenize(text, false), Number));
      if (p.canonical !== undefined) {
        r.canonical = p.canonical.map((ids) => {
          if (!ids.every((id) => Number.isInteger(id) && id >= 0 && id < t.vocabSize)) throw new ReckonError('BAD_REQUEST', 'embeddingRows: a canonical run holds an id outside the vocabulary.');
          return canonicalIds(model, ids);
        });
      }
    }
    return r;
  }
}

/** The canonical tokenisation of the text `ids` decode to (no special tokens): re-tokenised runs come back shorter. */
export function canonicalIds(model: Pick<LlamaModel, 'tokenize' | 'detokenize'>, ids: readonly number[]): number[] {
  const text = model.detokenize(ids.map((id) => id as Token), false);
  return Array.from(model.tokenize(text, false), Number);
}

/** A file's mtime, or NaN when it cannot be read (never equal to a kept one, so it is tried again). */
function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return NaN;
  }
}
