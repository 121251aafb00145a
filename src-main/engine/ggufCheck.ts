import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { ReckonError } from '../common/errors';
import { ggmlTypeSizes } from './ggmlTypeSizes';

/** What the header check learned about a GGUF file. */
export interface GgufHeaderSummary {
  version: number;
  tensorCount: number;
  kvCount: number;
  /** Data alignment in bytes (general.alignment, defaults to 32). */
  alignment: number;
  /** Byte offset where the tensor data section starts. */
  dataOffset: number;
  /** Byte offset where the last tensor ends; null when a tensor type is unknown to this check. */
  dataEnd: number | null;
  fileSize: number;
}

// Limits far above any real model; a header beyond them is garbage, and reading it on would only
// allocate absurd amounts or loop for ages (llama.cpp itself may abort on such a header).
const MAX_TENSORS = 1_000_000;
const MAX_KV = 1_000_000;
const MAX_STRING_BYTES = 1 << 30;
const MAX_ARRAY_ITEMS = 1 << 30;
const MAX_DIMS = 4;
const CHUNK = 1 << 20;

/** Sizes of the fixed-size GGUF value types, by type id. */
const scalarSizes: ReadonlyMap<number, number> = new Map([
  [0, 1], [1, 1], [2, 2], [3, 2], [4, 4], [5, 4], [6, 4], [7, 1], [10, 8], [11, 8], [12, 8],
]);
const TYPE_STRING = 8;
const TYPE_ARRAY = 9;

class EndOfFile extends Error {}

