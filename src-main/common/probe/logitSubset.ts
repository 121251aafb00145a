import type { LogitSketchSpec } from './logitSketch';

/**
 * Difficulty features from a fixed seeded subset of the next-token logits. The logits of the last prompt token are a
 * linear image of the final hidden state (the output matrix), so a fixed subset of their rows is a fixed random
 * projection of it. node-llama-cpp hands out only the chosen ids (`generateNext.logits.filter`), so no map of the whole
 * vocabulary is built in JavaScript: the full-logits sketch cost ~100-250 ms per turn on a 151k vocabulary
 * (docs/bench.md), which is what this kind removes. Two features of the greedy next token follow the subset: its
 * logit (centred like the rest) and its log-probability, -ln(sum exp(logit - max)) (how sure the model is of its
 * first step).
 */
export interface LogitSubsetSpec {
  kind: 'logit-subset';
  /** Token ids read (fewer when the vocabulary is smaller: then all of it, or when `maxScan` says so). */
  ids: number;
  /** Seed of the id choice. */
  seed: number;
  /**
   * The most filter comparisons (vocabulary size x ids) one prefill may cost: a bigger vocabulary reads fewer ids,
   * never fewer than MIN_SUBSET_IDS. Absent in older files: `ids` on every vocabulary.
   */
  maxScan?: number;
}

/** What a probe file's features are; absent in a file = 'hidden-state' (the retired embedding-context pass). */
export type ProbeFeatureSpec = LogitSketchSpec | LogitSubsetSpec;

/**
 * The features every new calibration uses. node-llama-cpp's native filter searches the id list once per vocabulary
 * entry (AddonContext.cpp), so its cost is vocabulary x ids: 64 ids on a 151k vocabulary cost ~12 ms, 2 % of a short
 * prompt's TTFT on a 0.6B model (docs/bench.md). `maxScan` keeps all 64 on small vocabularies (the bundled model's
 * 358) and reads 13 on a 151k one.
 */
export const LOGIT_SUBSET: LogitSubsetSpec = { kind: 'logit-subset', ids: 64, seed: 0x5eed, maxScan: 2_000_000 };

/** The fewest ids a `maxScan` cap leaves (a 256k vocabulary still gets a usable projection). */
export const MIN_SUBSET_IDS = 8;

/** Features after the subset: the greedy token's centred logit and its log-probability. */
export const GREEDY_FEATURES = 2;

function mix(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** How many ids a spec reads on a vocabulary: `ids`, capped by `maxScan` and by the vocabulary itself. */
export function subsetSize(vocabSize: number, spec: LogitSubsetSpec = LOGIT_SUBSET): number {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new RangeError(`A vocabulary of ${vocabSize} tokens has no logits.`);
  const cap = spec.maxScan === undefined ? spec.ids : Math.max(MIN_SUBSET_IDS, Math.floor(spec.maxScan / vocabSize));
  return Math.min(spec.ids, cap, vocabSize);
}

/**
 * The subset's ids for a vocabulary (ascending, distinct; all ids when the vocabulary is not larger than the subset).
 * A smaller subset is the start of a larger one's draw, so a cap keeps the ids it keeps.
 */
export function subsetIds(vocabSize: number, spec: LogitSubsetSpec = LOGIT_SUBSET): number[] {
  const n = subsetSize(vocabSize, spec);
  if (n === vocabSize) return Array.from({ length: vocabSize }, (_, i) => i);
  const chosen = new Set<number>();
  for (let i = 0; chosen.size < n; i++) chosen.add(mix(mix(i) ^ mix(spec.seed)) % vocabSize);
  return [...chosen].sort((a, b) => a - b);
}

/** Feature length of a subset probe on a vocabulary. */
export function subsetFeatureDim(vocabSize: number, spec: LogitSubsetSpec = LOGIT_SUBSET): number {
  return subsetSize(vocabSize, spec) + GREEDY_FEATURES;
}

/**
 * The features of one prefill: the subset's logits minus their mean (a constant shift of all logits changes no
 * probability, so it changes nothing here), then the greedy token's logit minus the same mean and its log-probability.
 * A subset id missing from `logits` is a BAD input (the engine asked for it): it throws.
 */
export function subsetFeatures(
  logits: ReadonlyMap<number, number>,
  ids: readonly number[],
  greedy: { logit: number; totalLogitWeight: number },
): number[] {
  const vals = ids.map((id) => {
    const v = logits.get(id);
    if (v === undefined || !Number.isFinite(v)) throw new RangeError(`The logits lack subset token ${id}.`);
    return v;
  });
  const mean = vals.reduce((s, v) => s + v, 0) / Math.max(1, vals.length);
  if (!(greedy.totalLogitWeight >= 1)) throw new RangeError(`A total logit weight of ${greedy.totalLogitWeight} is impossible (>= 1: the max counts 1).`);
  return [...vals.map((v) => v - mean), greedy.logit - mean, -Math.log(greedy.totalLogitWeight)];
}
