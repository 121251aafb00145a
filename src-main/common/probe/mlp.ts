/**
 * The DiffAdapt probe network: standardised features -> dense(hidden, ReLU) -> a 3-class head
 * (Easy / Normal / Hard) and a length head (standardised log(1 + thinking tokens)). Forward pass and
 * full-batch Adam training in plain TypeScript (tiny nets, ~100 examples: no library needed).
 */
import { createRng } from './rng';
import { DIFFICULTIES, type Difficulty, type MlpWeights, type ProbeNorms } from './types';

export interface MlpOutput {
  probabilities: Record<Difficulty, number>;
  difficulty: Difficulty;
  /** De-standardised thinking-length prediction, tokens (>= 0). */
  expectedThinkingTokens: number;
}

/** Per-dimension mean / std of rows; a constant dimension gets std 1 so it standardises to 0. */
export function featureNorms(rows: readonly (readonly number[])[]): { mean: number[]; std: number[] } {
  const d = rows[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += r[j]! / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) std[j]! += (r[j]! - mean[j]!) ** 2 / rows.length;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]!) > 1e-6 ? Math.sqrt(std[j]!) : 1;
  return { mean, std };
}

export function standardise(x: readonly number[], norms: Pick<ProbeNorms, 'mean' | 'std'>): number[] {
  return x.map((v, j) => (v - (norms.mean[j] ?? 0)) / (norms.std[j] ?? 1));
}

