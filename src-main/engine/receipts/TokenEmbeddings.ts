/**
 * The model's token embedding matrix (`token_embd.weight`), read straight from the GGUF for receipt fingerprints
 * (docs/receipts.md): node-llama-cpp's header reader gives the tensor's file offset, rows are read on demand
 * (positioned reads, cached) and dequantised to float32 (dequantize.ts: the float types, the legacy 4/5/8-bit
 * blocks and Q4_K/Q5_K/Q6_K, which covers the types llama.cpp's presets store the embedding in).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { readGgufFileInfo } from 'node-llama-cpp';
import type { EmbeddingTable } from '../../common/receipts';
import { canonicalJson, quantiseUnit } from '../../common/receipts';
import { createHash } from 'node:crypto';
import { ReckonError } from '../../common/errors';
import { decodeRow, READABLE_TYPES, rowBytes, rowFormat, type RowFormat } from './dequantize';

export const EMBEDDING_TENSOR = 'token_embd.weight';

/**
 * sha256 (hex) of a GGUF's tokenizer: the canonical JSON of its `tokenizer.ggml` metadata (model, pre-tokenizer,
 * tokens, types, merges, special ids), so two files with the same tokenizer hash alike whatever their weights.
 * null when the metadata has no tokenizer.
 */
export function tokenizerSha256Of(metadata: unknown): string | null {
  const ggml = (metadata as { tokenizer?: { ggml?: unknown } } | null)?.tokenizer?.ggml;
  if (typeof ggml !== 'object' || ggml === null) return null;
  try {
    const json = canonicalJson(JSON.parse(JSON.stringify(ggml, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))));
    return createHash('sha256').update(json, 'utf8').digest('hex');
  } catch {
    return null;
  }
}

export { halfToFloat } from './dequantize';

/** A GGUF's token embedding table with rows read lazily from the file. */
export class TokenEmbeddings implements EmbeddingTable {
  private readonly cache = new Map<number, Float32Array>();
  private centreValue: Float64Array | null = null;

  private constructor(
    readonly path: string,
    readonly dims: number,
    readonly vocabSize: number,
    private readonly format: RowFormat,
    private readonly offset: number,
    /** sha256 (hex) of the GGUF's tokenizer metadata (tokenizerSha256Of); null when it has none. */
    readonly tokenizerSha256: string | null = null,
  ) {}

  static async open(path: string): Promise<TokenEmbeddings> {
    const info = await readGgufFileInfo(path, { logWarnings: false, spliceSplitFiles: false, readTensorInfo: true });
    const t = info.fullTensorInfo?.find((x) => x.name === EMBEDDING_TENSOR);
    if (t === undefined) throw new ReckonError('BAD_REQUEST', `The model ${path} has no ${EMBEDDING_TENSOR} tensor; receipts need it.`);
    const format = rowFormat(t.ggmlType as number);
    if (format === null) throw new ReckonError('BAD_REQUEST', `${EMBEDDING_TENSOR} is stored as ggml type ${t.ggmlType}; receipts read ${READABLE_TYPES}.`);
    const [dims, vocab] = t.dimensions.map(Number) as [number, number];
    if (dims % format.blockValues !== 0) throw new ReckonError('BAD_REQUEST', `${EMBEDDING_TENSOR} rows are not whole ${format.name} blocks.`);
    return new TokenEmbeddings(path, dims, vocab, format, Number(t.fileOffset), tokenizerSha256Of(info.metadata as unknown));
  }

  /** The storage type of the rows in the file. */
  get type(): string {
    return this.format.name;
  }

  private rowBytes(): number {
    return rowBytes(this.format, this.dims);
  }

  private decode(buf: Buffer, at: number, out: Float32Array): void {
    decodeRow(this.format, buf, at, out);
  }

  /** Reads rows [from, from + count) into the cache (one positioned read). */
  private load(from: number, count: number): void {
    const rb = this.rowBytes();
    const buf = Buffer.alloc(rb * count);
    const fd = openSync(this.path, 'r');
    try {
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, this.offset + from * rb + got);
        if (n === 0) throw new ReckonError('GGUF_TRUNCATED', `${this.path} ends inside ${EMBEDDING_TENSOR}.`);
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    for (let k = 0; k < count; k++) {
      const out = new Float32Array(this.dims);
      this.decode(buf, k * rb, out);
      this.cache.set(from + k, out);
    }
  }

  row(tokenId: number): Float32Array {
    if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId >= this.vocabSize) throw new RangeError(`token id ${tokenId} outside the vocabulary`);
    let r = this.cache.get(tokenId);
    if (r === undefined) {
      this.load(tokenId, 1);
      r = this.cache.get(tokenId)!;
    }
    return r;
  }

  /**
   * Mean of the normalised, quantised rows (the auditor's centre, as centreOf computes it, same operation order),
   * computed once by streaming through the table in chunks; rows already cached stay cached.
   */
  centre(): Float64Array {
    if (this.centreValue !== null) return this.centreValue;
    const rb = this.rowBytes();
    const chunk = Math.max(1, Math.floor((8 << 20) / rb));
    const c = new Float64Array(this.dims);
    const row = new Float32Array(this.dims);
    const fd = openSync(this.path, 'r');
    try {
      for (let from = 0; from < this.vocabSize; from += chunk) {
        const count = Math.min(chunk, this.vocabSize - from);
        const buf = Buffer.alloc(rb * count);
        let got = 0;
        while (got < buf.length) {
          const n = readSync(fd, buf, got, buf.length - got, this.offset + from * rb + got);
          if (n === 0) throw new ReckonError('GGUF_TRUNCATED', `${this.path} ends inside ${EMBEDDING_TENSOR}.`);
          got += n;
        }
        for (let k = 0; k < count; k++) {
          this.decode(buf, k * rb, row);
          const q = quantiseUnit(row);
          for (let i = 0; i < this.dims; i++) c[i]! += q[i]! / 127 / this.vocabSize;
        }
      }
    } finally {
      closeSync(fd);
    }
    this.centreValue = c;
    return c;
  }
}
