import type { ControlledEvaluateInputItem, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { sketchLogits, sketchTable } from '../../common/probe/logitSketch';
import { LOGIT_SUBSET, subsetFeatures, subsetIds, type ProbeFeatureSpec } from '../../common/probe/logitSubset';

/** A prompt decoded into a sequence with what its last token's next-token distribution gave the probe. */
export interface Prefill {
  /** The prompt now held by the sequence (all of it: its last token decoded with logits). */
  prompt: Token[];
  /** Prompt tokens the sequence already held (not decoded now). */
  cached: number;
  /** Prompt tokens decoded now. */
  decoded: number;
  /** Next-token logits after the last prompt token, the whole vocabulary (logit-sketch only; null for a subset). */
  logits: Map<Token, number> | null;
  /** The greedy next token and its probability (logit-subset only): a greedy path starts from it. */
  greedy: { token: Token; confidence: number } | null;
  /** The difficulty features (logitSketch or logitSubset, by the spec). */
  features: number[];
}

/**
 * Decodes `prompt` into `sequence` (reusing the prefix it already holds) and reads the last token's next-token
 * distribution: the probe's features come from the very prefill the generation then continues from (decodePath's
 * `prefilled`). A subset spec asks node-llama-cpp only for the subset's logits, the greedy token and the total logit
 * weight; the retired full-logits sketch (old probe files) asks for the whole vocabulary.
 */
export async function prefillFeatures(sequence: LlamaContextSequence, prompt: readonly Token[], spec: ProbeFeatureSpec = LOGIT_SUBSET): Promise<Prefill> {
  if (prompt.length === 0) throw new RangeError('An empty prompt has no logits.');
  // Everything the sequence holds of this prompt but the last token is kept; the last is decoded for its logits.
  const keep = Math.max(0, Math.min(sequence.compareContextTokens(prompt.slice()).firstDifferentIndex, prompt.length - 1));
  if (sequence.nextTokenIndex > keep) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  const tail = prompt.slice(keep);
  const last = tail[tail.length - 1]!;
  const base = { prompt: prompt.slice(), cached: keep, decoded: tail.length };
  if (spec.kind === 'logit-sketch') {
    const out = await sequence.controlledEvaluate([...tail.slice(0, -1), [last, { generateNext: { logits: true } }]]);
    const logits = out[out.length - 1]?.next?.logits;
    if (logits === undefined) throw new Error('The model returned no logits for the last prompt token.');
    // A full logits map has one entry per vocabulary id; an id's bucket depends on the id alone, not on the size.
    return { ...base, logits, greedy: null, features: sketchLogits(logits, sketchTable(logits.size, spec)) };
  }
  const ids = subsetIds(vocabSizeOf(sequence.model), spec) as Token[];
  // Greedy (temperature 0): the sampler leaves the distribution whole, so the filter reads raw logits; the
  // confidence is derived from totalLogitWeight (asking for `confidence` makes node-llama-cpp sort the vocabulary).
  const item: ControlledEvaluateInputItem = [last, {
    generateNext: { token: true, totalLogitWeight: true, logits: { filter: { tokens: ids, includeSelected: true } }, options: { temperature: 0 } },
  }];
  const out = await sequence.controlledEvaluate([...tail.slice(0, -1), item]);
  const next = out[out.length - 1]?.next;
  const token = next?.token;
  if (next?.logits === undefined || token == null || next.totalLogitWeight === undefined) throw new Error('The model returned no logits for the last prompt token.');
  const logit = next.logits.get(token);
  if (logit === undefined) throw new Error('The model returned no logit for its greedy token.');
  const features = subsetFeatures(next.logits, ids, { logit, totalLogitWeight: next.totalLogitWeight });
  return { ...base, logits: null, greedy: { token, confidence: 1 / next.totalLogitWeight }, features };
}

const vocabSizes = new WeakMap<LlamaModel, number>();

/** The model's vocabulary size: its GGUF's token list (node-llama-cpp has no public accessor), else the embedding rows. */
export function vocabSizeOf(model: LlamaModel): number {
  let n = vocabSizes.get(model);
  if (n !== undefined) return n;
  const embd = model.fileInfo.tensorInfo?.find((t) => t.name === 'token_embd.weight')?.dimensions[1];
  n = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? (embd === undefined ? undefined : Number(embd));
  if (n === undefined || !(n > 0)) throw new Error('The model does not say how many tokens its vocabulary has.');
  vocabSizes.set(model, n);
  return n;
}
