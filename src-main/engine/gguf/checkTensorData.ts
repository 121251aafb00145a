import { ggmlTypeNames, ggmlTypeSizes } from '../ggmlTypeSizes';
import { GgufReadError, type GgufHeader } from './readGgufHeader';

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
    const elements = t.dims.reduce((a, b) => a * b, 1);
    const bytes = (elements / blockElements) * blockBytes;
    if (t.offset % h.alignment !== 0) throw bad(`starts at data offset ${t.offset}, which is not aligned to ${h.alignment} bytes`, { offset: t.offset });
    if (t.offset !== expected) {
      throw bad(t.offset < expected
        ? `starts at data offset ${t.offset}, inside the tensor before it (which ends at ${expected})`
        : `starts at data offset ${t.offset} where llama.cpp expects ${expected}`, { offset: t.offset, expected });
    }
    const end = t.offset + bytes;
    if (!Number.isSafeInteger(end)) throw bad('is impossibly large');
    dataEnd = Math.max(dataEnd, end);
    expected = Math.ceil(end / h.alignment) * h.alignment;
  }
  return { dataEnd };
}
