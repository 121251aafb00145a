import { closeSync, openSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { ModelInfo } from '../../common/types';
import { checkGguf } from '../ggufCheck';
import { readGgufHeader, type GgufArray, type GgufScalar } from '../gguf/readGgufHeader';
import { sha256File } from '../sha256File';

/**
 * What the remote engine says about a local GGUF (the host registers models through `inspect`): Reckon's own header
 * check and reader plus the file's sha256, without node-llama-cpp. It knows less than the built-in engine's
 * inspect: no parameter count or quantisation name ('unknown'), and the template family only for ChatML.
 */
export async function describeLocalModel(path: string): Promise<Omit<ModelInfo, 'bundled' | 'addedAt'>> {
  const summary = checkGguf(path); // a bad file gets its GGUF_* code here, as with the built-in engine
  const fd = openSync(path, 'r');
  let kv: ReadonlyMap<string, { value: GgufScalar | GgufArray }>;
  try {
    kv = readGgufHeader(fd, summary.fileSize).kv;
  } finally {
    closeSync(fd);
  }
  const str = (k: string): string | undefined => {
    const v = kv.get(k)?.value;
    return typeof v === 'string' && v.trim() !== '' ? v : undefined;
  };
  const tokens = kv.get('tokenizer.ggml.tokens')?.value;
  const vocab = new Set(typeof tokens === 'object' && tokens !== null && 'values' in tokens ? (tokens.values ?? []).map(String) : []);
  const template = str('tokenizer.chat_template');
  const think = vocab.has('<think>') && vocab.has('</think>');
  const family = template === undefined ? 'none' : template.includes('<|im_start|>') ? (think ? 'chatml-think' : 'chatml') : 'template';
  const sha256 = await sha256File(path);
  return {
    id: sha256.slice(0, 16),
    name: str('general.name')?.trim() ?? basename(path).replace(/\.gguf$/i, ''),
    path,
    sizeBytes: statSync(path).size,
    sha256,
    architecture: summary.architecture,
    parameters: null,
    quantization: 'unknown',
    contextLength: summary.contextLength,
    chatTemplate: family,
    thinking: family === 'chatml-think',
  };
}
