import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { LOGIT_SUBSET, type ProbeFeatureSpec } from '../../common/probe/logitSubset';
import { prefillFeatures } from './prefillFeatures';

/** Largest scratch context, tokens: calibration questions are short; longer prompts keep their tail. */
const MAX_FEATURE_CONTEXT = 2048;

/**
 * Logit features (common/probe/logitSubset.ts, or an old file's logitSketch.ts) of a prompt on a scratch sequence of the loaded model: what a
 * calibration trains on, and the separate pass for turns whose generation does not run on the controller's own
 * prefill (plain LlamaChat on models without single-token think tags). Turns on the controller's path read the same
 * features from their own prefill (prefillFeatures) instead. Created on first use, one per model.
 */
export class LogitFeatures {
  private ctx: { context: LlamaContext; sequence: LlamaContextSequence } | null = null;
  private creating: Promise<{ context: LlamaContext; sequence: LlamaContextSequence }> | null = null;

  private constructor(readonly model: LlamaModel, private readonly threads: number) {}

  static for(model: LlamaModel, threads: number): LogitFeatures {
    return new LogitFeatures(model, threads);
  }

  get contextSize(): number {
    const train = this.model.trainContextSize > 0 ? this.model.trainContextSize : MAX_FEATURE_CONTEXT;
    return Math.min(train, MAX_FEATURE_CONTEXT);
  }

  /** The features of prompt tokens; a too-long prompt keeps its tail (the last token's logits are what matter). */
  async of(tokens: readonly Token[], spec: ProbeFeatureSpec = LOGIT_SUBSET): Promise<number[]> {
    const { sequence } = await this.context();
    const room = this.contextSize - 2;
    const input = tokens.length > room ? tokens.slice(tokens.length - room) : tokens.slice();
    return (await prefillFeatures(sequence, input, spec)).features;
  }

  async dispose(): Promise<void> {
    const c = this.ctx ?? (await this.creating?.catch(() => null)) ?? null;
    this.ctx = null;
    this.creating = null;
    if (c !== null && !c.context.disposed) await c.context.dispose();
  }

  private async context(): Promise<{ context: LlamaContext; sequence: LlamaContextSequence }> {
    if (this.ctx !== null && !this.ctx.context.disposed) return this.ctx;
    this.creating ??= this.model.createContext({ contextSize: this.contextSize, sequences: 1, threads: this.threads })
      .then((context) => ({ context, sequence: context.getSequence() }));
    try {
      this.ctx = await this.creating;
      return this.ctx;
    } finally {
      this.creating = null;
    }
  }
}
