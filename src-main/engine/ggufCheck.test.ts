import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReckonError } from '../common/errors';
import { GgufType, type GgufArray, type GgufScalar } from './gguf/readGgufHeader';
import { writeGguf, type GgufDocument, type GgufKvEntry } from './gguf/writeGguf';
import { checkGguf } from './ggufCheck';

const fixtures = resolve(__dirname, '../../../shared/fixtures/gguf');
const stories = join(fixtures, 'stories260K.gguf');
const tinyRandom = join(fixtures, 'llama-2-tiny-random.gguf');
const tmp = mkdtempSync(join(tmpdir(), 'reckon-gguf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ReckonError);
    return (err as ReckonError).code;
  }
  return undefined;
}

/** A minimal GGUF v3 header with the given counts and no entries. */
function header(tensorCount: bigint, kvCount: bigint): Buffer {
  const b = Buffer.alloc(24);
  b.write('GGUF', 0, 'latin1');
  b.writeUInt32LE(3, 4);
  b.writeBigUInt64LE(tensorCount, 8);
  b.writeBigUInt64LE(kvCount, 16);
  return b;
}

describe('checkGguf', () => {
  it('accepts both real fixtures and finds their data end', () => {
    for (const path of [stories, tinyRandom]) {
      const s = checkGguf(path);
      expect(s.version).toBe(3);
      expect(s.tensorCount).toBeGreaterThan(0);
      expect(s.alignment).toBe(32);
      expect(s.dataEnd).not.toBeNull();
      expect(s.dataEnd).toBeLessThanOrEqual(s.fileSize);
      // the data section is the bulk of these files: the end must be within one alignment of the size
      expect(s.fileSize - (s.dataEnd ?? 0)).toBeLessThan(64);
    }
  });

  it('reports a truncated copy as GGUF_TRUNCATED with the missing bytes', () => {
    const full = readFileSync(stories);
    const path = join(tmp, 'cut.gguf');
    writeFileSync(path, full.subarray(0, Math.floor(full.length * 0.7)));
    let err: ReckonError | undefined;
    try {
      checkGguf(path);
    } catch (e) {
      err = e as ReckonError;
    }
    expect(err?.code).toBe('GGUF_TRUNCATED');
    expect(err?.message).toMatch(/incomplete/);
    expect(err?.details?.missingBytes).toBeGreaterThan(0);
  });

  it('reports a file cut inside its header as GGUF_TRUNCATED', () => {
    const path = join(tmp, 'cut-header.gguf');
    writeFileSync(path, readFileSync(tinyRandom).subarray(0, 5000));
    expect(codeOf(() => checkGguf(path))).toBe('GGUF_TRUNCATED');
  });

  it('reports a non-GGUF file as GGUF_INVALID', () => {
    const path = join(tmp, 'notes.gguf');
    writeFileSync(path, 'hello, this is plain text and not a model at all\n');
    expect(codeOf(() => checkGguf(path))).toBe('GGUF_INVALID');
    const empty = join(tmp, 'empty.gguf');
    writeFileSync(empty, '');
    expect(codeOf(() => checkGguf(empty))).toBe('GGUF_INVALID');
  });

  it('reports absurd header counts as GGUF_INVALID without allocating', () => {
    const a = join(tmp, 'absurd-tensors.gguf');
    writeFileSync(a, header(1n << 60n, 0n));
    expect(codeOf(() => checkGguf(a))).toBe('GGUF_INVALID');
    const b = join(tmp, 'absurd-kv.gguf');
    writeFileSync(b, header(1n, 0xffffffffffffffffn));
    expect(codeOf(() => checkGguf(b))).toBe('GGUF_INVALID');
    const c = join(tmp, 'absurd-string.gguf');
    const key = Buffer.alloc(8);
    key.writeBigUInt64LE(1n << 62n);
    writeFileSync(c, Buffer.concat([header(0n, 1n), key]));
    expect(codeOf(() => checkGguf(c))).toBe('GGUF_INVALID');
  });

  it('rejects unknown versions and reports a missing file', () => {
    const v = header(0n, 0n);
    v.writeUInt32LE(7, 4);
    const path = join(tmp, 'v7.gguf');
    writeFileSync(path, v);
    expect(codeOf(() => checkGguf(path))).toBe('GGUF_INVALID');
    expect(codeOf(() => checkGguf(join(tmp, 'nope.gguf')))).toBe('MODEL_NOT_FOUND');
  });
});

