/** The GGUF architecture metadata fields the engine reads (node-llama-cpp's architectureMetadata). */
export interface ArchMetadata {
  context_length?: number;
  block_count?: number;
  embedding_length?: number;
  attention?: { head_count?: number | number[]; head_count_kv?: number | number[]; key_length?: number; value_length?: number };
}

/**
 * Bytes of KV cache per token (llama.cpp's default F16 cache): layers x (key + value length) x KV heads x 2.
 * Key and value lengths default to embedding / heads; a per-layer head count takes its largest. Null when the
 * header lacks a dimension.
 */
export function kvBytesPerToken(arch: ArchMetadata | undefined): number | null {
  const most = (v: number | number[] | undefined): number | undefined => (Array.isArray(v) ? (v.length ? Math.max(...v) : undefined) : v);
  const layers = arch?.block_count, embd = arch?.embedding_length, heads = most(arch?.attention?.head_count);
  const kvHeads = most(arch?.attention?.head_count_kv) ?? heads;
  if (!layers || !embd || !heads || !kvHeads) return null;
  const k = arch?.attention?.key_length ?? embd / heads, v = arch?.attention?.value_length ?? embd / heads;
  return Math.round(layers * (k + v) * kvHeads * 2);
}
