import { basename } from 'node:path';
import { GgufType, type GgufArray, type GgufScalar } from './readGgufHeader';
import { readGgufDocument, scalar, writeGguf, type GgufDocument, type GgufKvEntry } from './writeGguf';
import { mulberry32 } from '../../common/probe/rng';

/** One damaged copy of a model, built on demand (a corpus of hundreds of copies would not fit in memory). */
export interface DamagedVariant {
  /** Stable across runs with the same seed: `<source>/<kind>/<what>`. */
  id: string;
  kind: VariantKind;
  make(): Buffer;
}

export type VariantKind = 'truncated' | 'header' | 'metadata' | 'missing-key' | 'extra-key' | 'array' | 'string'
  | 'tensor-type' | 'tensor-shape' | 'tensor-offset' | 'tensor-name' | 'deep-array' | 'byte-flip';

/** Deterministic PRNG (mulberry32, common/probe/rng.ts): the same seed always gives the same sequence. */
export const seededRandom = mulberry32;

const U32_VALUES: [string, number][] = [['0', 0], ['1', 1], ['63', 63], ['1000', 1000], ['2^31', 2 ** 31], ['-1', 0xffffffff]];
const F32_VALUES: [string, number][] = [['0', 0], ['-1', -1], ['NaN', Number.NaN], ['Infinity', Number.POSITIVE_INFINITY], ['1e30', 1e30]];

/**
 * Every damaged variant of the given well-formed GGUFs this seed derives: truncations, broken headers, each
 * metadata field set to 0 / negative / huge / NaN / the wrong type or removed, keys added with bad values,
 * shortened and duplicated arrays, bad strings, swapped tensor types, bad shapes, offsets and names, arrays
 * nested 100,000 deep, random byte flips in the header. `limit` keeps a seeded sample spread over the kinds.
 */
export function damagedVariants(sources: readonly string[], seed: number, limit?: number): DamagedVariant[] {
  const rand = seededRandom(seed);
  const all: DamagedVariant[] = [];
  for (const path of sources) all.push(...variantsOf(path, rand));
  if (limit === undefined || limit >= all.length) return all;
  // Round-robin over kinds in a seeded order, so a small sample still covers every kind of damage.
  const byKind = new Map<VariantKind, DamagedVariant[]>();
  for (const v of all) byKind.set(v.kind, [...(byKind.get(v.kind) ?? []), v]);
  for (const list of byKind.values()) shuffle(list, rand);
  const out: DamagedVariant[] = [];
  const lists = [...byKind.values()];
  for (let round = 0; out.length < limit; round++) {
    for (const list of lists) if (list[round] !== undefined && out.length < limit) out.push(list[round] as DamagedVariant);
  }
  return out;
}

