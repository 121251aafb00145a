/**
 * Realistic-size test models: random weights (seeded) around a real tokenizer and chat template, so decode speed,
 * prefill, the probe over the whole vocabulary and memory behave as on the real model of that shape, without
 * downloading one. Written with the project's GGUF writer (src-main/engine/gguf/writeGguf.ts), generated on demand
 * into a cache folder outside the checkout and reused when present; never committed.
 *
 * The tokenizers and templates come from the llama.cpp sources node-llama-cpp ships (its git bundle): the clone
 * tools/engines/buildLlamaCpp.sh leaves beside its build, or, without one, the few files read out of the bundle.
 * Q4_0 is made from the F16 file by that build's `llama-quantize`.
 *
 *   npm run models:test                    # the Qwen3-0.6B shape, F16 and Q4_0; prints the paths
 *   npm run models:test -- qwen3-small     # a named shape (F16 and, when llama-quantize is built, Q4_0)
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mulberry32 } from '../../src-main/common/probe/rng';
import { GgufType, type GgufArray } from '../../src-main/engine/gguf/readGgufHeader';
import { readGgufDocument, writeGguf, type GgufKvEntry, type GgufTensorEntry } from '../../src-main/engine/gguf/writeGguf';

const repoRoot = resolve(import.meta.dirname, '../..');

/** A transformer shape to fill with random weights. */
export interface TestModelShape {
  /** File name stem. */
  name: string;
  /** Only qwen3 is written for now (q/k norms, tied output). */
  architecture: 'qwen3';
  layers: number;
  embedding: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  /** Trained context length written into the header, tokens. */
  contextLength: number;
  /** The vocabulary file in llama.cpp's models/ folder. */
  vocab: string;
  /** The chat template in llama.cpp's models/templates/ folder. */
  template: string;
}

const qwen3Vocab = 'ggml-vocab-qwen2.gguf';
const qwen3Template = 'Qwen-Qwen3-0.6B.jinja';

export const testShapes = {
  /** Qwen3-0.6B: 28 layers, 1024 wide, 16 / 8 heads of 128, ffn 3072, the 151,936-token Qwen2 vocabulary, tied output. */
  'qwen3-0.6b': {
    name: 'qwen3-0.6b', architecture: 'qwen3', layers: 28, embedding: 1024, heads: 16, kvHeads: 8, headDim: 128, ffn: 3072,
    contextLength: 40960, vocab: qwen3Vocab, template: qwen3Template,
  },
  /** Two layers, 256 wide, the same vocabulary and template: loads and decodes in a second, for model tests. */
  'qwen3-small': {
    name: 'qwen3-small', architecture: 'qwen3', layers: 2, embedding: 256, heads: 4, kvHeads: 2, headDim: 64, ffn: 512,
    contextLength: 4096, vocab: qwen3Vocab, template: qwen3Template,
  },
} satisfies Record<string, TestModelShape>;
export type TestShapeName = keyof typeof testShapes;

export type TestModelType = 'F16' | 'Q4_0';

export interface EnsureOptions {
  /** Seed of the random weights (default 1). */
  seed?: number;
  /** llama-quantize's threads (default 1: the machine is shared). */
  threads?: number;
  /**
   * Q4_0 without llama-quantize: random Q4_0 blocks written directly (every matrix Q4_0, where llama-quantize keeps
   * the tied embedding at Q6_K), cached under its own name (`.q4_0-direct.gguf`). Default false: throw instead.
   */
  direct?: boolean;
}

/** `${RECKON_CACHE_DIR:-~/.cache/reckon}`, as tools/engines/buildLlamaCpp.sh uses it. */
export function reckonCacheDir(): string {
  return process.env.RECKON_CACHE_DIR ?? join(homedir(), '.cache', 'reckon');
}

const bundlePath = join(repoRoot, 'node_modules/node-llama-cpp/llama/gitRelease.bundle');
let commitMemo: string | undefined;

/** The llama.cpp commit node-llama-cpp ships (the bundle's HEAD): the build cache is keyed by it. */
export function llamaCppCommit(): string {
  if (commitMemo !== undefined) return commitMemo;
  const heads = execFileSync('git', ['bundle', 'list-heads', bundlePath], { cwd: repoRoot, encoding: 'utf8' });
  const head = heads.split('\n').map((l) => l.split(' ')).find((p) => p[1] === 'HEAD')?.[0];
  if (head === undefined) throw new Error(`${bundlePath} names no HEAD`);
  return (commitMemo = head);
}

/** llama.cpp's build cache for this commit: `src/` (the clone) and `bin/` (its tools), when built. */
export function llamaCppRoot(): string {
  return join(reckonCacheDir(), 'llama.cpp', llamaCppCommit());
}

