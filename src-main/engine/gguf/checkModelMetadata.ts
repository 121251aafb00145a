import { architectures, type ArchitectureSpec } from './architectures';
import { byteString, GgufReadError, GgufType, type GgufArray, type GgufHeader, type GgufKv, type GgufTensorInfo } from './readGgufHeader';
import { printable } from './printable';

/** What the metadata check learned; the caller reports it. */
export interface ModelMetadata {
  architecture: string;
  /** Token count: the tokenizer's list, else the vocab_size key, else token_embd's rows; null when none says. */
  vocabSize: number | null;
  contextLength: number;
  blockCount: number;
}

// Bounds far above any real model and far below what makes llama.cpp allocate absurdly or index out of range.
const MIN_CONTEXT = 64;
const MAX_CONTEXT = 1 << 27;
const MAX_EMBEDDING = 1 << 16;
/** llama.cpp's LLAMA_MAX_LAYERS. */
const MAX_LAYERS = 512;
/** llama.cpp's LLAMA_MAX_EXPERTS. */
const MAX_EXPERTS = 1024;
const MAX_HEADS = 1 << 14;
const MAX_FF = 1 << 20;
const MAX_VOCAB = 1 << 22;
/** llama.cpp's token id meaning "none" (-1 stored as uint32). */
const NO_TOKEN = 0xffffffff;
/** llama.cpp's rope scaling names; any other value trips an assertion. */
const ropeScalingTypes = new Set(['none', 'linear', 'yarn', 'longrope']);

/** llama.cpp's tokenizer names (tokenizer.ggml.model); any other stops the load. */
const tokenizerModels = new Set(['no_vocab', 'none', 'llama', 'bert', 'gpt2', 'hybriddna', 'whitespace', 't5', 'rwkv',
  'test', 'plamo2', 'gemma4']);
/** Keys llama.cpp reads with a fixed type (a value of another type stops the load). */
const fixedTypes: [RegExp, number][] = [
  [/^general\.(name|architecture)$/, GgufType.STRING],
  [/^general\.(file_type|quantization_version|alignment)$/, GgufType.UINT32],
  [/^tokenizer\.(ggml\.model|ggml\.pre|chat_template)$/, GgufType.STRING],
  [/^tokenizer\.ggml\.(add_bos_token|add_eos_token|add_sep_token|add_space_prefix|remove_extra_whitespaces)$/, GgufType.BOOL],
  [/^tokenizer\.ggml\.[a-z_]+_token_id$/, GgufType.UINT32],
];

const typeNames = new Map<number, string>(Object.entries(GgufType).map(([k, v]) => [v, k.toLowerCase()]));

const bad = (why: string, details: Record<string, unknown> = {}): GgufReadError => new GgufReadError('metadata', why, details);
const badTensor = (why: string, details: Record<string, unknown> = {}): GgufReadError => new GgufReadError('tensor', why, details);

/**
 * Checks the hyperparameters, tokenizer and tensor shapes llama.cpp would assert on (or divide by, or index
 * with) while loading. Throws GgufReadError of kind 'metadata' or 'tensor', one sentence naming the field.
 */
