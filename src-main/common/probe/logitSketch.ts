/**
 * Difficulty features from next-token logits: the logits of the last prompt token are a linear image of the final
 * hidden state through the output matrix, so a fixed random projection of them carries what the hidden state
 * carries, and the generation's own prefill yields them (no second pass over the prompt). The projection is a
 * seeded count sketch: every vocabulary id adds its centred logit, with a fixed sign, to HASHES fixed buckets, so a
 * 151k vocabulary costs O(vocabulary) additions and no stored matrix.
 */

/** What a probe file's features are; absent in a file = 'hidden-state' (the retired embedding-context pass). */
export interface LogitSketchSpec {
  kind: 'logit-sketch';
  /** Feature length (buckets). */
  dim: number;
  /** Seed of the bucket and sign hashes. */
  seed: number;
}

/** The features every new calibration and every turn use: 128 buckets, seed 0x5eed. */
export const LOGIT_SKETCH: LogitSketchSpec = { kind: 'logit-sketch', dim: 128, seed: 0x5eed };

/** Buckets each vocabulary id lands in (more = less variance per bucket). */
const HASHES = 2;

function mix(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The fixed bucket / sign table of one (vocabulary size, spec): `bucket[id * HASHES + j]`, `sign` alike. */
export interface SketchTable {
  vocabSize: number;
  spec: LogitSketchSpec;
  bucket: Int32Array;
  sign: Float32Array;
}

const tables = new Map<string, SketchTable>();

export function sketchTable(vocabSize: number, spec: LogitSketchSpec = LOGIT_SKETCH): SketchTable {
  const key = `${vocabSize}:${spec.dim}:${spec.seed}`;
  let t = tables.get(key);
  if (t !== undefined) return t;
  const bucket = new Int32Array(vocabSize * HASHES);
  const sign = new Float32Array(vocabSize * HASHES);
  const scale = 1 / Math.sqrt(HASHES);
  for (let id = 0; id < vocabSize; id++) {
    for (let j = 0; j < HASHES; j++) {
      const h = mix(mix(id * HASHES + j) ^ mix(spec.seed + j * 0x9e3779b9));
      bucket[id * HASHES + j] = h % spec.dim;
      sign[id * HASHES + j] = (h & 0x80000000) !== 0 ? scale : -scale;
    }
  }
  t = { vocabSize, spec, bucket, sign };
  tables.set(key, t);
  return t;
}

/**
 * Projects one logit vector (token id -> logit; ids outside the table are ignored) to `spec.dim` features.
 * Centred on the mean logit, so a constant shift of all logits (which changes no probability) changes nothing.
 */
export function sketchLogits(logits: Iterable<[number, number]> | ArrayLike<number>, table: SketchTable): number[] {
  const out = new Float64Array(table.spec.dim);
  const { bucket, sign, vocabSize } = table;
  let sum = 0;
  let n = 0;
  // The sum of signed contributions of the mean, per bucket, is subtracted after one pass.
  const signMass = new Float64Array(table.spec.dim);
  const add = (id: number, v: number): void => {
    if (id < 0 || id >= vocabSize || !Number.isFinite(v)) return;
    sum += v;
    n++;
    for (let j = 0; j < HASHES; j++) {
      const k = id * HASHES + j;
      const b = bucket[k]!;
      out[b]! += sign[k]! * v;
      signMass[b]! += sign[k]!;
    }
  };
  if (isArrayLike(logits)) for (let id = 0; id < logits.length; id++) add(id, logits[id]!);
  else for (const [id, v] of logits) add(id, v);
  const mean = n === 0 ? 0 : sum / n;
  return Array.from(out, (v, b) => v - mean * signMass[b]!);
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return typeof x === 'object' && x !== null && typeof (x as { length?: unknown }).length === 'number';
}

/**
 * The first token of a generation sampled from the prefill's logits, the way the controller samples every other
 * token: greedy at temperature 0; otherwise top-k (40), top-p (default 0.95, as node-llama-cpp) and a seeded draw.
 * Returns the token and its probability under the sampled distribution.
 */
export function sampleFromLogits(
  logits: Iterable<[number, number]>,
  o: { temperature: number; topK?: number; topP?: number; seed?: number },
): { token: number; confidence: number } {
  // One pass over the vocabulary, nothing materialised: a 151k vocabulary copied into pairs and sorted cost
  // ~50-100 ms per probe turn on a CPU (tools/bench/realistic.bench.ts); only the k best are kept, in order.
  const k0 = o.temperature <= 0 ? 1 : Math.max(1, o.topK ?? 40);
  if (k0 > MAX_STREAMED_TOP_K) return sampleSorted(logits, o);
  const ids: number[] = [], vals: number[] = [];
  let n = 0, max = -Infinity;
  for (const [id, v] of logits) {
    if (!Number.isFinite(v)) continue;
    n++;
    if (v > max) max = v;
    // Strictly greater: among equal logits the earlier id stays ahead, as a stable sort keeps it.
    if (ids.length === k0 && !(v > vals[k0 - 1]!)) continue;
    let i = ids.length === k0 ? k0 - 1 : ids.length;
    while (i > 0 && vals[i - 1]! < v) i--;
    ids.splice(i, 0, id);
    vals.splice(i, 0, v);
    if (ids.length > k0) { ids.pop(); vals.pop(); }
  }
  if (n === 0) throw new RangeError('No logits to sample from.');
  if (o.temperature <= 0) {
    let z = 0;
    for (const [, v] of logits) if (Number.isFinite(v)) z += Math.exp(v - max);
    return { token: ids[0]!, confidence: 1 / z };
  }
  return drawTop(ids, vals, o);
}

/** Above this top-k the streamed insertion costs more than a sort. */
const MAX_STREAMED_TOP_K = 1024;

function sampleSorted(logits: Iterable<[number, number]>, o: { temperature: number; topK?: number; topP?: number; seed?: number }): { token: number; confidence: number } {
  const all = [...logits].filter(([, v]) => Number.isFinite(v));
  if (all.length === 0) throw new RangeError('No logits to sample from.');
  all.sort((a, b) => b[1] - a[1]);
  const top = all.slice(0, Math.max(1, Math.min(all.length, o.topK ?? 40)));
  return drawTop(top.map((e) => e[0]), top.map((e) => e[1]), o);
}

/** Top-k (ids and logits, best first) -> temperature softmax, top-p cut, seeded draw. */
function drawTop(ids: number[], vals: number[], o: { temperature: number; topP?: number; seed?: number }): { token: number; confidence: number } {
  const max = vals[0]!;
  const w = vals.map((v) => Math.exp((v - max) / o.temperature));
  const total = w.reduce((s, v) => s + v, 0);
  const p = w.map((v) => v / total);
  const topP = o.topP ?? 0.95;
  let keep = 0;
  let mass = 0;
  while (keep < p.length && (keep === 0 || mass < topP)) mass += p[keep++]!;
  let r = uniform(o.seed ?? Date.now()) * mass;
  for (let i = 0; i < keep; i++) {
    r -= p[i]!;
    if (r <= 0 || i === keep - 1) return { token: ids[i]!, confidence: p[i]! / mass };
  }
  return { token: ids[0]!, confidence: p[0]! / mass };
}

function uniform(seed: number): number {
  return mix(mix(seed >>> 0) ^ 0x632be5ab) / 2 ** 32;
}