/** A llama.cpp tool (llama-bench, llama-quantize, llama-server) from the build cache; null when not built. */
export function llamaCppTool(name: string): string | null {
  const p = join(llamaCppRoot(), 'bin', name);
  return existsSync(p) ? p : null;
}

/**
 * A file of llama.cpp's source tree (e.g. `models/ggml-vocab-qwen2.gguf`): from the build's clone when there is
 * one, else read out of node-llama-cpp's bundle once and kept in the cache.
 */
export function llamaCppSourceFile(relative: string): string {
  const cloned = join(llamaCppRoot(), 'src', relative);
  if (existsSync(cloned)) return cloned;
  const kept = join(reckonCacheDir(), 'llama.cpp-files', llamaCppCommit(), relative);
  if (existsSync(kept)) return kept;
  const git = mkdtempSync(join(tmpdir(), 'reckon-llama-src-'));
  try {
    execFileSync('git', ['init', '-q', '--bare', git]);
    execFileSync('git', ['--git-dir', git, 'fetch', '-q', bundlePath, 'HEAD']);
    const bytes = execFileSync('git', ['--git-dir', git, 'show', `FETCH_HEAD:${relative}`], { maxBuffer: 1 << 30 });
    mkdirSync(resolve(kept, '..'), { recursive: true });
    writeFileSync(`${kept}.tmp`, bytes);
    renameSync(`${kept}.tmp`, kept);
    return kept;
  } finally {
    rmSync(git, { recursive: true, force: true });
  }
}

/** Where a test model lives: `<cache>/test-models/<shape>-seed<seed>-<commit>.<type>.gguf`. */
export function testModelPath(shape: TestModelShape, type: TestModelType | 'Q4_0-direct', seed = 1): string {
  return join(reckonCacheDir(), 'test-models', `${shape.name}-seed${seed}-${llamaCppCommit().slice(0, 8)}.${type.toLowerCase()}.gguf`);
}

/**
 * The test model of `shape` as `type`, written now if the cache does not hold it (the same seed writes the same
 * bytes). Q4_0 is quantised from the F16 file with llama.cpp's llama-quantize; without one it throws, naming the
 * build script, unless `direct`.
 */
