import { closeSync, fstatSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import { ReckonError, type ErrorCode } from '../common/errors';
import { checkModelMetadata } from './gguf/checkModelMetadata';
import { checkTensorData } from './gguf/checkTensorData';
import { printable } from './gguf/printable';
import { GgufReadError, readGgufHeader } from './gguf/readGgufHeader';

/** What the header check learned about a GGUF file. */
export interface GgufHeaderSummary {
  version: number;
  tensorCount: number;
  kvCount: number;
  /** Data alignment in bytes (general.alignment, defaults to 32). */
  alignment: number;
  /** Byte offset where the tensor data section starts. */
  dataOffset: number;
  /** Byte offset where the last tensor ends (every tensor type is known once the check passes). */
  dataEnd: number | null;
  fileSize: number;
  /** general.architecture. */
  architecture: string;
  /** Tokens in the vocabulary; null when the file does not say. */
  vocabSize: number | null;
  /** The context length the model was trained with ({arch}.context_length). */
  contextLength: number;
  /** Transformer layers ({arch}.block_count). */
  blockCount: number;
}

const codeOf: Record<GgufReadError['kind'], ErrorCode> = {
  invalid: 'GGUF_INVALID',
  truncated: 'GGUF_TRUNCATED',
  metadata: 'GGUF_BAD_METADATA',
  tensor: 'GGUF_BAD_TENSOR',
};

/**
 * Checks a GGUF file before llama.cpp touches it: magic, version, metadata, every hyperparameter and tensor
 * info llama.cpp would assert on or index with, and that the data section fits in the file. llama.cpp aborts
 * the whole process on some of these, so nothing it would trip on may pass.
 * Throws ReckonError MODEL_NOT_FOUND / IO_ERROR / GGUF_INVALID / GGUF_TRUNCATED / GGUF_BAD_METADATA /
 * GGUF_BAD_TENSOR with one sentence that names the file and the field.
 */
export function checkGguf(path: string): GgufHeaderSummary {
  const name = printable(basename(path));
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
    return checkOpen(fd, path, name);
  } finally {
    closeSync(fd);
  }
}

function checkOpen(fd: number, path: string, name: string): GgufHeaderSummary {
  const size = fstatSync(fd).size;
  try {
    const header = readGgufHeader(fd, size);
    const model = checkModelMetadata(header);
    const { dataEnd } = checkTensorData(header);
    const absoluteEnd = header.dataOffset + dataEnd;
    if (absoluteEnd > size) {
      throw new ReckonError('GGUF_TRUNCATED',
        `${name} is incomplete: its header describes ${formatBytes(absoluteEnd)} of data but the file has only ` +
          `${formatBytes(size)}. The download or copy was probably cut short.`,
        { path, expectedBytes: absoluteEnd, actualBytes: size, missingBytes: absoluteEnd - size });
    }
    return {
      version: header.version, tensorCount: header.tensors.length, kvCount: header.kv.size, alignment: header.alignment,
      dataOffset: header.dataOffset, dataEnd: absoluteEnd, fileSize: size, ...model,
    };
  } catch (err) {
    if (!(err instanceof GgufReadError)) throw err;
    if (err.kind === 'truncated') {
      throw new ReckonError('GGUF_TRUNCATED',
        `${name} is incomplete: the file ends inside its header (${formatBytes(size)}). The download or copy was probably cut short.`,
        { path, ...err.details });
    }
    const lead = err.kind === 'invalid' ? 'is not a usable GGUF model' : 'cannot be loaded';
    throw new ReckonError(codeOf[err.kind], `${name} ${lead}: ${err.message}.`, { path, ...err.details });
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
