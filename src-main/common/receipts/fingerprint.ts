/**
 * Fingerprints of hidden tokens (CoIn-style): each hidden token becomes one Merkle leaf holding its block's
 * embedding and its own embedding, both L2-normalised and quantised to int8, with its token id, ledger kind and
 * position. See docs/receipts.md for the byte layout; any change to it is a new `EmbeddingSpec.scheme`.
 */
import type { OverheadKind } from '../ledger';
import { OverheadKinds } from '../ledger';
import { blockSketch } from './sketch';

/** Ledger kinds a hidden token can have: the accepted-path thinking, or one overhead kind. */
export type HiddenKind = 'thinking' | OverheadKind;
export const HiddenKinds: readonly HiddenKind[] = ['thinking', ...OverheadKinds];

/** What the fingerprints were computed from; signed into the receipt so an auditor can recompute them. */
export interface EmbeddingSpec {
  /** Fingerprint format; this file implements 'reckon-fp-1'. */
  scheme: 'reckon-fp-1';
  /** sha256 (hex) of the GGUF file whose embedding table was used. */
  modelSha256: string;
  /** GGUF tensor the rows come from. Defaults to 'token_embd.weight'. */
  tensor: string;
  /** Embedding length (row length of the tensor, GGUF `<arch>.embedding_length`). */
  dims: number;
  /** Vocabulary size (number of rows); token ids must be below it. */
  vocabSize: number;
  /** Tokens per block; blocks never cross a segment. Defaults to 32. */
  blockSize: number;
  /**
   * int8 quantisation of L2-normalised vectors: q = clamp(sign(x)·floor(|x|·scale + 0.5), -scale, scale),
   * computed in float64. scale is 127.
   */
  quantisation: { kind: 'int8-l2'; scale: 127 };
  /** Block sketch: SimHash of the int8 block embedding over `bits` seeded ±1 hyperplanes (see sketch.ts). */
  sketch: { kind: 'simhash-pm1'; bits: 128; seed: string };
}

export const DEFAULT_BLOCK_SIZE = 32;
export const DEFAULT_SKETCH_SEED = 'reckon-sketch-1';

export function makeEmbeddingSpec(o: { modelSha256: string; dims: number; vocabSize: number; blockSize?: number; tensor?: string }): EmbeddingSpec {
  return {
    scheme: 'reckon-fp-1',
    modelSha256: o.modelSha256,
    tensor: o.tensor ?? 'token_embd.weight',
    dims: o.dims,
    vocabSize: o.vocabSize,
    blockSize: o.blockSize ?? DEFAULT_BLOCK_SIZE,
    quantisation: { kind: 'int8-l2', scale: 127 },
    sketch: { kind: 'simhash-pm1', bits: 128, seed: DEFAULT_SKETCH_SEED },
  };
}

/** One row per token id; the engine reads them from the GGUF, the auditor from the same file. */
export interface EmbeddingTable {
  readonly dims: number;
  readonly vocabSize: number;
  /** Row `tokenId` (length `dims`), dequantised to float32. */
  row(tokenId: number): Float32Array;
}

/** An EmbeddingTable over one flat row-major Float32Array (vocabSize × dims). */
export function flatEmbeddingTable(data: Float32Array, dims: number): EmbeddingTable {
  if (dims <= 0 || data.length % dims !== 0) throw new RangeError('embedding data is not a whole number of rows');
  const vocabSize = data.length / dims;
  return {
    dims,
    vocabSize,
    row(tokenId: number): Float32Array {
      if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId >= vocabSize) throw new RangeError(`token id ${tokenId} outside the vocabulary`);
      return data.subarray(tokenId * dims, (tokenId + 1) * dims);
    },
  };
}

const SCALE = 127;

/** L2-normalises `v` (float64, index order) and quantises it to int8 as EmbeddingSpec.quantisation says. */
export function quantiseUnit(v: ArrayLike<number>): Int8Array {
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += v[i]! * v[i]!;
  const out = new Int8Array(v.length);
  if (ss === 0 || !Number.isFinite(ss)) return out;
  const inv = 1 / Math.sqrt(ss);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]! * inv * SCALE;
    const q = Math.floor(Math.abs(x) + 0.5);
    out[i] = (x < 0 ? -1 : 1) * Math.min(q, SCALE);
  }
  return out;
}