export function checkModelMetadata(h: GgufHeader): ModelMetadata {
  const meta = new Meta(h.kv);
  for (const [key, kv] of h.kv) {
    const fixed = fixedTypes.find(([re]) => re.test(key));
    if (fixed !== undefined && kv.type !== fixed[1]) {
      throw bad(`${kv.label} is a ${meta.typeName(kv)}, but llama.cpp reads it as a ${typeNames.get(fixed[1])}`, { key: kv.label });
    }
  }
  const archKv = h.kv.get('general.architecture');
  if (archKv === undefined) throw bad('general.architecture is missing, so llama.cpp cannot tell what model it is', { key: 'general.architecture' });
  if (typeof archKv.value !== 'string') throw bad(`general.architecture is a ${meta.typeName(archKv)}, not a string`, { key: 'general.architecture' });
  const arch = archKv.value;
  const archLabel = printable(byteString(arch));
  if (arch === '' || archLabel !== arch) throw bad(`general.architecture "${archLabel}" is not a valid architecture name`, { key: 'general.architecture' });
  const spec = architectures.get(arch);
  const p = `${arch}.`;

  const contextLength = meta.uint(`${p}context_length`, true, MIN_CONTEXT, MAX_CONTEXT) as number;
  const nEmbd = meta.uint(`${p}embedding_length`, true, 1, MAX_EMBEDDING) as number;
  const nLayer = meta.uint(`${p}block_count`, true, 1, MAX_LAYERS) as number;

  const nExpert = meta.uint(`${p}expert_count`, false, 0, MAX_EXPERTS) ?? 0;
  const nExpertUsed = meta.perLayer(`${p}expert_used_count`, nLayer, 0, MAX_EXPERTS);
  const usedMax = nExpertUsed === null ? 0 : Math.max(...nExpertUsed);
  if (usedMax > nExpert) throw bad(`${p}expert_used_count is ${usedMax} but the model has ${nExpert} experts`, { key: `${p}expert_used_count` });
  if (nExpert > 0 && usedMax === 0) throw bad(`${p}expert_used_count must be at least 1 in a model with experts`, { key: `${p}expert_used_count` });

  const nFf = meta.perLayer(`${p}feed_forward_length`, nLayer, 0, MAX_FF);
  const nHead = meta.perLayer(`${p}attention.head_count`, nLayer, 0, MAX_HEADS);
  const nHeadKv = meta.perLayer(`${p}attention.head_count_kv`, nLayer, 0, MAX_HEADS) ?? nHead;
  const keyLength = meta.uint(`${p}attention.key_length`, false, 1, MAX_EMBEDDING);
  const valueLength = meta.uint(`${p}attention.value_length`, false, 1, MAX_EMBEDDING);

  if (spec !== undefined) {
    if (nHead === null) throw bad(`${p}attention.head_count is missing`, { key: `${p}attention.head_count` });
    if (nFf === null && nExpert === 0) throw bad(`${p}feed_forward_length is missing`, { key: `${p}feed_forward_length` });
  }
  // Head counts: 0 means "no attention" only in architectures llama.cpp knows to have such layers.
  if (nHead !== null && nHeadKv !== null) {
    for (let i = 0; i < nLayer; i++) {
      const h = nHead[i] as number, kv = nHeadKv[i] as number;
      if (spec !== undefined && h === 0) throw bad(`${p}attention.head_count is 0${layerNote(nHead, i)}; it must be at least 1`, { key: `${p}attention.head_count` });
      if (spec !== undefined && kv === 0) throw bad(`${p}attention.head_count_kv is 0${layerNote(nHeadKv, i)}; it must be at least 1`, { key: `${p}attention.head_count_kv` });
      if (kv > 0 && h % kv !== 0) {
        throw bad(`${p}attention.head_count_kv (${kv}) does not divide ${p}attention.head_count (${h})${layerNote(nHead, i)}`, { key: `${p}attention.head_count_kv` });
      }
    }
  }
  const head0 = nHead?.[0] ?? 0;
  if (head0 > 0 && keyLength === undefined && nEmbd % head0 !== 0) {
    throw bad(`${p}attention.head_count (${head0}) does not divide ${p}embedding_length (${nEmbd})`, { key: `${p}attention.head_count` });
  }
  if (spec !== undefined && nExpert === 0 && nFf !== null) {
    const i = nFf.indexOf(0);
    if (i >= 0) throw bad(`${p}feed_forward_length is 0${layerNote(nFf, i)}; it must be at least 1`, { key: `${p}feed_forward_length` });
  }
  const headK = keyLength ?? (head0 > 0 ? nEmbd / head0 : 0);
  const headV = valueLength ?? (head0 > 0 ? nEmbd / head0 : 0);

  for (const [key, kv] of h.kv) {
    if (!key.startsWith(p) || !key.endsWith('_epsilon')) continue;
    const v = meta.float(key, true) as number;
    if (!Number.isFinite(v) || v <= 0 || v >= 1) throw bad(`${kv.label} is ${v}; it must be a small positive number`, { key: kv.label });
  }
  if (spec?.rmsEpsilon === true && !h.kv.has(`${p}attention.layer_norm_rms_epsilon`)) {
    throw bad(`${p}attention.layer_norm_rms_epsilon is missing`, { key: `${p}attention.layer_norm_rms_epsilon` });
  }
  const ropeDims = meta.uint(`${p}rope.dimension_count`, false, 0, MAX_EMBEDDING);
  if (ropeDims !== undefined && headK > 0) {
    if (ropeDims === 0 || ropeDims % 2 !== 0 || ropeDims > headK) {
      throw bad(`${p}rope.dimension_count is ${ropeDims}; it must be even and between 2 and the head size ${headK}`, { key: `${p}rope.dimension_count` });
    }
    if (spec?.ropeIsHeadSize === true && ropeDims !== headK) {
      throw bad(`${p}rope.dimension_count is ${ropeDims} but this architecture needs the head size ${headK}`, { key: `${p}rope.dimension_count` });
    }
  }
  for (const key of [`${p}rope.freq_base`, `${p}rope.freq_base_swa`]) {
    const base = meta.float(key, false);
    if (base !== undefined && (!Number.isFinite(base) || base <= 0)) throw bad(`${key} is ${base}; it must be a positive number`, { key });
  }
  const scale = meta.float(`${p}rope.scaling.factor`, false);
  if (scale !== undefined && (!Number.isFinite(scale) || scale < 0)) throw bad(`${p}rope.scaling.factor is ${scale}; it must be 0 or positive`, { key: `${p}rope.scaling.factor` });
  const scalingType = meta.string(`${p}rope.scaling.type`);
  if (scalingType !== undefined && !ropeScalingTypes.has(scalingType)) {
    throw bad(`${p}rope.scaling.type is "${printable(byteString(scalingType))}", which llama.cpp does not know`, { key: `${p}rope.scaling.type` });
  }

  const vocabSize = checkTokenizer(h, meta, p, spec !== undefined);
  checkTensors(h, { arch, spec, nEmbd, nLayer, nExpert, nFf, nHead, nHeadKv, headK, headV, vocabSize });
  return { architecture: arch, vocabSize, contextLength, blockCount: nLayer };
}