// ---- hand-made models: the smallest GGUFs llama.cpp's checks apply to, then one field damaged at a time ----

const T = GgufType;
type Kv = [key: string, type: number, value: GgufScalar | GgufArray];

interface TinyOptions {
  arch?: string;
  embd?: number;
  heads?: number;
  headsKv?: number;
  layers?: number;
  ff?: number;
  vocab?: number;
  /** Metadata to set (replacing the key when present) or, with value undefined, to remove. */
  kv?: Record<string, [number, GgufScalar | GgufArray] | undefined>;
  /** Edits the tensor list before offsets are assigned. */
  tensors?: (list: { name: string | Buffer; dims: number[]; ggmlType: number }[]) => void;
  /** Edits the final document (offsets assigned). */
  doc?: (d: GgufDocument) => void;
}

/** A complete F32 model of the given shape (zero weights): every check in llama.cpp's loader can see it. */
function tinyModel(o: TinyOptions = {}): Buffer {
  const arch = o.arch ?? 'llama', embd = o.embd ?? 8, heads = o.heads ?? 2, kvHeads = o.headsKv ?? 1;
  const layers = o.layers ?? 1, ff = o.ff ?? 16, vocab = o.vocab ?? 6;
  const head = embd / heads;
  const tokens = ['<unk>', '<s>', '</s>', 'a', 'b', 'c', 'd', 'e', 'f', 'g'].slice(0, vocab);
  const kv: Kv[] = [
    ['general.architecture', T.STRING, arch],
    ['general.name', T.STRING, 'tiny'],
    [`${arch}.context_length`, T.UINT32, 256],
    [`${arch}.embedding_length`, T.UINT32, embd],
    [`${arch}.block_count`, T.UINT32, layers],
    [`${arch}.feed_forward_length`, T.UINT32, ff],
    [`${arch}.attention.head_count`, T.UINT32, heads],
    [`${arch}.attention.head_count_kv`, T.UINT32, kvHeads],
    [`${arch}.attention.layer_norm_rms_epsilon`, T.FLOAT32, 1e-5],
    [`${arch}.rope.dimension_count`, T.UINT32, head],
    [`${arch}.rope.freq_base`, T.FLOAT32, 10000],
    ['tokenizer.ggml.model', T.STRING, 'llama'],
    ['tokenizer.ggml.tokens', T.ARRAY, { itemType: T.STRING, length: tokens.length, values: tokens }],
    ['tokenizer.ggml.scores', T.ARRAY, { itemType: T.FLOAT32, length: tokens.length, values: tokens.map(() => 0) }],
    ['tokenizer.ggml.token_type', T.ARRAY, { itemType: T.INT32, length: tokens.length, values: tokens.map(() => 1) }],
    ['tokenizer.ggml.bos_token_id', T.UINT32, 1],
    ['tokenizer.ggml.eos_token_id', T.UINT32, 2],
  ];
  for (const [key, v] of Object.entries(o.kv ?? {})) {
    const at = kv.findIndex(([k]) => k === key);
    if (v === undefined) {
      if (at >= 0) kv.splice(at, 1);
    } else if (at >= 0) kv[at] = [key, v[0], v[1]];
    else kv.push([key, v[0], v[1]]);
  }
  const list: { name: string | Buffer; dims: number[]; ggmlType: number }[] = [
    { name: 'token_embd.weight', dims: [embd, vocab], ggmlType: 0 },
    { name: 'output_norm.weight', dims: [embd], ggmlType: 0 },
  ];
  const qk = arch === 'qwen3' || arch === 'gemma3', post = arch === 'gemma2' || arch === 'gemma3', fused = arch === 'phi3';
  for (let i = 0; i < layers; i++) {
    const b = `blk.${i}.`;
    list.push(
      { name: `${b}attn_norm.weight`, dims: [embd], ggmlType: 0 },
      { name: `${b}attn_q.weight`, dims: [embd, head * heads], ggmlType: 0 },
      { name: `${b}attn_k.weight`, dims: [embd, head * kvHeads], ggmlType: 0 },
      { name: `${b}attn_v.weight`, dims: [embd, head * kvHeads], ggmlType: 0 },
      { name: `${b}attn_output.weight`, dims: [head * heads, embd], ggmlType: 0 },
      { name: `${b}ffn_norm.weight`, dims: [embd], ggmlType: 0 },
      { name: `${b}ffn_up.weight`, dims: [embd, fused ? 2 * ff : ff], ggmlType: 0 },
      { name: `${b}ffn_down.weight`, dims: [ff, embd], ggmlType: 0 },
    );
    if (!fused) list.push({ name: `${b}ffn_gate.weight`, dims: [embd, ff], ggmlType: 0 });
    if (qk) list.push({ name: `${b}attn_q_norm.weight`, dims: [head], ggmlType: 0 }, { name: `${b}attn_k_norm.weight`, dims: [head], ggmlType: 0 });
    if (post) list.push({ name: `${b}attn_post_norm.weight`, dims: [embd], ggmlType: 0 }, { name: `${b}ffn_post_norm.weight`, dims: [embd], ggmlType: 0 });
  }
  o.tensors?.(list);
  let offset = 0;
  const tensors = list.map((t) => {
    const at = offset;
    offset += Math.ceil((t.dims.reduce((a, b) => a * b, 1) * 4) / 32) * 32;
    return { ...t, offset: at };
  });
  const doc: GgufDocument = { version: 3, kv: kv.map(([key, type, value]) => ({ key, type, value })), tensors, data: Buffer.alloc(offset) };
  o.doc?.(doc);
  return writeGguf(doc);
}

