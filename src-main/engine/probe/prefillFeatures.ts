import type { ControlledEvaluateInputItem, LlamaContextSequence, Token } from 'node-llama-cpp';
import { sketchLogits, sketchTable, LOGIT_SKETCH, type LogitSketchSpec } from '../../common/probe/logitSketch';

/** A prompt decoded into a sequence with the next-token logits of its last token kept. */
export interface Prefill {
  /** The prompt now held by the sequence (all of it: its last token decoded with logits). */
  prompt: Token[];
  /** Prompt tokens the sequence already held (not decoded now). */
  cached: number;
  /** Prompt tokens decoded now. */
  decoded: number;
  /** Next-token logits after the last prompt token (id -> logit, the whole vocabulary). */
  logits: Map<Token, number>;
  /** The difficulty features of these logits (logitSketch). */
  features: number[];
}

/**
 * Decodes `prompt` into `sequence` (reusing the prefix it already holds) and reads the last token's logits: the
 * probe's features come from the very prefill the generation then samples from (decodePath's `prefilled`).
 */
export async function prefillFeatures(sequence: LlamaContextSequence, prompt: readonly Token[], spec: LogitSketchSpec = LOGIT_SKETCH): Promise<Prefill> {
  if (prompt.length === 0) throw new RangeError('An empty prompt has no logits.');
  // Everything the sequence holds of this prompt but the last token is kept; the last is decoded for its logits.
  const keep = Math.max(0, Math.min(sequence.compareContextTokens(prompt.slice()).firstDifferentIndex, prompt.length - 1));
  if (sequence.nextTokenIndex > keep) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  const tail = prompt.slice(keep);
  const input: ControlledEvaluateInputItem[] = [...tail.slice(0, -1), [tail[tail.length - 1]!, { generateNext: { logits: true } }]];
  const out = await sequence.controlledEvaluate(input);
  const logits = out[out.length - 1]?.next?.logits;
  if (logits === undefined) throw new Error('The model returned no logits for the last prompt token.');
  // A full logits map has one entry per vocabulary id; an id's bucket depends on the id alone, not on the size.
  const features = sketchLogits(logits, sketchTable(logits.size, spec));
  return { prompt: prompt.slice(), cached: keep, decoded: tail.length, logits, features };
}