function layerNote(values: number[], i: number): string {
  return values.every((v) => v === values[0]) ? '' : ` for layer ${i}`;
}

function checkTokenizer(h: GgufHeader, meta: Meta, p: string, required: boolean): number | null {
  const tokensKv = h.kv.get('tokenizer.ggml.tokens');
  const model = meta.string('tokenizer.ggml.model');
  if (model === undefined) throw bad('tokenizer.ggml.model (the tokenizer type) is missing', { key: 'tokenizer.ggml.model' });
  if (!tokenizerModels.has(model)) throw bad(`tokenizer.ggml.model is "${printable(byteString(model))}", a tokenizer llama.cpp does not know`, { key: 'tokenizer.ggml.model' });
  let n: number | null = null;
  if (tokensKv === undefined) {
    if (required && model !== 'none') throw bad('tokenizer.ggml.tokens (the vocabulary) is missing', { key: 'tokenizer.ggml.tokens' });
  } else {
    const tokens = meta.array('tokenizer.ggml.tokens', [GgufType.STRING]) as GgufArray;
    n = tokens.length;
    if (n === 0 || n > MAX_VOCAB) throw bad(`tokenizer.ggml.tokens holds ${n} tokens`, { key: 'tokenizer.ggml.tokens' });
    if (tokens.values !== null) {
      // llama.cpp maps each token text to its id and asserts the map is as long as the list.
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const t = tokens.values[i] as string;
        if (seen.has(t)) throw bad(`tokenizer.ggml.tokens lists the token "${printable(byteString(t))}" twice (id ${i})`, { key: 'tokenizer.ggml.tokens', tokenId: i });
        seen.add(t);
      }
    }
    for (const [key, types] of [['tokenizer.ggml.scores', [GgufType.FLOAT32, GgufType.INT32]], ['tokenizer.ggml.token_type', [GgufType.INT32]]] as const) {
      if (!h.kv.has(key)) continue;
      const a = meta.array(key, types) as GgufArray;
      if (a.length < n) throw bad(`${key} has ${a.length} entries for ${n} tokens`, { key });
    }
  }
  const declared = meta.uint(`${p}vocab_size`, false, 1, MAX_VOCAB);
  if (n !== null && declared !== undefined && declared !== n) {
    throw bad(`${p}vocab_size is ${declared} but tokenizer.ggml.tokens holds ${n} tokens`, { key: `${p}vocab_size` });
  }
  n ??= declared ?? null;
  if (n !== null) {
    for (const [key, kv] of h.kv) {
      if (!key.startsWith('tokenizer.ggml.') || !key.endsWith('_token_id')) continue;
      const id = Number(kv.value);
      const none = id === -1 || id === NO_TOKEN;
      if (!none && (id < 0 || id >= n)) throw bad(`${kv.label} is ${id}, outside the ${n}-token vocabulary`, { key: kv.label });
    }
  }
  // llama.cpp asserts that a tokenizer told to add BOS / EOS has one.
  for (const which of ['bos', 'eos'] as const) {
    const add = h.kv.get(`tokenizer.ggml.add_${which}_token`)?.value === true;
    const id = h.kv.get(`tokenizer.ggml.${which}_token_id`)?.value;
    if (add && id === NO_TOKEN) {
      throw bad(`tokenizer.ggml.add_${which}_token is true but tokenizer.ggml.${which}_token_id is none`, { key: `tokenizer.ggml.${which}_token_id` });
    }
  }
  return n;
}