/** Buffered synchronous reader: headers are small and this keeps the parser simple and fast. */
class HeaderReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;

  constructor(private readonly fd: number, readonly size: number) {}

  private ensure(n: number): number {
    const rel = this.pos - this.bufStart;
    if (rel + n <= this.buf.length) return rel;
    if (this.pos + n > this.size) throw new EndOfFile();
    const len = Math.min(Math.max(n, CHUNK), this.size - this.pos);
    const next = Buffer.alloc(len);
    const got = readSync(this.fd, next, 0, len, this.pos);
    if (got < n) throw new EndOfFile();
    this.buf = next.subarray(0, got);
    this.bufStart = this.pos;
    return 0;
  }

  u32(): number {
    const at = this.ensure(4);
    this.pos += 4;
    return this.buf.readUInt32LE(at);
  }

  u64(): bigint {
    const at = this.ensure(8);
    this.pos += 8;
    return this.buf.readBigUInt64LE(at);
  }

  bytes(n: number): Buffer {
    const at = this.ensure(n);
    this.pos += n;
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
 * Checks a GGUF file's header before llama.cpp touches it: magic, version, metadata and tensor
 * infos, and that the data section the header describes fits in the file.
 * Throws ReckonError MODEL_NOT_FOUND / GGUF_INVALID / GGUF_TRUNCATED with a sentence a user can read.
 */
export function checkGguf(path: string): GgufHeaderSummary {
  const name = basename(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReckonError(code === 'ENOENT' ? 'MODEL_NOT_FOUND' : 'IO_ERROR',
      code === 'ENOENT' ? `The model file ${name} does not exist.` : `The model file ${name} cannot be read (${code ?? 'error'}).`,
      { path });
  }
  try {
    const size = fstatSync(fd).size;
    const r = new HeaderReader(fd, size);
    const invalid = (why: string, details: Record<string, unknown> = {}): ReckonError =>
      new ReckonError('GGUF_INVALID', `${name} is not a usable GGUF model: ${why}.`, { path, ...details });
    try {
      if (size < 4 || r.bytes(4).toString('latin1') !== 'GGUF') {
        throw invalid('it does not start with the GGUF signature', { fileSize: size });
      }
      const version = r.u32();
      if (version === 1) throw invalid('it uses GGUF version 1, which llama.cpp no longer reads', { version });
      if (version !== 2 && version !== 3) throw invalid(`it declares GGUF version ${version}, which is unknown`, { version });
      const tensorCount = toSafe(r.u64(), MAX_TENSORS, () => invalid('the header claims an impossible number of tensors'));
      const kvCount = toSafe(r.u64(), MAX_KV, () => invalid('the header claims an impossible number of metadata entries'));

      const readString = (): string => {
        const len = toSafe(r.u64(), MAX_STRING_BYTES, () => invalid('a metadata string has an impossible length', { offset: r.pos }));
        return r.bytes(len).toString('utf8');
      };
      const skipString = (): void => {
        const len = toSafe(r.u64(), MAX_STRING_BYTES, () => invalid('a metadata string has an impossible length', { offset: r.pos }));
        r.skip(len);
      };

      function skipValue(type: number, key: string): void {
        const fixed = scalarSizes.get(type);
        if (fixed !== undefined) return r.skip(fixed);
        if (type === TYPE_STRING) {
          const len = toSafe(r.u64(), MAX_STRING_BYTES, () => invalid(`metadata ${key} has an impossible length`));
          return r.skip(len);
        }
        if (type === TYPE_ARRAY) {
          const itemType = r.u32();
          const count = toSafe(r.u64(), MAX_ARRAY_ITEMS, () => invalid(`metadata ${key} claims an impossible number of items`, { key }));
          const itemSize = scalarSizes.get(itemType);
          if (itemSize !== undefined) {
            if (count * itemSize > r.remaining()) throw new EndOfFile();
            return r.skip(count * itemSize);
          }
          if (itemType === TYPE_STRING) {
            if (count * 8 > r.remaining()) throw new EndOfFile();
            for (let i = 0; i < count; i++) skipString();
            return;
          }
          if (itemType === TYPE_ARRAY) {
            for (let i = 0; i < count; i++) skipValue(TYPE_ARRAY, key);
            return;
          }
          throw invalid(`metadata ${key} has an unknown item type ${itemType}`, { key, itemType });
        }
        throw invalid(`metadata ${key} has an unknown value type ${type}`, { key, type });
      }

      let alignment = 32;
      for (let i = 0; i < kvCount; i++) {
        const key = readString();
        const type = r.u32();
        if (key === 'general.alignment') {
          if (type !== 4) throw invalid('general.alignment is not a uint32');
          alignment = r.u32();
          if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
            throw invalid(`its alignment ${alignment} is not a power of two`, { alignment });
          }
          continue;
        }
        skipValue(type, key);
      }

      let dataEnd: number | null = 0;
      for (let i = 0; i < tensorCount; i++) {
        const tensorName = readString();
        const nDims = r.u32();
        if (nDims < 1 || nDims > MAX_DIMS) throw invalid(`tensor ${tensorName} has ${nDims} dimensions`, { tensor: tensorName });
        let elements = 1;
        for (let d = 0; d < nDims; d++) {
          const dim = toSafe(r.u64(), Number.MAX_SAFE_INTEGER, () => invalid(`tensor ${tensorName} has an impossible shape`));
          elements *= dim;
          if (elements > Number.MAX_SAFE_INTEGER) throw invalid(`tensor ${tensorName} has an impossible shape`, { tensor: tensorName });
        }
        const ggmlType = r.u32();
        const offset = toSafe(r.u64(), Number.MAX_SAFE_INTEGER, () => invalid(`tensor ${tensorName} has an impossible offset`));
        if (offset % alignment !== 0) throw invalid(`tensor ${tensorName} is not aligned`, { tensor: tensorName, offset, alignment });
        const layout = ggmlTypeSizes.get(ggmlType);
        if (layout === undefined) {
          dataEnd = null; // a type newer than this table: the size check is skipped, not failed
          continue;
        }
        const [blockElements, blockBytes] = layout;
        if (elements % blockElements !== 0) {
          throw invalid(`tensor ${tensorName} does not fill whole quantisation blocks`, { tensor: tensorName });
        }
        const end = offset + (elements / blockElements) * blockBytes;
        if (dataEnd !== null && end > dataEnd) dataEnd = end;
      }

      const dataOffset = Math.ceil(r.pos / alignment) * alignment;
      const absoluteEnd = dataEnd === null ? null : dataOffset + dataEnd;
      if (absoluteEnd !== null && absoluteEnd > size) {
        throw new ReckonError('GGUF_TRUNCATED',
          `${name} is incomplete: its header describes ${formatBytes(absoluteEnd)} of data but the file has only ` +
            `${formatBytes(size)}. The download or copy was probably cut short.`,
          { path, expectedBytes: absoluteEnd, actualBytes: size, missingBytes: absoluteEnd - size });
      }
      return { version, tensorCount, kvCount, alignment, dataOffset, dataEnd: absoluteEnd, fileSize: size };
    } catch (err) {
      if (err instanceof EndOfFile) {
        throw new ReckonError('GGUF_TRUNCATED',
          `${name} is incomplete: the file ends inside its header (${formatBytes(size)}). The download or copy was probably cut short.`,
          { path, actualBytes: size, headerOffset: r.pos });
      }
      throw err;
    }

  } finally {
    closeSync(fd);
  }
}

function toSafe(v: bigint, max: number, fail: () => Error): number {
  if (v > BigInt(max)) throw fail();
  return Number(v);
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
