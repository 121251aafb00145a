import { ggmlTypeNames, ggmlTypeSizes } from '../ggmlTypeSizes';
import { GgufReadError, type GgufHeader } from './readGgufHeader';

/** ggml's TENSOR_ALIGNMENT: memory-mapped weights whose address is not a multiple of it abort llama.cpp. */
const GGML_TENSOR_ALIGNMENT = 32;
const F32 = 0;

/** Where each tensor's bytes lie, relative to the data section. */
export interface TensorLayout {
  /** Byte offset where the last tensor ends, relative to the data section. */
  dataEnd: number;
}

/**
 * Checks every tensor's type, byte size and offset the way llama.cpp lays the data section out: types it
 * knows, rows that fill whole blocks, and each tensor starting exactly where the previous one ends (padded to
 * the alignment) - which also rules out overlaps and offsets past the end.
 */
export function checkTensorData(h: GgufHeader): TensorLayout {
  let expected = 0;
  let dataEnd = 0;
  for (const t of h.tensors) {
    const bad = (why: string, details: Record<string, unknown> = {}): GgufReadError =>
      new GgufReadError('tensor', `tensor ${t.label} ${why}`, { tensor: t.label, ...details });
    const layout = ggmlTypeSizes.get(t.ggmlType);
    if (layout === undefined) throw bad(`has tensor type ${t.ggmlType}, which this llama.cpp does not know`, { ggmlType: t.ggmlType });
    const [blockElements, blockBytes] = layout;
    if ((t.dims[0] as number) % blockElements !== 0) {
      throw bad(`has rows of ${t.dims[0]} values, not a whole number of ${ggmlTypeNames.get(t.ggmlType)} blocks (${blockElements})`);
    }
    // Norm weights and biases are multiplied into F32 activations, and ggml's CPU ops abort on any other
    // type for them ("binary_op: unsupported types"); converters always store 1-D tensors as F32.
    if (t.dims.length === 1 && t.ggmlType !== F32) {
      throw bad(`is a 1-D tensor stored as ${ggmlTypeNames.get(t.ggmlType)}, but llama.cpp needs F32 for it`, { ggmlType: t.ggmlType });
    }
    const elements = t.dims.reduce((a, b) => a * b, 1);
    const bytes = (elements / blockElements) * blockBytes;
    if (t.offset % h.alignment !== 0) throw bad(`starts at data offset ${t.offset}, which is not aligned to ${h.alignment} bytes`, { offset: t.offset });
    if (t.offset !== expected) {
      throw bad(t.offset < expected
        ? `starts at data offset ${t.offset}, inside the tensor before it (which ends at ${expected})`
        : `starts at data offset ${t.offset} where llama.cpp expects ${expected}`, { offset: t.offset, expected });
    }
    const absolute = h.dataOffset + t.offset;
    if (absolute % GGML_TENSOR_ALIGNMENT !== 0) {
      throw bad(`starts at file byte ${absolute}, which is not a multiple of ${GGML_TENSOR_ALIGNMENT} (general.alignment ${h.alignment} is too small for llama.cpp)`, { offset: absolute });
    }
    const end = t.offset + bytes;
    if (!Number.isSafeInteger(end)) throw bad('is impossibly large');
    dataEnd = Math.max(dataEnd, end);
    expected = Math.ceil(end / h.alignment) * h.alignment;
  }
  return { dataEnd };
}
