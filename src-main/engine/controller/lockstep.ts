import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';

/** Sampling options of one step, as evaluateWithMetadata takes them. */
export interface StepSampling {
  temperature: number;
  seed?: number;
  topK?: number;
  topP?: number;
  minP?: number;
}

interface PendingStep {
  sequence: LlamaContextSequence;
  tokens: Token[];
  confidence: boolean;
  sampling: StepSampling;
  resolve: (r: { token: Token | null; confidence?: number }) => void;
  reject: (e: unknown) => void;
}

/**
 * Decodes the paths of one draft round in lockstep: each step waits until every path still running has asked for its
 * next token, then all of them are queued in the same tick, so node-llama-cpp decodes them as one batch. Left to
 * themselves (one `evaluate` iterator per sequence) the paths drift apart - each resumes when its own sampling
 * finishes - and the batches split. On the 0.6B test model, 1 thread, 4 drafts took 0.97 of 4 sequential ones that way
 * and 0.90 in lockstep (docs/bench.md "Drafts in lockstep", where a bare lockstep script reached 0.41-0.62).
 */
export class Lockstep {
  #running: number;
  #pending: PendingStep[] = [];

  /** `paths` = how many paths will step; each calls `leave()` once when it stops. */
  constructor(paths: number) {
    this.#running = paths;
  }

  /** A path stopped: the others no longer wait for it. */
  leave(): void {
    this.#running--;
    this.#flush();
  }

  /** Decodes `tokens` on `sequence` with the others' next step and samples the next token (null: none). */
  step(sequence: LlamaContextSequence, tokens: Token[], confidence: boolean, sampling: StepSampling): Promise<{ token: Token | null; confidence?: number }> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ sequence, tokens, confidence, sampling, resolve, reject });
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#pending.length === 0 || this.#pending.length < this.#running) return;
    const batch = this.#pending;
    this.#pending = [];
    // Queued synchronously, one after another: the context gathers them into one batch.
    for (const p of batch) {
      const last = p.tokens.length - 1;
      const next = { token: true, confidence: p.confidence, options: p.sampling } as const;
      p.sequence.controlledEvaluate(p.tokens.map((t, i) => (i === last ? [t, { generateNext: next }] : t)))
        .then((out) => {
          const r = out[last]?.next;
          p.resolve({ token: r?.token ?? null, ...(r?.confidence !== undefined ? { confidence: r.confidence } : {}) });
        }, p.reject);
    }
  }
}

/**
 * The lockstep counterpart of `sequence.evaluateWithMetadata(tokens, { confidence }, sampling)`: yields each sampled
 * token, decodes it only when iterated again, and ends without yielding an end-of-generation token. A step samples
 * with a fresh sampler, so a seeded path advances its seed per step (the same seed each step would draw the same
 * random number every time).
 */
export async function* lockstepEvaluate(
  group: Lockstep, model: LlamaModel, sequence: LlamaContextSequence, tokens: Token[], metadata: { confidence: boolean }, sampling: StepSampling,
): AsyncGenerator<{ token: Token; confidence?: number }> {
  // evaluateWithMetadata's own defaults, so both paths sample alike.
  const base = { temperature: sampling.temperature, topK: sampling.topK ?? 40, topP: sampling.topP ?? 0.95, minP: sampling.minP ?? 0 };
  let input = tokens;
  for (let i = 0; input.length > 0; i++) {
    const seed = sampling.seed === undefined ? undefined : (sampling.seed + Math.imul(i, 0x9e3779b1)) >>> 0;
    const r = await group.step(sequence, input, metadata.confidence, seed === undefined ? base : { ...base, seed });
    if (r.token === null || model.isEogToken(r.token)) return;
    yield r.confidence !== undefined && metadata.confidence ? { token: r.token, confidence: r.confidence } : { token: r.token };
    input = [r.token];
  }
}