/** Block embedding: the mean of the tokens' rows (float64, in token order), then quantiseUnit. */
export function blockEmbedding(rows: readonly ArrayLike<number>[], dims: number): Int8Array {
  const acc = new Float64Array(dims);
  for (const r of rows) for (let i = 0; i < dims; i++) acc[i]! += r[i]!;
  for (let i = 0; i < dims; i++) acc[i]! /= Math.max(rows.length, 1);
  return quantiseUnit(acc);
}

/** Kind codes in the leaf: thinking 0, probe 1, trial 2, draft 3, distill 4. */
export function kindCode(k: HiddenKind): number {
  const c = HiddenKinds.indexOf(k);
  if (c < 0) throw new RangeError(`unknown hidden kind ${String(k)}`);
  return c;
}

export const LEAF_VERSION = 1;
export const LEAF_HEADER_BYTES = 20;

/** Decoded leaf. */
export interface Fingerprint {
  /** Position of this token in the turn's hidden stream = its leaf index. */
  index: number;
  kind: HiddenKind;
  tokenId: number;
  /** Global block index (blocks numbered across segments, in order). */
  blockIndex: number;
  /** Position of the token inside its block (0 .. blockSize-1). */
  offsetInBlock: number;
  /** Segment number (0-based, in order). */
  segment: number;
  blockEmbedding: Int8Array;
  tokenEmbedding: Int8Array;
}

export function leafBytes(dims: number): number {
  return LEAF_HEADER_BYTES + 2 * dims;
}

/**
 * Layout (little-endian): u8 version, u8 kind code, u16 offsetInBlock, u32 index, u32 blockIndex, u32 tokenId,
 * u32 segment, i8[dims] block embedding, i8[dims] token embedding.
 */
export function encodeLeaf(f: Fingerprint, dims: number, out = new Uint8Array(leafBytes(dims)), at = 0): Uint8Array {
  const dv = new DataView(out.buffer, out.byteOffset + at, leafBytes(dims));
  dv.setUint8(0, LEAF_VERSION);
  dv.setUint8(1, kindCode(f.kind));
  dv.setUint16(2, f.offsetInBlock, true);
  dv.setUint32(4, f.index, true);
  dv.setUint32(8, f.blockIndex, true);
  dv.setUint32(12, f.tokenId, true);
  dv.setUint32(16, f.segment, true);
  const base = out.byteOffset + at + LEAF_HEADER_BYTES;
  new Int8Array(out.buffer, base, dims).set(f.blockEmbedding);
  new Int8Array(out.buffer, base + dims, dims).set(f.tokenEmbedding);
  return out;
}

/** Decodes a leaf; null when its length or header is not a valid 'reckon-fp-1' leaf for `dims`. */
export function decodeLeaf(bytes: Uint8Array, dims: number): Fingerprint | null {
  if (bytes.length !== leafBytes(dims)) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (dv.getUint8(0) !== LEAF_VERSION) return null;
  const kind = HiddenKinds[dv.getUint8(1)];
  if (kind === undefined) return null;
  const i8 = new Int8Array(bytes.buffer, bytes.byteOffset + LEAF_HEADER_BYTES, 2 * dims);
  return {
    kind,
    offsetInBlock: dv.getUint16(2, true),
    index: dv.getUint32(4, true),
    blockIndex: dv.getUint32(8, true),
    tokenId: dv.getUint32(12, true),
    segment: dv.getUint32(16, true),
    blockEmbedding: i8.slice(0, dims),
    tokenEmbedding: i8.slice(dims),
  };
}

/** A run of hidden tokens of one kind, as the engine produced them (one thinking stream, one draft, ...). */
export interface HiddenSegment {
  kind: HiddenKind;
  tokens: readonly number[];
}

/** Hidden-token counts by ledger kind; hidden = thinking + every overhead kind. */
export interface HiddenCounts {
  thinking: number;
  overhead: Record<OverheadKind, number>;
  hidden: number;
}

