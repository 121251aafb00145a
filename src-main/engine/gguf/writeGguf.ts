import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { GgufType, readGgufHeader, type GgufArray, type GgufScalar } from './readGgufHeader';

/** One metadata entry to write: a typed value, or `raw` bytes (type id and value) written as they are. */
export type GgufKvEntry =
  | { key: string | Buffer; type: number; value: GgufScalar | GgufArray }
  | { key: string | Buffer; raw: Buffer };

export interface GgufTensorEntry {
  name: string | Buffer;
  dims: (number | bigint)[];
  ggmlType: number;
  offset: number | bigint;
}

/** A GGUF file as parts, for tests and the damaged-file campaign: every field may be set to anything. */
export interface GgufDocument {
  version: number;
  kv: GgufKvEntry[];
  tensors: GgufTensorEntry[];
  /** Pads the header to this before the data section. Defaults to 32. */
  alignment?: number;
  /** The data section. */
  data: Buffer;
  /** Counts written into the header instead of the real ones (to lie about them). */
  tensorCountOverride?: bigint;
  kvCountOverride?: bigint;
}

/** Reads a well-formed GGUF into a document (values of every metadata array kept). */
export function readGgufDocument(path: string): GgufDocument {
  const fd = openSync(path, 'r');
  try {
    const h = readGgufHeader(fd, fstatSync(fd).size, { keepArray: () => true });
    const file = readFileSync(path);
    return {
      version: h.version,
      kv: [...h.kv.values()].map((e) => ({ key: e.key, type: e.type, value: e.value })),
      tensors: h.tensors.map((t) => ({ name: t.name, dims: [...t.dims], ggmlType: t.ggmlType, offset: t.offset })),
      alignment: h.alignment,
      data: file.subarray(h.dataOffset),
    };
  } finally {
    closeSync(fd);
  }
}

/** Serialises a document; nothing is validated, so a test can write exactly the damage it means. */
export function writeGguf(doc: GgufDocument): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(24);
  head.write('GGUF', 0, 'latin1');
  head.writeUInt32LE(doc.version, 4);
  head.writeBigUInt64LE(doc.tensorCountOverride ?? BigInt(doc.tensors.length), 8);
  head.writeBigUInt64LE(doc.kvCountOverride ?? BigInt(doc.kv.length), 16);
  parts.push(head);
  for (const e of doc.kv) {
    parts.push(str(e.key));
    if ('raw' in e) {
      parts.push(e.raw);
      continue;
    }
    parts.push(u32(e.type));
    if (e.type === GgufType.ARRAY) {
      const a = e.value as GgufArray;
      parts.push(u32(a.itemType), u64(a.values?.length ?? a.length));
      for (const v of a.values ?? []) parts.push(scalar(a.itemType, v));
    } else {
      parts.push(scalar(e.type, e.value as GgufScalar));
    }
  }
  for (const t of doc.tensors) {
    parts.push(str(t.name), u32(t.dims.length));
    for (const d of t.dims) parts.push(u64(d));
    parts.push(u32(t.ggmlType), u64(t.offset));
  }
  const headerLength = parts.reduce((n, b) => n + b.length, 0);
  const alignment = doc.alignment ?? 32;
  parts.push(Buffer.alloc((alignment - (headerLength % alignment)) % alignment), doc.data);
  return Buffer.concat(parts);
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

function u64(v: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
  return b;
}

function str(s: string | Buffer): Buffer {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'latin1') : s; // byte strings, as the reader gives them
  return Buffer.concat([u64(bytes.length), bytes]);
}

/** Encodes one value as `type`; a value of another JS type is coerced (the campaign writes wrong types on purpose). */
export function scalar(type: number, v: GgufScalar): Buffer {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? Number(v) : typeof v === 'string' ? Number.NaN : v;
  const b = Buffer.alloc(8);
  switch (type) {
    case GgufType.UINT8: b.writeUInt8(n & 0xff); return b.subarray(0, 1);
    case GgufType.INT8: b.writeInt8(((n & 0xff) << 24) >> 24); return b.subarray(0, 1);
    case GgufType.UINT16: b.writeUInt16LE(n & 0xffff); return b.subarray(0, 2);
    case GgufType.INT16: b.writeInt16LE(((n & 0xffff) << 16) >> 16); return b.subarray(0, 2);
    case GgufType.UINT32: b.writeUInt32LE(n >>> 0); return b.subarray(0, 4);
    case GgufType.INT32: b.writeInt32LE(n | 0); return b.subarray(0, 4);
    case GgufType.FLOAT32: b.writeFloatLE(n); return b.subarray(0, 4);
    case GgufType.BOOL: b.writeUInt8(n ? 1 : 0); return b.subarray(0, 1);
    case GgufType.STRING: return str(String(v));
    case GgufType.UINT64: b.writeBigUInt64LE(BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(Number.isFinite(n) ? n : 0)))); return b;
    case GgufType.INT64: b.writeBigInt64LE(BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(Number.isFinite(n) ? n : 0)))); return b;
    case GgufType.FLOAT64: b.writeDoubleLE(n); return b;
    default: throw new Error(`cannot encode GGUF type ${type}`);
  }
}