function variantsOf(path: string, rand: () => number): DamagedVariant[] {
  const src = basename(path).replace(/\.gguf$/i, '');
  let cached: { doc: GgufDocument; bytes: Buffer; headerEnd: number } | null = null;
  const base = (): { doc: GgufDocument; bytes: Buffer; headerEnd: number } => {
    if (cached === null) {
      const doc = readGgufDocument(path);
      const bytes = writeGguf(doc);
      cached = { doc, bytes, headerEnd: bytes.length - doc.data.length };
    }
    return cached;
  };
  const out: DamagedVariant[] = [];
  const add = (kind: VariantKind, what: string, make: () => Buffer): void => {
    out.push({ id: `${src}/${kind}/${what}`, kind, make });
  };
  const edit = (kind: VariantKind, what: string, change: (d: GgufDocument) => void): void => {
    add(kind, what, () => {
      const d = clone(base().doc);
      change(d);
      return writeGguf(d);
    });
  };

  const { doc, headerEnd, bytes } = base();
  const size = bytes.length;

  // Truncations: inside the fixed header, the metadata, the tensor infos, and the data.
  const cuts = new Set([0, 3, 4, 8, 16, 23, 24, Math.floor(headerEnd / 3), Math.floor(headerEnd * 0.9), headerEnd,
    headerEnd + 1, Math.floor(size / 2), size - 1]);
  for (let i = 0; i < 3; i++) cuts.add(Math.floor(rand() * size));
  for (const at of [...cuts].sort((a, b) => a - b)) add('truncated', `at-${at}`, () => base().bytes.subarray(0, at));

  // The fixed header.
  const patch = (what: string, at: number, write: (b: Buffer) => void): void =>
    add('header', what, () => {
      const b = Buffer.from(base().bytes.subarray(0, headerEnd));
      write(b.subarray(at));
      return Buffer.concat([b, base().doc.data]);
    });
  patch('magic', 0, (b) => b.write('GGUG', 'latin1'));
  for (const v of [1, 4, 0xffff]) patch(`version-${v}`, 4, (b) => b.writeUInt32LE(v));
  for (const [w, v] of [['+1', 1n], ['-1', -1n], ['2^40', 1n << 40n]] as const) {
    edit('header', `tensor-count${w}`, (d) => { d.tensorCountOverride = w === '2^40' ? v : BigInt(d.tensors.length) + v; });
    edit('header', `kv-count${w}`, (d) => { d.kvCountOverride = w === '2^40' ? v : BigInt(d.kv.length) + v; });
  }

  // Each metadata field: bad values of its own type, the wrong type, removed.
  for (const [i, e] of doc.kv.entries()) {
    if ('raw' in e) continue;
    const key = String(e.key);
    const set = (what: string, entry: GgufKvEntry): void => edit('metadata', `${key}=${what}`, (d) => { d.kv[i] = entry; });
    if (e.type === GgufType.UINT32 || e.type === GgufType.INT32) {
      for (const [w, v] of U32_VALUES) set(w, { key, type: e.type, value: v });
      set('float', { key, type: GgufType.FLOAT32, value: 1.5 });
      set('string', { key, type: GgufType.STRING, value: '12' });
    } else if (e.type === GgufType.FLOAT32 || e.type === GgufType.FLOAT64) {
      for (const [w, v] of F32_VALUES) set(w, { key, type: e.type, value: v });
      set('uint32', { key, type: GgufType.UINT32, value: 1 });
    } else if (e.type === GgufType.STRING) {
      set('empty', { key, type: GgufType.STRING, value: '' });
      set('uint32', { key, type: GgufType.UINT32, value: 7 });
      set('bad-utf8', { key, raw: Buffer.concat([u32(GgufType.STRING), rawString(Buffer.from([0x6c, 0xff, 0x01, 0x9b, 0x41]))]) });
    } else if (e.type === GgufType.BOOL) {
      set('uint32', { key, type: GgufType.UINT32, value: 1 });
    } else if (e.type === GgufType.ARRAY) {
      const a = e.value as GgufArray;
      const values = a.values ?? [];
      edit('array', `${key}=half`, (d) => { d.kv[i] = { key, type: e.type, value: { ...a, values: values.slice(0, Math.floor(values.length / 2)) } }; });
      edit('array', `${key}=empty`, (d) => { d.kv[i] = { key, type: e.type, value: { ...a, values: [] } }; });
      edit('array', `${key}=item-type`, (d) => {
        d.kv[i] = { key, type: e.type, value: { ...a, itemType: a.itemType === GgufType.STRING ? GgufType.UINT32 : GgufType.STRING, values: values.map((v) => (a.itemType === GgufType.STRING ? 1 : String(v))) } };
      });
      if (a.itemType === GgufType.STRING && values.length > 3) {
        edit('string', `${key}=duplicate-item`, (d) => { d.kv[i] = { key, type: e.type, value: { ...a, values: values.map((v, j) => (j === 3 ? values[2] as GgufScalar : v)) } }; });
        edit('string', `${key}=control-bytes`, (d) => { d.kv[i] = { key, type: e.type, value: { ...a, values: values.map((v, j) => (j === 3 ? '\u0000\u0007\u001b[2J' : v)) } }; });
      }
    }
    edit('missing-key', key, (d) => { d.kv.splice(i, 1); });
  }
  // A key name with raw bytes, and a duplicated key.
  edit('string', 'key-bad-bytes', (d) => { d.kv.push({ key: Buffer.from([0x67, 0x65, 0x01, 0xff, 0xfe]), type: GgufType.UINT32, value: 1 }); });
  edit('metadata', 'duplicate-key', (d) => { const first = d.kv[0]; if (first) d.kv.push(first); });

  // Keys the model does not have, with values llama.cpp would trip on.
  const arch = doc.kv.find((e) => String(e.key) === 'general.architecture' && !('raw' in e)) as { value: GgufScalar } | undefined;
  const p = `${String(arch?.value ?? 'llama')}.`;
  const tokens = doc.kv.find((e) => String(e.key) === 'tokenizer.ggml.tokens' && !('raw' in e)) as { value: GgufArray } | undefined;
  const nVocab = tokens?.value.length ?? 0;
  const extras: [string, number, GgufScalar][] = [
    [`${p}rope.freq_base`, GgufType.FLOAT32, Number.NaN], [`${p}rope.freq_base`, GgufType.FLOAT32, -1],
    [`${p}rope.scaling.type`, GgufType.STRING, 'bogus'], [`${p}rope.scaling.factor`, GgufType.FLOAT32, Number.NaN],
    [`${p}expert_count`, GgufType.UINT32, 8], [`${p}expert_used_count`, GgufType.UINT32, 2],
    [`${p}attention.key_length`, GgufType.UINT32, 7], [`${p}attention.value_length`, GgufType.UINT32, 0],
    [`${p}vocab_size`, GgufType.UINT32, nVocab + 1], ['tokenizer.ggml.eos_token_id', GgufType.UINT32, nVocab],
    ['tokenizer.ggml.bos_token_id', GgufType.UINT32, 2 ** 31], ['tokenizer.ggml.padding_token_id', GgufType.INT32, -5],
    [`${p}attention.layer_norm_epsilon`, GgufType.FLOAT32, Number.NaN], ['general.alignment', GgufType.UINT32, 3],
  ];
  for (const [key, type, value] of extras) {
    edit('extra-key', `${key}=${String(value)}`, (d) => {
      const at = d.kv.findIndex((e) => String(e.key) === key);
      const entry: GgufKvEntry = { key, type, value };
      if (at >= 0) d.kv[at] = entry;
      else d.kv.push(entry);
    });
  }
  edit('extra-key', `${p}attention.head_count=per-layer-short`, (d) => {
    const at = d.kv.findIndex((e) => String(e.key) === `${p}attention.head_count`);
    if (at >= 0) d.kv[at] = { key: `${p}attention.head_count`, type: GgufType.ARRAY, value: { itemType: GgufType.UINT32, length: 1, values: [1] } };
  });

  // Arrays nested deep (node-llama-cpp's own reader recursed on these) and lengths past the file.
  for (const depth of [2, 100, 100_000]) {
    add('deep-array', `depth-${depth}`, () => {
      const d = clone(base().doc);
      d.kv.push({ key: 'reckon.deep', raw: Buffer.concat([u32(GgufType.ARRAY), nested(depth)]) });
      return writeGguf(d);
    });
  }
  edit('deep-array', 'count-2^40', (d) => { d.kv.push({ key: 'reckon.huge', raw: Buffer.concat([u32(GgufType.ARRAY), u32(GgufType.UINT8), u64(1n << 40n)]) }); });
  edit('deep-array', 'string-2^62', (d) => { d.kv.push({ key: 'reckon.long', raw: Buffer.concat([u32(GgufType.STRING), u64(1n << 62n)]) }); });
  edit('deep-array', 'item-type-99', (d) => { d.kv.push({ key: 'reckon.odd', raw: Buffer.concat([u32(GgufType.ARRAY), u32(99), u64(1n), u32(0)]) }); });

  // Tensor infos: a seeded handful of tensors, each damaged in every way.
  const picks = new Set<number>([0, doc.tensors.length - 1]);
  while (picks.size < Math.min(6, doc.tensors.length)) picks.add(Math.floor(rand() * doc.tensors.length));
  for (const ti of [...picks].sort((a, b) => a - b)) {
    const t = doc.tensors[ti];
    if (t === undefined) continue;
    const name = String(t.name);
    const tedit = (kind: VariantKind, what: string, change: (d: GgufDocument, i: number) => void): void =>
      edit(kind, `${name}:${what}`, (d) => change(d, ti));
    for (const type of [0, 1, 8, 30, 4, 99].filter((x) => x !== t.ggmlType)) {
      tedit('tensor-type', `type-${type}`, (d, i) => { (d.tensors[i] as { ggmlType: number }).ggmlType = type; });
    }
    tedit('tensor-shape', 'dim0-0', (d, i) => { (d.tensors[i] as { dims: (number | bigint)[] }).dims[0] = 0; });
    tedit('tensor-shape', 'dim0+1', (d, i) => { const ds = (d.tensors[i] as { dims: number[] }).dims; ds[0] = (ds[0] ?? 0) + 1; });
    tedit('tensor-shape', 'swapped', (d, i) => { const x = d.tensors[i] as { dims: (number | bigint)[] }; x.dims = [...x.dims].reverse(); });
    tedit('tensor-shape', 'five-dims', (d, i) => { const x = d.tensors[i] as { dims: (number | bigint)[] }; x.dims = [...x.dims, 1, 1, 1, 1].slice(0, 5); });
    tedit('tensor-shape', 'dim-2^62', (d, i) => { (d.tensors[i] as { dims: (number | bigint)[] }).dims[0] = 1n << 62n; });
    for (const [w, delta] of [['+1', 1n], ['+32', 32n], ['-32', -32n], ['2^40', 1n << 40n]] as const) {
      tedit('tensor-offset', `offset${w}`, (d, i) => {
        const x = d.tensors[i] as { offset: number | bigint };
        x.offset = w === '2^40' ? delta : BigInt(x.offset) + delta;
      });
    }
    tedit('tensor-name', 'renamed', (d, i) => { (d.tensors[i] as { name: string | Buffer }).name = 'blk.999.attn_q.weight'; });
    tedit('tensor-name', 'raw-bytes', (d, i) => { (d.tensors[i] as { name: string | Buffer }).name = Buffer.from([0x74, 0x6f, 0x6b, 0x01, 0xff, 0x1b, 0x5b, 0x41]); });
    tedit('tensor-name', 'too-long', (d, i) => { (d.tensors[i] as { name: string | Buffer }).name = `${name}.${'x'.repeat(80)}`; });
    tedit('tensor-name', 'duplicate', (d, i) => { (d.tensors[i] as { name: string | Buffer }).name = String(d.tensors[i === 0 ? 1 : 0]?.name); });
    tedit('tensor-name', 'dropped', (d, i) => { d.tensors.splice(i, 1); });
  }
  edit('tensor-offset', 'first-two-swapped', (d) => {
    const [a, b] = d.tensors;
    if (a && b) [a.offset, b.offset] = [b.offset, a.offset];
  });

  // Random byte flips in the header.
  for (let i = 0; i < 12; i++) {
    const flips = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => [Math.floor(rand() * headerEnd), 1 + Math.floor(rand() * 255)] as const);
    add('byte-flip', `${i}-${flips.map(([at]) => at).join('.')}`, () => {
      const b = Buffer.from(base().bytes);
      for (const [at, x] of flips) b[at] = (b[at] as number) ^ x;
      return b;
    });
  }
  return out;
}

/** An array nested `depth` levels, the innermost empty: built flat, so writing it needs no recursion either. */
function nested(depth: number): Buffer {
  const level = Buffer.concat([u32(GgufType.ARRAY), u64(1n)]);
  const inner = Buffer.concat([u32(GgufType.UINT8), u64(0n)]);
  return Buffer.concat([...new Array<Buffer>(depth - 1).fill(level), inner]);
}

function clone(d: GgufDocument): GgufDocument {
  return { ...d, kv: [...d.kv], tensors: d.tensors.map((t) => ({ ...t, dims: [...t.dims] })) };
}

function shuffle<T>(list: T[], rand: () => number): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [list[i], list[j]] = [list[j] as T, list[i] as T];
  }
}

function u32(v: number): Buffer {
  return scalar(GgufType.UINT32, v);
}

function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return b;
}

function rawString(bytes: Buffer): Buffer {
  return Buffer.concat([u64(BigInt(bytes.length)), bytes]);
}
