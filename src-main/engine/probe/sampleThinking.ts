import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';

/** Options for one sampled completion. */
export interface SampleOptions {
  /** Sampling temperature (> 0). */
  temperature: number;
  /** Top-K of the sampler, also the support of the entropy. Defaults to 20. */
  topK?: number;
  /** Cap on generated tokens. */
  maxTokens: number;
  seed: number;
  signal?: AbortSignal;
}

/** A sampled completion split into thinking and answer, with the thinking's mean top-K entropy. */
export interface SampledCompletion {
  /** Generated tokens, end-of-generation token excluded. */
  tokens: Token[];
  thinkingTokens: number;
  /** Mean entropy (nats) of the sampler's top-K distribution over the thinking tokens; 0 without thinking. */
  meanEntropy: number;
  answerText: string;
  /** True when maxTokens cut it off. */
  truncated: boolean;
}

/** Entropy in nats of a (top-K, renormalised) probability map. */
export function entropyOf(probabilities: ReadonlyMap<Token, number>): number {
  let h = 0;
  let total = 0;
  for (const p of probabilities.values()) total += p;
  if (total <= 0) return 0;
  for (const p of probabilities.values()) {
    const q = p / total;
    if (q > 0) h -= q * Math.log(q);
  }
  return h;
}

function indexOfRun(haystack: readonly Token[], needle: readonly Token[], from = 0): number {
  if (needle.length === 0) return -1;
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Where the thinking is in generated tokens: between the thought prefix and suffix (`<think>` ...
 * `</think>`); from the start when only the suffix shows; to the end when the suffix never came.
 * A model without a thought segment "thinks" in its whole output: start 0, end = its length, answer = all.
 */
export function thinkingSpan(tokens: readonly Token[], prefix: readonly Token[], suffix: readonly Token[]): { start: number; end: number; answerFrom: number } {
  if (suffix.length === 0) return { start: 0, end: tokens.length, answerFrom: 0 };
  const p = indexOfRun(tokens, prefix);
  const start = p >= 0 ? p + prefix.length : 0;
  const s = indexOfRun(tokens, suffix, start);
  if (s < 0) return { start, end: tokens.length, answerFrom: tokens.length };
  return { start, end: s, answerFrom: s + suffix.length };
}

/**
 * Samples one completion of `prompt` on `sequence` (which must be empty) and clears the sequence again.
 * Per-token probabilities are the sampler's own distribution (temperature, top-K, top-P 1): cheap even on
 * big vocabularies (FINDINGS.md), and the entropy is taken over exactly that support.
 */
export async function sampleThinking(
  model: LlamaModel,
  sequence: LlamaContextSequence,
  prompt: readonly Token[],
  thought: { prefix: readonly Token[]; suffix: readonly Token[] },
  o: SampleOptions,
): Promise<SampledCompletion> {
  const tokens: Token[] = [];
  const entropies: number[] = [];
  let truncated = false;
  try {
    const it = sequence.evaluateWithMetadata(prompt.slice(), { probabilities: true }, {
      temperature: o.temperature, topK: o.topK ?? 20, topP: 1, seed: o.seed, yieldEogToken: true,
    });
    for await (const step of it) {
      if (o.signal?.aborted) break;
      if (model.isEogToken(step.token)) break;
      tokens.push(step.token);
      entropies.push(entropyOf(step.probabilities));
      if (tokens.length >= o.maxTokens) {
        truncated = true;
        break;
      }
    }
  } finally {
    await sequence.eraseContextTokenRanges([{ start: 0, end: sequence.nextTokenIndex }]);
  }
  const span = thinkingSpan(tokens, thought.prefix, thought.suffix);
  const thinkingEntropies = entropies.slice(span.start, span.end);
  const meanEntropy = thinkingEntropies.length === 0 ? 0 : thinkingEntropies.reduce((s, v) => s + v, 0) / thinkingEntropies.length;
  return {
    tokens,
    thinkingTokens: Math.max(0, span.end - span.start),
    meanEntropy,
    answerText: model.detokenize(tokens.slice(span.answerFrom), false).trim(),
    truncated,
  };
}
