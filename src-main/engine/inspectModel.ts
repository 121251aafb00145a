import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { GgmlType, GgufFileType, readGgufFileInfo, resolveChatWrapper, type GgufFileInfo } from 'node-llama-cpp';
import { ReckonError } from '../common/errors';
import type { ModelInfo } from '../common/types';
import { classifyChatTemplate } from './classifyChatTemplate';
import { printable } from './gguf/printable';
import { checkGguf } from './ggufCheck';
import { kvBytesPerToken, type ArchMetadata } from './kvBytesPerToken';
import { sha256File } from './sha256File';

/**
 * Reads what a GGUF says about itself without loading weights: our own header check first (a bad
 * file gets a clear GGUF_* error), then node-llama-cpp's reader for the metadata, and the file's
 * sha256 (streamed) for a stable id.
 */
export async function inspectModel(path: string): Promise<Omit<ModelInfo, 'bundled' | 'addedAt'>> {
  checkGguf(path);
  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(path, { logWarnings: false, spliceSplitFiles: false });
  } catch (err) {
    // The reader's message may quote names from the file: keep it printable.
    const why = printable(String((err as Error)?.message ?? err), 300);
    throw new ReckonError('GGUF_INVALID', `${printable(basename(path))} could not be read as a GGUF model: ${why}`, { path });
  }
  const sha256 = await sha256File(path);
  const meta = info.metadata;
  const template = meta.tokenizer?.chat_template;
  const vocabulary = meta.tokenizer?.ggml?.tokens;
  let resolved = null;
  try {
    resolved = template === undefined ? null : resolveChatWrapper({ fileInfo: info, filename: basename(path), warningLogs: false });
  } catch {
    resolved = null; // an unparsable template still leaves the model usable with a plain wrapper
  }
  const cls = classifyChatTemplate(template, vocabulary, resolved);
  const arch = info.architectureMetadata as ArchMetadata | undefined;
  const kv = kvBytesPerToken(arch);
  return {
    id: sha256.slice(0, 16),
    name: nonEmpty(meta.general?.name) ?? basename(path).replace(/\.gguf$/i, ''),
    path,
    sizeBytes: statSync(path).size,
    sha256,
    architecture: String(meta.general?.architecture ?? 'unknown'),
    parameters: countParameters(info),
    quantization: quantizationName(info),
    contextLength: typeof arch?.context_length === 'number' ? arch.context_length : null,
    ...(kv !== null ? { kvBytesPerToken: kv } : {}),
    chatTemplate: cls.family,
    thinking: cls.thinking,
  };
}

function nonEmpty(s: unknown): string | undefined {
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : undefined;
}

function countParameters(info: GgufFileInfo): number | null {
  if (!info.fullTensorInfo || info.fullTensorInfo.length === 0) return null;
  let total = 0;
  for (const t of info.fullTensorInfo) total += t.dimensions.reduce<number>((p, d) => p * Number(d), 1);
  return total;
}

/** general.file_type's name (Q4_K_M, F16...), else the type most of the weights are stored in. */
function quantizationName(info: GgufFileInfo): string {
  const fileType = info.metadata.general?.file_type;
  if (typeof fileType === 'number' && GgufFileType[fileType] !== undefined) {
    return GgufFileType[fileType].replace(/^(MOSTLY|ALL)_/, '');
  }
  const bytesByType = new Map<number, number>();
  for (const t of info.fullTensorInfo ?? []) {
    const n = t.dimensions.reduce<number>((p, d) => p * Number(d), 1);
    bytesByType.set(t.ggmlType, (bytesByType.get(t.ggmlType) ?? 0) + n);
  }
  let best: number | undefined;
  for (const [type, n] of bytesByType) if (best === undefined || n > (bytesByType.get(best) ?? 0)) best = type;
  return best === undefined ? 'unknown' : (GgmlType[best] ?? `type ${best}`);
}
