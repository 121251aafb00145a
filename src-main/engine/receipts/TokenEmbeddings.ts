/**
 * The model's token embedding matrix (`token_embd.weight`), read straight from the GGUF for receipt fingerprints
 * (docs/receipts.md): node-llama-cpp's header reader gives the tensor's file offset, rows are read on demand
 * (positioned reads, cached) and dequantised to float32. F32, F16 and Q8_0 are supported.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { readGgufFileInfo } from 'node-llama-cpp';
import type { EmbeddingTable } from '../../common/receipts';
import { canonicalJson, quantiseUnit } from '../../common/receipts';
import { createHash } from 'node:crypto';
import { ReckonError } from '../../common/errors';

export const EMBEDDING_TENSOR = 'token_embd.weight';

const typeNames: Record<number, 'F32' | 'F16' | 'Q8_0'> = { 0: 'F32', 1: 'F16', 8: 'Q8_0' };

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

/** IEEE half -> float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Infinity : NaN;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** A GGUF's token embedding table with rows read lazily from the file. */
export class TokenEmbeddings implements EmbeddingTable {
  private readonly cache = new Map<number, Float32Array>();
  private centreValue: Float64Array | null = null;

  private constructor(
    readonly path: string,
    readonly dims: number,
    readonly vocabSize: number,
    readonly type: 'F32' | 'F16' | 'Q8_0',
    private readonly offset: number,
    private readonly mtimeMs: number,
    /** sha256 (hex) of the GGUF's tokenizer metadata (tokenizerSha256Of); null when it has none. */
    readonly tokenizerSha256: string | null = null,
  ) {}

  static async open(path: string): Promise<TokenEmbeddings> {
    const info = await readGgufFileInfo(path, { logWarnings: false, spliceSplitFiles: false, readTensorInfo: true });
    const t = info.fullTensorInfo?.find((x) => x.name === EMBEDDING_TENSOR);
    if (t === undefined) throw new ReckonError('BAD_REQUEST', `The model ${path} has no ${EMBEDDING_TENSOR} tensor; receipts need it.`);
    const type = typeNames[t.ggmlType as number];
    if (type === undefined) throw new ReckonError('BAD_REQUEST', `${EMBEDDING_TENSOR} is stored as ggml type ${t.ggmlType}; receipts read F32, F16 or Q8_0.`);
    const [dims, vocab] = t.dimensions.map(Number) as [number, number];
    if (type === 'Q8_0' && dims % 32 !== 0) throw new ReckonError('BAD_REQUEST', `${EMBEDDING_TENSOR} rows are not whole Q8_0 blocks.`);
    return new TokenEmbeddings(path, dims, vocab, type, Number(t.fileOffset), statSync(path).mtimeMs, tokenizerSha256Of(info.metadata as unknown));
  }

  /** Whether the file changed since it was opened. */
  stale(): boolean {
    try {
      return statSync(this.path).mtimeMs !== this.mtimeMs;
    } catch {
      return true;
    }
  }

  private rowBytes(): number {
    return this.type === 'F32' ? this.dims * 4 : this.type === 'F16' ? this.dims * 2 : (this.dims / 32) * 34;
  }

  private decode(buf: Buffer, at: number, out: Float32Array): void {
    const d = this.dims;
    if (this.type === 'F32') for (let i = 0; i < d; i++) out[i] = buf.readFloatLE(at + 4 * i);
    else if (this.type === 'F16') for (let i = 0; i < d; i++) out[i] = halfToFloat(buf.readUInt16LE(at + 2 * i));
    else {
      for (let b = 0; b < d / 32; b++) {
        const base = at + 34 * b;
        const scale = halfToFloat(buf.readUInt16LE(base));
        for (let j = 0; j < 32; j++) out[32 * b + j] = scale * buf.readInt8(base + 2 + j);
      }
    }
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
