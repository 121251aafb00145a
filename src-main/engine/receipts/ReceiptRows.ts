/**
 * The engine side of receipts: embedding rows (and the auditor's centre, and tokenised texts) of a model, so the
 * host can fingerprint a turn's hidden tokens and audit receipts without reading weights itself.
 */
import type { LlamaModel } from 'node-llama-cpp';
import type { EmbeddingRowsParams, EmbeddingRowsResult } from '../../common/engineProtocol';
import { toBase64 } from '../../common/receipts';
import { ReckonError } from '../../common/errors';
import { EMBEDDING_TENSOR, TokenEmbeddings } from './TokenEmbeddings';

export interface ReceiptModelSource {
  modelFor(modelPath: string, onProgress: (progress: number) => void): Promise<{ model: LlamaModel }>;
}

/** Most rows one call may ask for (the host asks for the unique ids of one turn). */
export const MAX_ROWS = 1 << 16;

export class ReceiptRows {
  /** One table per model file (read once per loaded model), at most a few kept. */
  private readonly tables = new Map<string, Promise<TokenEmbeddings>>();

  constructor(private readonly models: ReceiptModelSource) {}

  table(modelPath: string): Promise<TokenEmbeddings> {
    let t = this.tables.get(modelPath);
    if (t === undefined) {
      t = TokenEmbeddings.open(modelPath);
      t.catch(() => this.tables.delete(modelPath));
      this.tables.set(modelPath, t);
      while (this.tables.size > 3) this.tables.delete(this.tables.keys().next().value!);
    }
    return t;
  }

  async rows(p: EmbeddingRowsParams): Promise<EmbeddingRowsResult> {
    if (p.ids.length > MAX_ROWS) throw new ReckonError('BAD_REQUEST', `embeddingRows: at most ${MAX_ROWS} ids per call.`);
    let t = await this.table(p.modelPath);
    if (t.stale()) {
      this.tables.delete(p.modelPath);
      t = await this.table(p.modelPath);
    }
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
    if (p.texts !== undefined && p.texts.length > 0) {
      const { model } = await this.models.modelFor(p.modelPath, () => undefined);
      r.tokens = p.texts.map((text) => Array.from(model.tokenize(text, false), Number));
    }
    return r;
  }
}