function softmax(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Raw forward on already standardised input: class logits and the standardised length output. */
export function mlpForward(w: MlpWeights, x: readonly number[]): { logits: number[]; length: number } {
  const h = w.hidden.w.map((row, i) => {
    let s = w.hidden.b[i]!;
    for (let j = 0; j < row.length; j++) s += row[j]! * x[j]!;
    return s > 0 ? s : 0;
  });
  const dot = (row: readonly number[], b: number): number => row.reduce((s, v, j) => s + v * h[j]!, b);
  return {
    logits: w.classHead.w.map((row, i) => dot(row, w.classHead.b[i]!)),
    length: dot(w.lengthHead.w[0]!, w.lengthHead.b[0]!),
  };
}

/** The probe's prediction for one raw feature vector (a final hidden state). */
export function predict(w: MlpWeights, norms: ProbeNorms, features: readonly number[]): MlpOutput {
  if (features.length !== norms.mean.length) {
    throw new Error(`The probe expects ${norms.mean.length} features, got ${features.length}.`);
  }
  const out = mlpForward(w, standardise(features, norms));
  const p = softmax(out.logits);
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  const tokens = Math.expm1(out.length * norms.lengthStd + norms.lengthMean);
  return {
    probabilities: { easy: p[0]!, normal: p[1]!, hard: p[2]! },
    difficulty: DIFFICULTIES[best]!,
    expectedThinkingTokens: Math.max(0, Math.round(tokens)),
  };
}

export interface TrainOptions {
  /** Hidden units. Defaults to 32. */
  hidden?: number;
  /** Full-batch epochs. Defaults to 400. */
  epochs?: number;
  /** Adam learning rate. Defaults to 0.01. */
  lr?: number;
  /** L2 weight decay (added to the loss as l2/2 * |W|^2). Defaults to 1e-2 (5-fold CV on a bundled-model checkpoint: same accuracy as 1e-3, lower length error). */
  l2?: number;
  /** Weight of the length head's squared error in the loss. Defaults to 0.5. */
  lengthWeight?: number;
  /** Per-class weights of the cross-entropy; defaults to inverse class frequency (balanced). */
  classWeights?: readonly number[];
  /** Defaults to 1. */
  seed?: number;
}

/**
 * Trains on standardised inputs `x`, class indices `y` (0 easy, 1 normal, 2 hard) and standardised
 * length targets `len`. Deterministic for a given seed.
 */
export function trainMlp(x: readonly (readonly number[])[], y: readonly number[], len: readonly number[], opts: TrainOptions = {}): MlpWeights {
  const n = x.length;
  const d = x[0]?.length ?? 0;
  const H = opts.hidden ?? 32;
  const C = 3;
  const epochs = opts.epochs ?? 400;
  const lr = opts.lr ?? 0.01;
  const l2 = opts.l2 ?? 1e-2;
  const lw = opts.lengthWeight ?? 0.5;
  const rng = createRng(`mlp-${opts.seed ?? 1}`);
  const counts = [0, 0, 0];
  for (const c of y) counts[c]!++;
  const cw = opts.classWeights ?? counts.map((k) => (k > 0 ? n / (C * k) : 0));
  const wsum = y.reduce((s, c) => s + cw[c]!, 0) || 1;

  // Parameters, flat: W1[H*d], b1[H], W2[C*H], b2[C], W3[H], b3[1].
  const sizes = [H * d, H, C * H, C, H, 1];
  const offs: number[] = [];
  let total = 0;
  for (const s of sizes) { offs.push(total); total += s; }
  const P = new Float64Array(total);
  const he1 = Math.sqrt(2 / Math.max(1, d));
  const he2 = Math.sqrt(1 / H);
  for (let i = 0; i < H * d; i++) P[i] = rng.normal() * he1;
  for (let i = 0; i < C * H; i++) P[offs[2]! + i] = rng.normal() * he2;
  for (let i = 0; i < H; i++) P[offs[4]! + i] = rng.normal() * he2;
  const [oW1, oB1, oW2, oB2, oW3, oB3] = offs as [number, number, number, number, number, number];

  const G = new Float64Array(total);
  const M = new Float64Array(total);
  const V = new Float64Array(total);
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const h = new Float64Array(H);
  const z = new Float64Array(H);
  const dh = new Float64Array(H);
  const xs = x.map((r) => Float64Array.from(r));

  for (let epoch = 1; epoch <= epochs; epoch++) {
    G.fill(0);
    for (let i = 0; i < n; i++) {
      const xi = xs[i]!;
      for (let k = 0; k < H; k++) {
        let s = P[oB1 + k]!;
        const base = k * d;
        for (let j = 0; j < d; j++) s += P[base + j]! * xi[j]!;
        z[k] = s;
        h[k] = s > 0 ? s : 0;
      }
      const logits = [0, 0, 0];
      for (let c = 0; c < C; c++) {
        let s = P[oB2 + c]!;
        for (let k = 0; k < H; k++) s += P[oW2 + c * H + k]! * h[k]!;
        logits[c] = s;
      }
      let lo = P[oB3]!;
      for (let k = 0; k < H; k++) lo += P[oW3 + k]! * h[k]!;
      const p = softmax(logits);
      const yi = y[i]!;
      const scale = cw[yi]! / wsum;
      dh.fill(0);
      for (let c = 0; c < C; c++) {
        const g = (p[c]! - (c === yi ? 1 : 0)) * scale;
        G[oB2 + c]! += g;
        for (let k = 0; k < H; k++) {
          G[oW2 + c * H + k]! += g * h[k]!;
          dh[k]! += g * P[oW2 + c * H + k]!;
        }
      }
      const gl = (2 * lw * (lo - len[i]!)) / n;
      G[oB3]! += gl;
      for (let k = 0; k < H; k++) {
        G[oW3 + k]! += gl * h[k]!;
        dh[k]! += gl * P[oW3 + k]!;
      }
      for (let k = 0; k < H; k++) {
        if (z[k]! <= 0) continue;
        const g = dh[k]!;
        G[oB1 + k]! += g;
        const base = k * d;
        for (let j = 0; j < d; j++) G[base + j]! += g * xi[j]!;
      }
    }
    // Weight decay on weights only (not biases).
    for (const [o, s] of [[oW1, H * d], [oW2, C * H], [oW3, H]] as const) for (let i = o; i < o + s; i++) G[i]! += l2 * P[i]!;
    const c1 = 1 - b1 ** epoch, c2 = 1 - b2 ** epoch;
    for (let i = 0; i < total; i++) {
      const g = G[i]!;
      M[i] = b1 * M[i]! + (1 - b1) * g;
      V[i] = b2 * V[i]! + (1 - b2) * g * g;
      P[i]! -= (lr * (M[i]! / c1)) / (Math.sqrt(V[i]! / c2) + eps);
    }
  }

  const rows = (o: number, r: number, c: number): number[][] => Array.from({ length: r }, (_, i) => Array.from(P.subarray(o + i * c, o + (i + 1) * c)));
  return {
    hidden: { w: rows(oW1, H, d), b: Array.from(P.subarray(oB1, oB1 + H)) },
    classHead: { w: rows(oW2, C, H), b: Array.from(P.subarray(oB2, oB2 + C)) },
    lengthHead: { w: rows(oW3, 1, H), b: [P[oB3]!] },
  };
}
