/**
 * Helpers for tests and benchmarks of the bundled model, straight on node-llama-cpp (no Reckon layers),
 * so they check the GGUF itself: tokenizer, weights, chat format.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getLlama, type Llama, type LlamaContext, type LlamaModel, type Token } from 'node-llama-cpp';

export const modelsDir = resolve(import.meta.dirname, '../../models');
export const bundledModelPath = resolve(modelsDir, 'reckon-arith.gguf');
export const goldenPath = resolve(modelsDir, 'golden/reckon-arith.golden.json');
export const heldoutPath = resolve(modelsDir, 'golden/heldout.jsonl');

export interface GoldenCase {
  question: string;
  system: string | null;
  prompt: string;
  prompt_tokens: number[];
  output_tokens: number[];
  output_text: string;
}
export interface HeldoutItem { question: string; answer: number; tier: string }

export function readGolden(): { max_new_tokens: number; cases: GoldenCase[] } {
  return JSON.parse(readFileSync(goldenPath, 'utf8'));
}

export function readHeldout(): HeldoutItem[] {
  return readFileSync(heldoutPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HeldoutItem);
}

/** ChatML exactly as the model was trained on it (models/recipe/datagen.py: chatml). */
export function chatPrompt(question: string, system?: string | null): string {
  const sys = system ? `<|im_start|>system\n${system}<|im_end|>\n` : '';
  return `${sys}<|im_start|>user\n${question}<|im_end|>\n<|im_start|>assistant\n`;
}

export interface Loaded { llama: Llama; model: LlamaModel; context: LlamaContext; dispose(): Promise<void> }

export async function loadBundled(threads = 1, sequences = 1): Promise<Loaded> {
  const llama = await getLlama({ gpu: false, build: 'never', maxThreads: threads, logLevel: 'error' as never });
  const model = await llama.loadModel({ modelPath: bundledModelPath });
  const context = await model.createContext({ contextSize: 512 * sequences, sequences, threads, batchSize: 512 });
  return {
    llama, model, context,
    async dispose() { await context.dispose(); await model.dispose(); await llama.dispose(); },
  };
}

/** Greedy generation from prompt tokens; stops at end-of-generation or maxTokens. Returns generated ids. */
export async function greedyTokens(ctx: LlamaContext, promptTokens: Token[], maxTokens: number): Promise<number[]> {
  const seq = ctx.getSequence();
  try {
    const out: number[] = [];
    for await (const t of seq.evaluate(promptTokens, { temperature: 0, yieldEogToken: true })) {
      out.push(t);
      if (ctx.model.isEogToken(t) || out.length >= maxTokens) break;
    }
    return out;
  } finally {
    seq.dispose();
  }
}

/** Splits generated text into thinking and answer; the answer's value is the last integer after '='. */
export function splitAnswer(text: string): { thinking: string; answer: string; value: number | null } {
  const end = text.indexOf('</think>');
  const thinking = end >= 0 ? text.slice(0, end).replace(/^<think>\n?/, '') : text;
  const answer = end >= 0 ? text.slice(end + '</think>'.length).trim() : '';
  const tail = answer.includes('=') ? answer.slice(answer.lastIndexOf('=')) : answer;
  const ints = tail.match(/-?\d+/g);
  return { thinking, answer, value: ints ? Number(ints[ints.length - 1]) : null };
}