interface Shape {
  arch: string;
  spec: ArchitectureSpec | undefined;
  nEmbd: number;
  nLayer: number;
  nExpert: number;
  nFf: number[] | null;
  nHead: number[] | null;
  nHeadKv: number[] | null;
  headK: number;
  headV: number;
  vocabSize: number | null;
}

function checkTensors(h: GgufHeader, s: Shape): void {
  const byName = new Map<string, GgufTensorInfo>(h.tensors.map((t) => [t.name, t]));
  const layers = new Set<number>();
  for (const t of h.tensors) {
    const m = /^blk\.(\d+)\./.exec(t.name);
    if (m === null) continue;
    const i = Number(m[1]);
    if (i >= s.nLayer) throw badTensor(`tensor ${t.label} belongs to layer ${i} but ${s.arch}.block_count is ${s.nLayer}`, { tensor: t.label });
    layers.add(i);
  }
  if (layers.size > 0 && layers.size !== s.nLayer) {
    throw badTensor(`${s.arch}.block_count is ${s.nLayer} but the file has tensors for ${layers.size} layers`, { key: `${s.arch}.block_count` });
  }

  const embd = byName.get('token_embd.weight');
  if (embd !== undefined && embd.dims.length === 2 && s.vocabSize !== null && embd.dims[1] !== s.vocabSize) {
    throw badTensor(`tensor token_embd.weight has ${embd.dims[1]} rows for a ${s.vocabSize}-token vocabulary`, { tensor: 'token_embd.weight' });
  }
  if (embd !== undefined && embd.dims[0] !== s.nEmbd) {
    throw badTensor(`tensor token_embd.weight is ${embd.dims[0]} wide but ${s.arch}.embedding_length is ${s.nEmbd}`, { tensor: 'token_embd.weight' });
  }
  const spec = s.spec;
  if (spec === undefined) return;

  const V = s.vocabSize ?? embd?.dims[1] ?? 0;
  const need = (name: string, dims: number[], optional = false): boolean => {
    const t = byName.get(name);
    if (t === undefined) {
      if (optional) return false;
      throw badTensor(`tensor ${name} is missing`, { tensor: name });
    }
    const actual = trimOnes(t.dims), wanted = trimOnes(dims);
    if (actual.length !== wanted.length || actual.some((d, i) => d !== wanted[i])) {
      throw badTensor(`tensor ${name} has shape ${t.dims.join(' x ')} where the metadata implies ${dims.join(' x ')}`, { tensor: name });
    }
    return true;
  };
  need('token_embd.weight', [s.nEmbd, V]);
  need('output_norm.weight', [s.nEmbd]);
  if (!spec.tiedOutput) need('output.weight', [s.nEmbd, V], true);
  for (let i = 0; i < s.nLayer; i++) {
    const b = `blk.${i}.`;
    const nH = s.nHead?.[i] ?? 0, nKv = s.nHeadKv?.[i] ?? 0;
    const q = s.headK * nH, k = s.headK * nKv, v = s.headV * nKv;
    need(`${b}attn_norm.weight`, [s.nEmbd]);
    if (!need(`${b}attn_qkv.weight`, [s.nEmbd, q + k + v], true)) {
      need(`${b}attn_q.weight`, [s.nEmbd, q]);
      need(`${b}attn_k.weight`, [s.nEmbd, k]);
      need(`${b}attn_v.weight`, [s.nEmbd, v]);
    }
    need(`${b}attn_output.weight`, [q, s.nEmbd]);
    if (spec.qkNorm) {
      need(`${b}attn_q_norm.weight`, [s.headK]);
      need(`${b}attn_k_norm.weight`, [s.headK]);
    }
    if (spec.postNorms) {
      need(`${b}attn_post_norm.weight`, [s.nEmbd]);
      need(`${b}ffn_post_norm.weight`, [s.nEmbd]);
    }
    need(`${b}ffn_norm.weight`, [s.nEmbd]);
    if (s.nExpert > 0) continue; // mixture-of-experts layers: expert tensors are checked by llama.cpp itself
    const ff = s.nFf?.[i] ?? 0;
    if (spec.fusedGateUp) {
      need(`${b}ffn_up.weight`, [s.nEmbd, 2 * ff]);
    } else {
      need(`${b}ffn_gate.weight`, [s.nEmbd, ff]);
      need(`${b}ffn_up.weight`, [s.nEmbd, ff]);
    }
    need(`${b}ffn_down.weight`, [ff, s.nEmbd]);
  }
}

