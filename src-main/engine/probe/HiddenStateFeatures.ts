import type { LlamaEmbeddingContext, LlamaModel, Token } from 'node-llama-cpp';

/** Largest embedding context, tokens: questions are short; longer prompts keep their tail. */
const MAX_FEATURE_CONTEXT = 2048;

/**
 * DiffAdapt features: the final hidden state (after the output norm) of the last prompt token, from an
 * embedding context on the same weights (FINDINGS.md: getEmbeddingFor on a llama model returns exactly
 * this; one context cannot both generate and embed). Created on first use, one per model.
 */
export class HiddenStateFeatures {
  private ctx: LlamaEmbeddingContext | null = null;
  private creating: Promise<LlamaEmbeddingContext> | null = null;

  private constructor(readonly model: LlamaModel, private readonly threads: number) {}

  static for(model: LlamaModel, threads: number): HiddenStateFeatures {
    return new HiddenStateFeatures(model, threads);
  }

  /** Feature length: the model's embedding size. */
  get dim(): number {
    return this.model.embeddingVectorSize;
  }

  get contextSize(): number {
    const train = this.model.trainContextSize > 0 ? this.model.trainContextSize : MAX_FEATURE_CONTEXT;
    return Math.min(train, MAX_FEATURE_CONTEXT);
  }

  /** The hidden state for prompt tokens (BOS is added when the model wants one and it is missing). */
  async of(tokens: readonly Token[]): Promise<number[]> {
    const ctx = await this.context();
    // Keep room for a BOS token; the last token's state is what matters, so a too-long prompt keeps its tail.
    const room = this.contextSize - 2;
    const input = tokens.length > room ? tokens.slice(tokens.length - room) : tokens.slice();
    const e = await ctx.getEmbeddingFor(input);
    return [...e.vector];
  }

  async dispose(): Promise<void> {
    const c = this.ctx ?? (await this.creating?.catch(() => null)) ?? null;
    this.ctx = null;
    this.creating = null;
    if (c !== null && !c.disposed) await c.dispose();
  }

  private async context(): Promise<LlamaEmbeddingContext> {
    if (this.ctx !== null && !this.ctx.disposed) return this.ctx;
    this.creating ??= this.model.createEmbeddingContext({ contextSize: this.contextSize, threads: this.threads });
    try {
      this.ctx = await this.creating;
      return this.ctx;
    } finally {
      this.creating = null;
    }
  }
}