export function countHidden(segments: readonly HiddenSegment[]): HiddenCounts {
  const c: HiddenCounts = { thinking: 0, overhead: { probe: 0, trial: 0, draft: 0, distill: 0 }, hidden: 0 };
  for (const s of segments) {
    if (s.kind === 'thinking') c.thinking += s.tokens.length;
    else c.overhead[s.kind] += s.tokens.length;
    c.hidden += s.tokens.length;
  }
  return c;
}

/** Everything a commitment needs, in leaf order. */
export interface FingerprintSet {
  dims: number;
  /** All leaves back to back, leafBytes(dims) each. */
  leaves: Uint8Array;
  leafCount: number;
  /** One quantised embedding per block. */
  blocks: Int8Array[];
  /** Block records back to back, BLOCK_RECORD_BYTES each (see encodeBlockRecord). */
  sketches: Uint8Array;
  counts: HiddenCounts;
}

/**
 * Fingerprints the hidden segments: splits every segment into blocks of spec.blockSize consecutive tokens (the
 * last block of a segment may be shorter), computes block and token embeddings, and encodes one leaf per token.
 */
export function fingerprintSegments(spec: EmbeddingSpec, segments: readonly HiddenSegment[], table: EmbeddingTable): FingerprintSet {
  const dims = spec.dims;
  if (table.dims !== dims) throw new RangeError(`embedding table has ${table.dims} dims, spec says ${dims}`);
  const counts = countHidden(segments);
  const lb = leafBytes(dims);
  const leaves = new Uint8Array(counts.hidden * lb);
  const tokenCache = new Map<number, Int8Array>();
  const tokenQ = (id: number): Int8Array => {
    let q = tokenCache.get(id);
    if (q === undefined) { q = quantiseUnit(table.row(id)); tokenCache.set(id, q); }
    return q;
  };
  const blocks: Int8Array[] = [];
  const blockMeta: { length: number; kind: HiddenKind }[] = [];
  let index = 0;
  segments.forEach((seg, segment) => {
    for (let start = 0; start < seg.tokens.length; start += spec.blockSize) {
      const ids = seg.tokens.slice(start, start + spec.blockSize);
      const be = blockEmbedding(ids.map((id) => table.row(id)), dims);
      const blockIndex = blocks.length;
      blocks.push(be);
      blockMeta.push({ length: ids.length, kind: seg.kind });
      ids.forEach((tokenId, offsetInBlock) => {
        encodeLeaf({ index, kind: seg.kind, tokenId, blockIndex, offsetInBlock, segment, blockEmbedding: be, tokenEmbedding: tokenQ(tokenId) }, dims, leaves, index * lb);
        index++;
      });
    }
  });
  const sketches = new Uint8Array(blocks.length * BLOCK_RECORD_BYTES);
  blocks.forEach((b, i) => encodeBlockRecord({ sketch: blockSketch(b, spec), ...blockMeta[i]! }, sketches, i * BLOCK_RECORD_BYTES));
  return { dims, leaves, leafCount: counts.hidden, blocks, sketches, counts };
}

/** Bytes per block record: 16-byte sketch, u16 LE block length (tokens), u8 kind code, u8 zero. */
export const BLOCK_RECORD_BYTES = 20;

export interface BlockRecord {
  sketch: Uint8Array;
  length: number;
  kind: HiddenKind;
}

export function encodeBlockRecord(r: BlockRecord, out: Uint8Array, at: number): void {
  out.set(r.sketch, at);
  out[at + 16] = r.length & 255;
  out[at + 17] = r.length >>> 8;
  out[at + 18] = kindCode(r.kind);
  out[at + 19] = 0;
}

export function decodeBlockRecord(all: Uint8Array, block: number): BlockRecord | null {
  const at = block * BLOCK_RECORD_BYTES;
  if (at + BLOCK_RECORD_BYTES > all.length) return null;
  const kind = HiddenKinds[all[at + 18]!];
  if (kind === undefined || all[at + 19] !== 0) return null;
  return { sketch: all.subarray(at, at + 16), length: all[at + 16]! | (all[at + 17]! << 8), kind };
}
