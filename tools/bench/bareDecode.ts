/** Bare node-llama-cpp greedy decoding of the bundled model: the baseline Reckon is compared with. */
import type { Token } from 'node-llama-cpp';
import { chatPrompt, loadBundled } from '../model/reckonArith';

export interface DecodeFigures { tokens: number; seconds: number; tokensPerSecond: number; ttftMs: number }

export async function bareDecode(question: string, threads: number, runs: number): Promise<DecodeFigures> {
  const m = await loadBundled(threads);
  try {
    let tokens = 0, seconds = 0, ttft = 0;
    for (let r = 0; r < runs; r++) {
      const seq = m.context.getSequence();
      const prompt = m.model.tokenize(chatPrompt(question), true);
      const t0 = performance.now();
      let first = 0, n = 0;
      for await (const t of seq.evaluate(prompt as Token[], { temperature: 0 })) {
        if (n === 0) first = performance.now();
        n++;
        if (m.model.isEogToken(t) || n >= 400) break;
      }
      const t1 = performance.now();
      // decode rate counts tokens after the first (the first includes prefill)
      tokens += n - 1; seconds += (t1 - first) / 1000; ttft += first - t0;
      seq.dispose();
    }
    return { tokens, seconds, tokensPerSecond: tokens / seconds, ttftMs: ttft / runs };
  } finally {
    await m.dispose();
  }
}