export function ensureTestModel(name: TestShapeName, type: TestModelType = 'F16', o: EnsureOptions = {}): string {
  const shape = testShapes[name];
  const seed = o.seed ?? 1;
  const quantize = type === 'Q4_0' ? llamaCppTool('llama-quantize') : null;
  const direct = type === 'Q4_0' && quantize === null;
  if (direct && o.direct !== true) {
    throw new Error(`llama-quantize is not built (${join(llamaCppRoot(), 'bin')}); run tools/engines/buildLlamaCpp.sh first`);
  }
  const out = testModelPath(shape, direct ? 'Q4_0-direct' : type, seed);
  if (existsSync(out)) return out;
  mkdirSync(resolve(out, '..'), { recursive: true });
  if (quantize === null) { // F16, or Q4_0 written directly
    writeTestModel(shape, out, seed, type);
    return out;
  }
  const f16 = ensureTestModel(name, 'F16', { seed });
  const tmp = `${out}.tmp`;
  execFileSync(quantize, [f16, tmp, type, String(o.threads ?? 1)], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(tmp, out);
  return out;
}

// Qwen3's added tokens (ids 151646-151668), which the Qwen2 vocabulary file holds as [PAD...] placeholders; true =
// a control token (special), false = user-defined text the model reads as one token (<think> and the tool tags).
const qwen3Added: [string, boolean][] = [
  ['<|object_ref_start|>', true], ['<|object_ref_end|>', true], ['<|box_start|>', true], ['<|box_end|>', true],
  ['<|quad_start|>', true], ['<|quad_end|>', true], ['<|vision_start|>', true], ['<|vision_end|>', true],
  ['<|vision_pad|>', true], ['<|image_pad|>', true], ['<|video_pad|>', true], ['<tool_call>', false], ['</tool_call>', false],
  ['<|fim_prefix|>', true], ['<|fim_middle|>', true], ['<|fim_suffix|>', true], ['<|fim_pad|>', true],
  ['<|repo_name|>', true], ['<|file_sep|>', true], ['<tool_response>', false], ['</tool_response>', false],
  ['<think>', false], ['</think>', false],
];
const QWEN3_FIRST_ADDED = 151646;
const TOKEN_CONTROL = 3, TOKEN_USER_DEFINED = 4;
const GGML_F32 = 0, GGML_F16 = 1, GGML_Q4_0 = 2;
/** One Q4_0 block: an F16 scale and 32 4-bit values. */
const Q4_0_BLOCK_BYTES = 18;

function tensorBytes(t: PlannedTensor, type: TestModelType): number {
  if (t.kind === 'ones') return t.elements * 4;
  return type === 'F16' ? t.elements * 2 : (t.elements / 32) * Q4_0_BLOCK_BYTES;
}
const ALIGN = 32;

interface PlannedTensor { entry: GgufTensorEntry; elements: number; kind: 'ones' | 'random' }

/**
 * Writes `shape` with seeded random weights (norms F32 ones) to `out` (through a temp file, then renamed): F16
 * matrices, or random Q4_0 blocks (a scale near what llama-quantize gives N(0, 0.02) weights, random 4-bit values).
 */
export function writeTestModel(shape: TestModelShape, out: string, seed: number, type: TestModelType = 'F16'): void {
  const vocab = readGgufDocument(llamaCppSourceFile(`models/${shape.vocab}`));
  const template = readFileUtf8AsBytes(llamaCppSourceFile(`models/templates/${shape.template}`));
  const kv = headerKv(shape, vocab.kv, template);
  const tokens = (vocab.kv.find((e) => String(e.key) === 'tokenizer.ggml.tokens') as { value: GgufArray }).value;
  const V = tokens.length;
  const kvTyped = kv.map((e) => (String(e.key) === 'general.file_type' ? { ...e, value: type === 'F16' ? 1 : 2 } as GgufKvEntry : e));
  const { tensors, planned } = planTensors(shape, V, type);
  const header = writeGguf({ version: 3, kv: kvTyped, tensors, alignment: ALIGN, data: Buffer.alloc(0) });

  const tmp = `${out}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, header);
    const rng = seededU32(seed);
    const table = f16Table(rng, 0.02);
    // uniform 4-bit values (q - 8) * d have a std of ~4.6 d: d near 0.02 / 4.6, jittered by +-20 %
    const q4Scales = Uint16Array.from({ length: 64 }, () => toF16((0.02 / 4.6) * (0.8 + (0.4 * rng()) / 2 ** 32)));
    const chunk = new Uint16Array(1 << 20);
    for (const t of planned) {
      if (t.kind === 'ones') {
        writeSync(fd, Buffer.from(new Float32Array(t.elements).fill(1).buffer));
      } else if (type === 'Q4_0') {
        const block = Buffer.alloc(Q4_0_BLOCK_BYTES * 8192);
        for (let left = t.elements / 32; left > 0;) {
          const n = Math.min(left, 8192);
          for (let b = 0; b < n; b++) {
            const o = b * Q4_0_BLOCK_BYTES;
            block.writeUInt16LE(q4Scales[rng() >>> 26]!, o);
            for (let j = 0; j < 16; j += 4) block.writeUInt32LE(rng(), o + 2 + j);
          }
          writeSync(fd, block, 0, n * Q4_0_BLOCK_BYTES);
          left -= n;
        }
      } else {
        for (let left = t.elements; left > 0;) {
          const n = Math.min(left, chunk.length);
          for (let i = 0; i < n; i++) chunk[i] = table[rng() >>> 22]!;
          writeSync(fd, Buffer.from(chunk.buffer, 0, n * 2));
          left -= n;
        }
      }
      const bytes = tensorBytes(t, type);
      const pad = (ALIGN - (bytes % ALIGN)) % ALIGN;
      if (pad > 0) writeSync(fd, Buffer.alloc(pad));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, out);
}

function readFileUtf8AsBytes(path: string): string {
  // GGUF strings are byte strings (one char per byte), as the reader and writer use them.
  return readFileSync(path).toString('latin1');
}

function headerKv(shape: TestModelShape, vocabKv: GgufKvEntry[], template: string): GgufKvEntry[] {
  const a = shape.architecture;
  const u32 = (key: string, value: number): GgufKvEntry => ({ key, type: GgufType.UINT32, value });
  const f32 = (key: string, value: number): GgufKvEntry => ({ key, type: GgufType.FLOAT32, value });
  const kv: GgufKvEntry[] = [
    { key: 'general.architecture', type: GgufType.STRING, value: a },
    { key: 'general.name', type: GgufType.STRING, value: `reckon test model ${shape.name} (random weights)` },
    u32('general.file_type', 1), // mostly F16
    u32(`${a}.block_count`, shape.layers),
    u32(`${a}.context_length`, shape.contextLength),
    u32(`${a}.embedding_length`, shape.embedding),
    u32(`${a}.feed_forward_length`, shape.ffn),
    u32(`${a}.attention.head_count`, shape.heads),
    u32(`${a}.attention.head_count_kv`, shape.kvHeads),
    u32(`${a}.attention.key_length`, shape.headDim),
    u32(`${a}.attention.value_length`, shape.headDim),
    f32(`${a}.rope.freq_base`, 1_000_000),
    f32(`${a}.attention.layer_norm_rms_epsilon`, 1e-6),
  ];
  const skip = new Set(['tokenizer.chat_template', 'tokenizer.ggml.eos_token_id', 'tokenizer.ggml.bos_token_id',
    'tokenizer.ggml.padding_token_id', 'tokenizer.ggml.add_bos_token']);
  for (const e of vocabKv) {
    const key = String(e.key);
    if (!key.startsWith('tokenizer.') || skip.has(key) || 'raw' in e) continue;
    if (key === 'tokenizer.ggml.tokens' || key === 'tokenizer.ggml.token_type') {
      const arr = e.value as GgufArray;
      const values = [...(arr.values ?? [])];
      qwen3Added.forEach(([text, control], i) => {
        values[QWEN3_FIRST_ADDED + i] = key === 'tokenizer.ggml.tokens' ? text : control ? TOKEN_CONTROL : TOKEN_USER_DEFINED;
      });
      kv.push({ key, type: GgufType.ARRAY, value: { ...arr, values, length: values.length } });
    } else {
      kv.push(e);
    }
  }
  // Qwen3's instruct files end a turn with <|im_end|> and add no BOS.
  kv.push(u32('tokenizer.ggml.eos_token_id', 151645), u32('tokenizer.ggml.padding_token_id', 151643),
    u32('tokenizer.ggml.bos_token_id', 151643), { key: 'tokenizer.ggml.add_bos_token', type: GgufType.BOOL, value: false },
    { key: 'tokenizer.chat_template', type: GgufType.STRING, value: template });
  return kv;
}

function planTensors(s: TestModelShape, V: number, type: TestModelType): { tensors: GgufTensorEntry[]; planned: PlannedTensor[] } {
  const E = s.embedding, q = s.heads * s.headDim, kvw = s.kvHeads * s.headDim;
  const planned: PlannedTensor[] = [];
  let offset = 0;
  const add = (name: string, dims: number[], kind: PlannedTensor['kind']): void => {
    const elements = dims.reduce((x, y) => x * y, 1);
    const ggmlType = kind === 'ones' ? GGML_F32 : type === 'F16' ? GGML_F16 : GGML_Q4_0;
    const t: PlannedTensor = { entry: { name, dims, ggmlType, offset }, elements, kind };
    planned.push(t);
    const bytes = tensorBytes(t, type);
    offset += bytes + ((ALIGN - (bytes % ALIGN)) % ALIGN);
  };
  // ggml's dims: [input width, output rows]. No output.weight: the output projection is the embedding (tied).
  add('token_embd.weight', [E, V], 'random');
  add('output_norm.weight', [E], 'ones');
  for (let i = 0; i < s.layers; i++) {
    const b = `blk.${i}.`;
    add(`${b}attn_norm.weight`, [E], 'ones');
    add(`${b}attn_q.weight`, [E, q], 'random');
    add(`${b}attn_k.weight`, [E, kvw], 'random');
    add(`${b}attn_v.weight`, [E, kvw], 'random');
    add(`${b}attn_output.weight`, [q, E], 'random');
    add(`${b}attn_q_norm.weight`, [s.headDim], 'ones');
    add(`${b}attn_k_norm.weight`, [s.headDim], 'ones');
    add(`${b}ffn_norm.weight`, [E], 'ones');
    add(`${b}ffn_gate.weight`, [E, s.ffn], 'random');
    add(`${b}ffn_up.weight`, [E, s.ffn], 'random');
    add(`${b}ffn_down.weight`, [s.ffn, E], 'random');
  }
  return { tensors: planned.map((p) => p.entry), planned };
}

/** A seeded 32-bit generator: common/probe/rng.ts's mulberry32 scaled back to its integer (the same seed gives the same weights). */
function seededU32(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() * 4294967296;
}

/** 1,024 F16 bit patterns drawn from N(0, std): each weight picks one (random weights need no finer law). */
function f16Table(rng: () => number, std: number): Uint16Array {
  const t = new Uint16Array(1024);
  for (let i = 0; i < t.length; i++) {
    const u1 = (rng() + 1) / 4294967297, u2 = rng() / 4294967296;
    t[i] = toF16(std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
  }
  return t;
}

function toF16(x: number): number {
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a < 2 ** -24) return sign;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24); // subnormal
  const e = Math.min(Math.floor(Math.log2(a)), 15);
  const m = Math.round((a / 2 ** e - 1) * 1024);
  return m === 1024 ? sign | ((e + 16) << 10) : sign | ((e + 15) << 10) | m;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const names = (process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['qwen3-0.6b']) as TestShapeName[];
  for (const name of names) {
    if (!(name in testShapes)) throw new Error(`unknown shape ${name}; known: ${Object.keys(testShapes).join(', ')}`);
    console.log(ensureTestModel(name, 'F16'));
    // Without llama-quantize the Q4_0 file is written directly (and named so).
    console.log(ensureTestModel(name, 'Q4_0', { direct: true }));
  }
}
