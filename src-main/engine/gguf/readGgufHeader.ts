import { readSync } from 'node:fs';
import { printable } from './printable';

/** GGUF metadata value types, by id (the file format's own numbering). */
export const GgufType = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9,
  UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;

/**
 * A metadata value. Strings (values, keys and tensor names alike) are byte strings - one character per byte,
 * as latin1 decodes them - so bytes that are not UTF-8 survive exactly and compare as llama.cpp compares them;
 * `printable(byteString(s))` shows one.
 */
export type GgufScalar = number | bigint | boolean | string;

/** The bytes of a byte string from a GGUF (see GgufScalar). */
export function byteString(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

export interface GgufArray {
  itemType: number;
  length: number;
  /** The items; null when the reader only walked them (see ReadOptions.keepArray). */
  values: GgufScalar[] | null;
}

export interface GgufKv {
  key: string;
  /** The key as it may be shown in a message (no raw bytes). */
  label: string;
  type: number;
  value: GgufScalar | GgufArray;
}

export interface GgufTensorInfo {
  name: string;
  /** The name as it may be shown in a message (no raw bytes). */
  label: string;
  /** ne[0..n): innermost first, as GGUF stores them. */
  dims: number[];
  ggmlType: number;
  /** Offset of the tensor's data, relative to the data section. */
  offset: number;
}

export interface GgufHeader {
  version: number;
  kv: ReadonlyMap<string, GgufKv>;
  tensors: GgufTensorInfo[];
  /** general.alignment, else 32. */
  alignment: number;
  /** Absolute byte offset where the data section starts. */
  dataOffset: number;
  fileSize: number;
}

/** Why the header could not be read: the caller turns each kind into its own ReckonError. */
export class GgufReadError extends Error {
  constructor(
    readonly kind: 'invalid' | 'truncated' | 'metadata' | 'tensor',
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

// Limits far above any real model; a header beyond them is garbage, and reading it on would only
// allocate absurd amounts or loop for ages.
const MAX_TENSORS = 1_000_000;
const MAX_KV = 1_000_000;
/** llama.cpp's own limits on one string and on one array (gguf.cpp). */
const MAX_STRING_BYTES = 1 << 30;
const MAX_ARRAY_ITEMS = 1 << 30;
/** Arrays up to this many items may keep their values (a 256k-token vocabulary is well inside). */
const MAX_KEPT_ITEMS = 1 << 22;
/** llama.cpp's GGML_MAX_NAME: a tensor name must be shorter. */
const MAX_TENSOR_NAME = 64;
const MAX_DIMS = 4;
const CHUNK = 1 << 20;

const scalarSizes: ReadonlyMap<number, number> = new Map([
  [GgufType.UINT8, 1], [GgufType.INT8, 1], [GgufType.UINT16, 2], [GgufType.INT16, 2], [GgufType.UINT32, 4],
  [GgufType.INT32, 4], [GgufType.FLOAT32, 4], [GgufType.BOOL, 1], [GgufType.UINT64, 8], [GgufType.INT64, 8],
  [GgufType.FLOAT64, 8],
]);

class EndOfFile extends Error {}

/** Buffered synchronous reader: headers are small and this keeps the parser simple and fast. */
class HeaderReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;

  constructor(private readonly fd: number, readonly size: number) {}

  private ensure(n: number): number {
    const rel = this.pos - this.bufStart;
    if (rel >= 0 && rel + n <= this.buf.length) return rel;
    if (this.pos + n > this.size) throw new EndOfFile();
    const len = Math.min(Math.max(n, CHUNK), this.size - this.pos);
    const next = Buffer.alloc(len);
    const got = readSync(this.fd, next, 0, len, this.pos);
    if (got < n) throw new EndOfFile();
    this.buf = next.subarray(0, got);
    this.bufStart = this.pos;
    return 0;
  }

  private take(n: number): number {
    const at = this.ensure(n);
    this.pos += n;
    return at;
  }

  u8(): number { return this.buf.readUInt8(this.take(1)); }
  i8(): number { return this.buf.readInt8(this.take(1)); }
  u16(): number { return this.buf.readUInt16LE(this.take(2)); }
  i16(): number { return this.buf.readInt16LE(this.take(2)); }
  u32(): number { return this.buf.readUInt32LE(this.take(4)); }
  i32(): number { return this.buf.readInt32LE(this.take(4)); }
  f32(): number { return this.buf.readFloatLE(this.take(4)); }
  f64(): number { return this.buf.readDoubleLE(this.take(8)); }
  u64(): bigint { return this.buf.readBigUInt64LE(this.take(8)); }
  i64(): bigint { return this.buf.readBigInt64LE(this.take(8)); }

  /** A u64 length or count, as a number; null when it exceeds `max` (read without BigInt: this is the hot path). */
  length(max: number): number | null {
    const at = this.take(8);
    const lo = this.buf.readUInt32LE(at), hi = this.buf.readUInt32LE(at + 4);
    const v = hi * 0x1_0000_0000 + lo;
    return hi >= 0x20_0000 || v > max ? null : v;
  }

  /** A string's bytes as a byte string (see GgufScalar). */
  string(n: number): string {
    const at = this.take(n);
    return this.buf.toString('latin1', at, at + n);
  }

  bytes(n: number): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  skip(n: number): void {
    if (this.pos + n > this.size) throw new EndOfFile();
    this.pos += n;
  }

  remaining(): number {
    return this.size - this.pos;
  }
}

/**
 * Reads a GGUF header (metadata and tensor infos) from an open file, without recursion and without
 * allocating more than the file itself could justify. Throws GgufReadError; a file that ends inside its
 * header is kind 'truncated'.
 */
export function readGgufHeader(fd: number, fileSize: number, options: ReadOptions = {}): GgufHeader {
  const r = new HeaderReader(fd, fileSize);
  try {
    return readFrom(r, fileSize, options.keepArray ?? keepForChecks);
  } catch (err) {
    if (err instanceof EndOfFile) {
      throw new GgufReadError('truncated', 'the file ends inside its header', { headerOffset: r.pos, actualBytes: fileSize });
    }
    throw err;
  }
}

export interface ReadOptions {
  /**
   * Which arrays keep their items (the others are only walked, and have values null). Defaults to what the
   * checks read: the vocabulary and short numeric arrays (per-layer counts); scores, merges and the like are
   * skipped, which keeps a 150k-token header fast.
   */
  keepArray?: (key: string, itemType: number, length: number) => boolean;
}

function keepForChecks(key: string, itemType: number, length: number): boolean {
  return key === 'tokenizer.ggml.tokens' || (itemType !== GgufType.STRING && length <= 4096);
}

function readFrom(r: HeaderReader, fileSize: number, keep: NonNullable<ReadOptions['keepArray']>): GgufHeader {
  if (fileSize < 4 || r.bytes(4).toString('latin1') !== 'GGUF') {
    throw new GgufReadError('invalid', 'it does not start with the GGUF signature', { fileSize });
  }
  const version = r.u32();
  if (version === 1) throw new GgufReadError('invalid', 'it uses GGUF version 1, which llama.cpp no longer reads', { version });
  if (version !== 2 && version !== 3) throw new GgufReadError('invalid', `it declares GGUF version ${version}, which is unknown`, { version });
  const tensorCount = count(r.u64(), MAX_TENSORS, () => new GgufReadError('invalid', 'the header claims an impossible number of tensors'));
  const kvCount = count(r.u64(), MAX_KV, () => new GgufReadError('invalid', 'the header claims an impossible number of metadata entries'));

  const stringLength = (what: () => string): number => {
    const at = r.pos;
    const len = r.length(MAX_STRING_BYTES);
    if (len === null) throw new GgufReadError('invalid', `${what()} has an impossible length`, { offset: at });
    return len;
  };
  const rawString = (what: () => string): Buffer => r.bytes(stringLength(what));

  const kv = new Map<string, GgufKv>();
  for (let i = 0; i < kvCount; i++) {
    const rawKey = rawString(() => `metadata key ${i + 1}`);
    const key = rawKey.toString('latin1');
    const label = printable(rawKey);
    if (key === '') throw new GgufReadError('metadata', `metadata entry ${i + 1} has an empty key`);
    if (kv.has(key)) throw new GgufReadError('metadata', `the metadata key ${label} appears twice`, { key: label });
    const type = r.u32();
    let value: GgufScalar | GgufArray;
    if (type === GgufType.ARRAY) {
      const itemType = r.u32();
      const length = count(r.u64(), MAX_ARRAY_ITEMS, () => new GgufReadError('metadata', `metadata ${label} claims an impossible number of items`, { key: label }));
      if (itemType === GgufType.ARRAY) {
        // llama.cpp cannot read arrays of arrays at all; refusing them here also means no nesting to walk.
        throw new GgufReadError('metadata', `metadata ${label} is an array of arrays, which llama.cpp does not read`, { key: label });
      }
      const itemSize = scalarSizes.get(itemType);
      if (itemSize === undefined && itemType !== GgufType.STRING) {
        throw new GgufReadError('metadata', `metadata ${label} has items of unknown type ${itemType}`, { key: label, itemType });
      }
      // The smallest an item can be on disk: a longer claim than the file holds is a cut file, found before allocating.
      if (length * (itemSize ?? 8) > r.remaining()) throw new EndOfFile();
      const what = (): string => `an item of metadata ${label}`;
      let values: GgufScalar[] | null = null;
      if (length <= MAX_KEPT_ITEMS && keep(key, itemType, length)) {
        values = [];
        for (let j = 0; j < length; j++) values.push(itemType === GgufType.STRING ? r.string(stringLength(what)) : readScalar(r, itemType));
      } else if (itemSize !== undefined) {
        r.skip(length * itemSize);
      } else {
        for (let j = 0; j < length; j++) r.skip(stringLength(what));
      }
      value = { itemType, length, values };
    } else if (type === GgufType.STRING) {
      value = rawString(() => `metadata ${label}`).toString('latin1');
    } else if (scalarSizes.has(type)) {
      value = readScalar(r, type);
    } else {
      throw new GgufReadError('metadata', `metadata ${label} has unknown value type ${type}`, { key: label, type });
    }
    kv.set(key, { key, label, type, value });
  }

  let alignment = 32;
  const align = kv.get('general.alignment');
  if (align !== undefined) {
    if (align.type !== GgufType.UINT32) throw new GgufReadError('metadata', 'general.alignment is not a uint32', { key: 'general.alignment' });
    alignment = align.value as number;
    if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
      throw new GgufReadError('metadata', `general.alignment is ${alignment}, not a power of two`, { key: 'general.alignment', alignment });
    }
  }

  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const rawName = rawString(() => `the name of tensor ${i + 1}`);
    const name = rawName.toString('latin1');
    const label = printable(rawName);
    const bad = (why: string): GgufReadError => new GgufReadError('tensor', `tensor ${label} ${why}`, { tensor: label });
    if (name === '') throw new GgufReadError('tensor', `tensor ${i + 1} has an empty name`);
    // Real tensor names are ASCII; anything else cannot name a tensor llama.cpp looks for.
    if (!rawName.every((b) => b >= 0x20 && b < 0x7f)) throw bad('has a name with bytes that are not printable text');
    if (rawName.length >= MAX_TENSOR_NAME) throw bad(`has a name of ${rawName.length} bytes (llama.cpp allows ${MAX_TENSOR_NAME - 1})`);
    if (names.has(name)) throw bad('appears twice');
    names.add(name);
    const nDims = r.u32();
    if (nDims < 1 || nDims > MAX_DIMS) throw bad(`has ${nDims} dimensions (1 to ${MAX_DIMS} allowed)`);
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const dim = count(r.u64(), Number.MAX_SAFE_INTEGER, () => bad('has an impossible shape'));
      if (dim === 0) throw bad(`has a dimension of size 0`);
      elements *= dim;
      if (elements > Number.MAX_SAFE_INTEGER) throw bad('has an impossible shape');
      dims.push(dim);
    }
    const ggmlType = r.u32();
    const offset = count(r.u64(), Number.MAX_SAFE_INTEGER, () => bad('has an impossible data offset'));
    tensors.push({ name, label, dims, ggmlType, offset });
  }
  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  return { version, kv, tensors, alignment, dataOffset, fileSize };
}

function readScalar(r: HeaderReader, type: number): GgufScalar {
  switch (type) {
    case GgufType.UINT8: return r.u8();
    case GgufType.INT8: return r.i8();
    case GgufType.UINT16: return r.u16();
    case GgufType.INT16: return r.i16();
    case GgufType.UINT32: return r.u32();
    case GgufType.INT32: return r.i32();
    case GgufType.FLOAT32: return r.f32();
    case GgufType.BOOL: return r.u8() !== 0;
    case GgufType.UINT64: return safe(r.u64());
    case GgufType.INT64: return safe(r.i64());
    case GgufType.FLOAT64: return r.f64();
    default: throw new Error(`not a scalar type: ${type}`);
  }
}

function safe(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

function count(v: bigint, max: number, fail: () => Error): number {
  if (v > BigInt(max)) throw fail();
  return Number(v);
}