let fileNo = 0;
/** Writes a model and returns the error checkGguf throws for it (undefined when it passes). */
function check(o: TinyOptions | Buffer): ReckonError | undefined {
  const path = join(tmp, `tiny-${++fileNo}.gguf`);
  writeFileSync(path, Buffer.isBuffer(o) ? o : tinyModel(o));
  try {
    checkGguf(path);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ReckonError);
    const e = err as ReckonError;
    // Every message names the file, and shows no raw bytes.
    expect(e.message).toContain(`tiny-${fileNo}.gguf`);
    expect(e.message).not.toMatch(/[\p{Cc}\uFFFD]/u);
    return e;
  }
}

function expectBad(o: TinyOptions, code: string, field: string | RegExp): void {
  const e = check(o);
  expect(e, `expected ${code} mentioning ${String(field)}`).toBeDefined();
  expect(e?.code).toBe(code);
  if (typeof field === 'string') expect(e?.message).toContain(field);
  else expect(e?.message).toMatch(field);
}

const u32 = (v: number): [number, GgufScalar] => [T.UINT32, v];
const f32 = (v: number): [number, GgufScalar] => [T.FLOAT32, v];

describe('checkGguf: hyperparameters llama.cpp asserts on or divides by', () => {
  it('passes the hand-made models of every checked architecture (the baseline the other tests damage)', () => {
    for (const arch of ['llama', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3', 'phi3', 'someday-arch']) {
      expect(check({ arch }), arch).toBeUndefined();
    }
    expect(check({ layers: 3, heads: 4, headsKv: 2, embd: 16 })).toBeUndefined();
  });

  it('accepts the bundled model with its real numbers', () => {
    const s = checkGguf(resolve(__dirname, '../../models/reckon-arith.gguf'));
    expect(s).toMatchObject({ architecture: 'llama', vocabSize: 358, contextLength: 512, blockCount: 4 });
    expect(checkGguf(stories)).toMatchObject({ architecture: 'llama', vocabSize: 512, blockCount: 5 });
    expect(checkGguf(tinyRandom)).toMatchObject({ architecture: 'llama', vocabSize: 32000, blockCount: 1 });
  });

  it('refuses head counts of 0 and counts that do not divide', () => {
    expectBad({ kv: { 'llama.attention.head_count': u32(0) } }, 'GGUF_BAD_METADATA', 'llama.attention.head_count is 0');
    expectBad({ kv: { 'llama.attention.head_count_kv': u32(0) } }, 'GGUF_BAD_METADATA', 'llama.attention.head_count_kv is 0');
    expectBad({ heads: 2, headsKv: 1, kv: { 'llama.attention.head_count_kv': u32(3) } }, 'GGUF_BAD_METADATA', 'does not divide llama.attention.head_count');
    expectBad({ kv: { 'llama.attention.head_count': u32(3) } }, 'GGUF_BAD_METADATA', 'does not divide llama.embedding_length');
    expectBad({ kv: { 'llama.attention.head_count': [T.ARRAY, { itemType: T.UINT32, length: 2, values: [2, 2] }] } }, 'GGUF_BAD_METADATA', '2 entries for 1 layers');
    expectBad({ kv: { 'llama.attention.head_count': undefined } }, 'GGUF_BAD_METADATA', 'llama.attention.head_count is missing');
  });

  it('refuses a block count of 0, an absurd one, or one that disagrees with the blk.N tensors', () => {
    expectBad({ kv: { 'llama.block_count': u32(0) } }, 'GGUF_BAD_METADATA', 'llama.block_count is 0');
    expectBad({ kv: { 'llama.block_count': u32(1000) } }, 'GGUF_BAD_METADATA', 'llama.block_count is 1000');
    expectBad({ kv: { 'llama.block_count': u32(2 ** 31) } }, 'GGUF_BAD_METADATA', 'llama.block_count');
    expectBad({ layers: 2, kv: { 'llama.block_count': u32(3) } }, 'GGUF_BAD_TENSOR', 'tensors for 2 layers');
    expectBad({ layers: 2, kv: { 'llama.block_count': u32(1) } }, 'GGUF_BAD_TENSOR', 'belongs to layer 1');
  });

  it('refuses feed_forward_length 0, bad epsilons, a tiny context and counts of the wrong type', () => {
    expectBad({ kv: { 'llama.feed_forward_length': u32(0) } }, 'GGUF_BAD_METADATA', 'llama.feed_forward_length is 0');
    for (const v of [Number.NaN, -1, 0, Number.POSITIVE_INFINITY]) {
      expectBad({ kv: { 'llama.attention.layer_norm_rms_epsilon': f32(v) } }, 'GGUF_BAD_METADATA', 'llama.attention.layer_norm_rms_epsilon');
    }
    expectBad({ kv: { 'llama.attention.layer_norm_rms_epsilon': undefined } }, 'GGUF_BAD_METADATA', 'layer_norm_rms_epsilon is missing');
    expectBad({ kv: { 'llama.context_length': u32(1) } }, 'GGUF_BAD_METADATA', 'llama.context_length is 1');
    expectBad({ kv: { 'llama.context_length': u32(63) } }, 'GGUF_BAD_METADATA', 'llama.context_length');
    expect(check({ kv: { 'llama.context_length': u32(64) } })).toBeUndefined();
    expectBad({ kv: { 'llama.attention.head_count': [T.STRING, '2'] } }, 'GGUF_BAD_METADATA', 'llama.attention.head_count is a string');
    expectBad({ kv: { 'llama.attention.layer_norm_rms_epsilon': u32(1) } }, 'GGUF_BAD_METADATA', 'reads it as a float32');
    expectBad({ kv: { 'general.name': u32(7) } }, 'GGUF_BAD_METADATA', 'general.name is a uint32');
  });

  it('refuses rope settings llama.cpp cannot use', () => {
    expectBad({ kv: { 'llama.rope.dimension_count': u32(3) } }, 'GGUF_BAD_METADATA', 'llama.rope.dimension_count is 3');
    expectBad({ kv: { 'llama.rope.dimension_count': u32(2) } }, 'GGUF_BAD_METADATA', 'needs the head size 4');
    expect(check({ arch: 'qwen2', kv: { 'qwen2.rope.dimension_count': u32(2) } })).toBeUndefined(); // partial rope is fine there
    expectBad({ kv: { 'llama.rope.freq_base': f32(Number.NaN) } }, 'GGUF_BAD_METADATA', 'llama.rope.freq_base is NaN');
    expectBad({ kv: { 'llama.rope.scaling.type': [T.STRING, 'bogus'] } }, 'GGUF_BAD_METADATA', 'llama.rope.scaling.type');
    expect(check({ kv: { 'llama.rope.scaling.type': [T.STRING, 'yarn'] } })).toBeUndefined();
  });

  it('refuses experts llama.cpp would assert on', () => {
    expectBad({ kv: { 'llama.expert_used_count': u32(2) } }, 'GGUF_BAD_METADATA', 'llama.expert_used_count is 2 but the model has 0 experts');
    expectBad({ kv: { 'llama.expert_count': u32(4) } }, 'GGUF_BAD_METADATA', 'llama.expert_used_count must be at least 1');
    expectBad({ kv: { 'llama.expert_count': u32(5000) } }, 'GGUF_BAD_METADATA', 'llama.expert_count');
  });
});

describe('checkGguf: the tokenizer', () => {
  it('refuses a vocabulary that disagrees with token_embd, vocab_size or its own arrays', () => {
    expectBad({ tensors: (l) => { (l[0] as { dims: number[] }).dims = [8, 7]; } }, 'GGUF_BAD_TENSOR', 'token_embd.weight has 7 rows for a 6-token vocabulary');
    expectBad({ kv: { 'llama.vocab_size': u32(7) } }, 'GGUF_BAD_METADATA', 'llama.vocab_size is 7');
    expectBad({ kv: { 'tokenizer.ggml.scores': [T.ARRAY, { itemType: T.FLOAT32, length: 3, values: [0, 0, 0] }] } }, 'GGUF_BAD_METADATA', 'tokenizer.ggml.scores has 3 entries for 6 tokens');
    expectBad({ kv: { 'tokenizer.ggml.token_type': [T.ARRAY, { itemType: T.STRING, length: 6, values: ['1', '1', '1', '1', '1', '1'] }] } }, 'GGUF_BAD_METADATA', 'tokenizer.ggml.token_type');
    expectBad({ kv: { 'tokenizer.ggml.tokens': [T.ARRAY, { itemType: T.STRING, length: 6, values: ['<unk>', '<s>', '</s>', 'a', 'a', 'b'] }] } }, 'GGUF_BAD_METADATA', 'lists the token "a" twice');
    expectBad({ kv: { 'tokenizer.ggml.tokens': undefined } }, 'GGUF_BAD_METADATA', 'tokenizer.ggml.tokens');
  });

  it('refuses special token ids outside the vocabulary and an unknown tokenizer', () => {
    expectBad({ kv: { 'tokenizer.ggml.eos_token_id': u32(6) } }, 'GGUF_BAD_METADATA', 'tokenizer.ggml.eos_token_id is 6, outside the 6-token vocabulary');
    expectBad({ kv: { 'tokenizer.ggml.bos_token_id': [T.INT32, 1] } }, 'GGUF_BAD_METADATA', 'tokenizer.ggml.bos_token_id is a int32');
    expect(check({ kv: { 'tokenizer.ggml.padding_token_id': u32(0xffffffff) } })).toBeUndefined(); // "none"
    expectBad({ kv: { 'tokenizer.ggml.add_bos_token': [T.BOOL, true], 'tokenizer.ggml.bos_token_id': u32(0xffffffff) } }, 'GGUF_BAD_METADATA', 'add_bos_token is true');
    expectBad({ kv: { 'tokenizer.ggml.model': [T.STRING, 'sentencepiece-ish'] } }, 'GGUF_BAD_METADATA', 'tokenizer.ggml.model is "sentencepiece-ish"');
    expectBad({ kv: { 'tokenizer.ggml.model': undefined } }, 'GGUF_BAD_METADATA', 'tokenizer.ggml.model');
  });
});

describe('checkGguf: tensors', () => {
  it('refuses a missing required tensor or a shape the metadata does not imply, per architecture', () => {
    expectBad({ tensors: (l) => { l.splice(l.findIndex((t) => t.name === 'blk.0.ffn_down.weight'), 1); } }, 'GGUF_BAD_TENSOR', 'tensor blk.0.ffn_down.weight is missing');
    expectBad({ tensors: (l) => { (l.find((t) => t.name === 'blk.0.attn_k.weight') as { dims: number[] }).dims = [8, 8]; } }, 'GGUF_BAD_TENSOR', 'blk.0.attn_k.weight has shape 8 x 8 where the metadata implies 8 x 4');
    expectBad({ arch: 'qwen3', tensors: (l) => { l.splice(l.findIndex((t) => t.name === 'blk.0.attn_q_norm.weight'), 1); } }, 'GGUF_BAD_TENSOR', 'blk.0.attn_q_norm.weight is missing');
    expectBad({ arch: 'gemma2', tensors: (l) => { l.splice(l.findIndex((t) => t.name === 'blk.0.ffn_post_norm.weight'), 1); } }, 'GGUF_BAD_TENSOR', 'blk.0.ffn_post_norm.weight is missing');
    expectBad({ arch: 'phi3', tensors: (l) => { (l.find((t) => t.name === 'blk.0.ffn_up.weight') as { dims: number[] }).dims = [8, 16]; } }, 'GGUF_BAD_TENSOR', 'blk.0.ffn_up.weight has shape 8 x 16 where the metadata implies 8 x 32');
    // a fused attn_qkv stands in for q, k and v
    expect(check({ tensors: (l) => {
      for (const n of ['q', 'k', 'v']) l.splice(l.findIndex((t) => t.name === `blk.0.attn_${n}.weight`), 1);
      l.push({ name: 'blk.0.attn_qkv.weight', dims: [8, 16], ggmlType: 0 });
    } })).toBeUndefined();
    // an architecture Reckon does not know gets the generic checks only
    expect(check({ arch: 'someday-arch', tensors: (l) => { l.splice(l.findIndex((t) => t.name === 'blk.0.ffn_down.weight'), 1); } })).toBeUndefined();
  });

  it('refuses unknown or removed tensor types and rows that do not fill whole blocks', () => {
    expectBad({ tensors: (l) => { (l[2] as { ggmlType: number }).ggmlType = 99; } }, 'GGUF_BAD_TENSOR', 'has tensor type 99');
    expectBad({ tensors: (l) => { (l[2] as { ggmlType: number }).ggmlType = 4; } }, 'GGUF_BAD_TENSOR', 'has tensor type 4');
    // Q8_0 packs 32 values a block; a row of 8 cannot be stored in it
    expectBad({ tensors: (l) => { (l[2] as { ggmlType: number }).ggmlType = 8; } }, 'GGUF_BAD_TENSOR', 'not a whole number of Q8_0 blocks');
  });

  it('refuses offsets that are misaligned, overlap, leave gaps or lie past the end, and a swapped type that moves them', () => {
    const shift = (i: number, by: number) => (d: GgufDocument): void => { const t = d.tensors[i] as { offset: number }; t.offset += by; };
    expectBad({ doc: shift(3, 1) }, 'GGUF_BAD_TENSOR', 'not aligned to 32 bytes');
    expectBad({ doc: shift(3, -32) }, 'GGUF_BAD_TENSOR', 'inside the tensor before it');
    expectBad({ doc: shift(3, 64) }, 'GGUF_BAD_TENSOR', 'where llama.cpp expects');
    expectBad({ doc: (d) => { (d.tensors[0] as { offset: number }).offset = 2 ** 40; } }, 'GGUF_BAD_TENSOR', 'token_embd.weight starts at data offset');
    // F32 -> F16 on a middle tensor halves its size: the next tensor no longer starts where it should
    expectBad({ doc: (d) => { (d.tensors[0] as { ggmlType: number }).ggmlType = 1; } }, 'GGUF_BAD_TENSOR', 'where llama.cpp expects');
    const last = tinyModel();
    expect(check(last.subarray(0, last.length - 40))?.code).toBe('GGUF_TRUNCATED');
  });

  it('writes raw bytes of a damaged name as escapes, and refuses names llama.cpp cannot hold', () => {
    const e = check({ tensors: (l) => { (l[1] as { name: string | Buffer }).name = Buffer.from([0x6f, 0x75, 0x74, 0x01, 0xff, 0x1b]); } });
    expect(e?.code).toBe('GGUF_BAD_TENSOR');
    expect(e?.message).toContain('tensor out\\x01\\xff\\x1b has a name');
    expectBad({ tensors: (l) => { (l[1] as { name: string }).name = `output_norm.${'x'.repeat(70)}`; } }, 'GGUF_BAD_TENSOR', 'llama.cpp allows 63');
    expectBad({ tensors: (l) => { (l[1] as { name: string }).name = 'token_embd.weight'; } }, 'GGUF_BAD_TENSOR', 'token_embd.weight appears twice');
  });
});

describe('checkGguf: metadata arrays and strings', () => {
  it('refuses arrays nested 100,000 deep without recursing (no stack overflow, no INTERNAL)', () => {
    const depth = 100_000;
    const level = Buffer.alloc(12);
    level.writeUInt32LE(T.ARRAY, 0);
    level.writeBigUInt64LE(1n, 4);
    const inner = Buffer.alloc(12);
    inner.writeUInt32LE(T.UINT8, 0);
    const typeArray = Buffer.alloc(4);
    typeArray.writeUInt32LE(T.ARRAY);
    const raw = Buffer.concat([typeArray, ...new Array<Buffer>(depth - 1).fill(level), inner]);
    expectBad({ doc: (d) => { d.kv.push({ key: 'x.deep', raw }); } }, 'GGUF_BAD_METADATA', 'x.deep is an array of arrays');
  });

  it('refuses array and string lengths past the file before allocating, and duplicate keys', () => {
    const huge = Buffer.alloc(16);
    huge.writeUInt32LE(T.ARRAY, 0);
    huge.writeUInt32LE(T.UINT8, 4);
    huge.writeBigUInt64LE(1n << 29n, 8);
    expect(check({ doc: (d) => { d.kv.push({ key: 'x.huge', raw: huge }); } })?.code).toBe('GGUF_TRUNCATED');
    const items = Buffer.alloc(16);
    items.writeUInt32LE(T.ARRAY, 0);
    items.writeUInt32LE(T.UINT8, 4);
    items.writeBigUInt64LE(1n << 40n, 8);
    expectBad({ doc: (d) => { d.kv.push({ key: 'x.items', raw: items }); } }, 'GGUF_BAD_METADATA', 'x.items claims an impossible number of items');
    expectBad({ doc: (d) => { d.kv.push(d.kv[1] as GgufKvEntry); } }, 'GGUF_BAD_METADATA', 'general.name appears twice');
    expectBad({ doc: (d) => { d.kv.push({ key: Buffer.from([0x62, 0x61, 0x64, 0x07, 0xc3]), type: T.ARRAY, value: { itemType: 77, length: 0, values: [] } }); } },
      'GGUF_BAD_METADATA', 'metadata bad\\x07\\xc3 has items of unknown type 77');
  });

  it('refuses an architecture name that is missing, not a string or not text', () => {
    expectBad({ kv: { 'general.architecture': undefined } }, 'GGUF_BAD_METADATA', 'general.architecture is missing');
    expectBad({ kv: { 'general.architecture': u32(1) } }, 'GGUF_BAD_METADATA', 'general.architecture is a uint32');
    expectBad({ doc: (d) => { d.kv[0] = { key: 'general.architecture', type: T.STRING, value: 'lla\u0001ma' }; } }, 'GGUF_BAD_METADATA', 'lla\\x01ma');
  });
});

describe('checkGguf: what the damaged-GGUF campaign found crashing llama.cpp', () => {
  it('refuses a norm weight stored as anything but F32 (ggml aborts: binary_op unsupported types)', () => {
    for (const type of [1, 30]) {
      // F16 / BF16 halve blk.0.attn_norm's 32 bytes, but padding keeps every offset: only the type check sees it
      expectBad({ tensors: (l) => { (l.find((t) => t.name === 'blk.0.attn_norm.weight') as { ggmlType: number }).ggmlType = type; } },
        'GGUF_BAD_TENSOR', 'blk.0.attn_norm.weight is a 1-D tensor stored as');
    }
  });

  it('refuses an alignment that leaves weights off ggml\'s 32-byte boundary (ggml aborts on the pointer)', () => {
    // general.alignment 1 while the data still sits where alignment 32 put it: the data section starts unaligned
    const e = check({ kv: { 'general.alignment': u32(1) } });
    expect(e?.code).toBe('GGUF_BAD_TENSOR');
    expect(e?.message).toMatch(/not a multiple of 32 \(general\.alignment 1 is too small/);
    // every tensor of this shape is a multiple of 64 bytes, so 64 lays the data out as llama.cpp expects
    expect(check({ embd: 16, kv: { 'general.alignment': u32(64) }, doc: (d) => { d.alignment = 64; } })).toBeUndefined();
  });
});