function trimOnes(dims: readonly number[]): number[] {
  const out = [...dims];
  while (out.length > 1 && out[out.length - 1] === 1) out.pop();
  return out;
}

/** Typed access to metadata, each failure naming the key. */
class Meta {
  constructor(private readonly kv: ReadonlyMap<string, GgufKv>) {}

  typeName(kv: GgufKv): string {
    if (kv.type === GgufType.ARRAY) return `array of ${typeNames.get((kv.value as GgufArray).itemType) ?? 'unknown'}`;
    return typeNames.get(kv.type) ?? `type ${kv.type}`;
  }

  /** A uint32 key (how llama.cpp reads every count) within [min, max]. */
  uint(key: string, required: boolean, min: number, max: number): number | undefined {
    const kv = this.kv.get(key);
    if (kv === undefined) {
      if (required) throw bad(`${key} is missing`, { key });
      return undefined;
    }
    if (kv.type !== GgufType.UINT32) throw bad(`${key} is a ${this.typeName(kv)}, but llama.cpp reads it as a uint32`, { key });
    const v = kv.value as number;
    if (v < min || v > max) throw bad(`${key} is ${v}; it must be between ${min} and ${max}`, { key, value: v });
    return v;
  }

  /** A per-layer count: one uint32 for all layers or an array with one per layer. */
  perLayer(key: string, nLayer: number, min: number, max: number): number[] | null {
    const kv = this.kv.get(key);
    if (kv === undefined) return null;
    if (kv.type !== GgufType.ARRAY) return new Array<number>(nLayer).fill(this.uint(key, true, min, max) as number);
    const a = this.array(key, [GgufType.UINT32, GgufType.INT32, GgufType.BOOL]) as GgufArray;
    if (a.length !== nLayer) throw bad(`${key} has ${a.length} entries for ${nLayer} layers`, { key });
    const values = (a.values ?? []).map((v) => Number(v));
    const i = values.findIndex((v) => v < min || v > max);
    if (i >= 0) throw bad(`${key} is ${values[i]} for layer ${i}; it must be between ${min} and ${max}`, { key });
    return values;
  }

  /** A float32 key (how llama.cpp reads epsilons and rope settings). */
  float(key: string, required: boolean): number | undefined {
    const kv = this.kv.get(key);
    if (kv === undefined) {
      if (required) throw bad(`${key} is missing`, { key });
      return undefined;
    }
    if (kv.type !== GgufType.FLOAT32) throw bad(`${kv.label} is a ${this.typeName(kv)}, but llama.cpp reads it as a float32`, { key: kv.label });
    return kv.value as number;
  }

  string(key: string): string | undefined {
    const kv = this.kv.get(key);
    if (kv === undefined) return undefined;
    if (kv.type !== GgufType.STRING) throw bad(`${kv.label} is a ${this.typeName(kv)}, not a string`, { key: kv.label });
    return kv.value as string;
  }

  array(key: string, itemTypes: readonly number[]): GgufArray | undefined {
    const kv = this.kv.get(key);
    if (kv === undefined) return undefined;
    if (kv.type !== GgufType.ARRAY || !itemTypes.includes((kv.value as GgufArray).itemType)) {
      const wanted = itemTypes.map((t) => typeNames.get(t)).join(' or ');
      throw bad(`${kv.label} is a ${this.typeName(kv)}, but llama.cpp reads it as an array of ${wanted}`, { key: kv.label });
    }
    return kv.value as GgufArray;
  }
}
