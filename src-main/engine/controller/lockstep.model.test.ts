/**
 * Drafts in lockstep decode what they would decode alone: on the bundled model (real llama.cpp, 1 thread), three
 * greedy paths stepped together - one of them stopping early - yield exactly the tokens of the same prompts run one by
 * one through evaluateWithMetadata, and a seeded sampled path is reproducible.
 */
import { resolve } from 'node:path';
import { getLlama, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lockstep, lockstepEvaluate, type StepSampling } from './lockstep';

const modelPath = resolve(import.meta.dirname, '../../../models/reckon-arith.gguf');
let llama: Llama;
let model: LlamaModel;
let context: LlamaContext;
let seqs: LlamaContextSequence[];

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', maxThreads: 1, logLevel: 'error' as never });
  model = await llama.loadModel({ modelPath });
  context = await model.createContext({ contextSize: 3 * 512, sequences: 3, threads: 1 });
  seqs = [0, 1, 2].map(() => context.getSequence());
});
afterAll(async () => {
  await context?.dispose();
  await model?.dispose();
  await llama?.dispose();
});

const questions = ['What is 37+48?', 'What is 512-97?', 'What is 6*7?'];
const promptOf = (q: string) => model.tokenize(`<|im_start|>user\n${q}<|im_end|>\n<|im_start|>assistant\n`, true) as Token[];
const limits = [60, 12, 60];

async function alone(q: string, limit: number, sampling: StepSampling): Promise<Token[]> {
  const seq = seqs[0]!;
  await seq.clearHistory();
  const out: Token[] = [];
  for await (const { token } of seq.evaluateWithMetadata(promptOf(q), { confidence: false }, sampling)) if (out.push(token) >= limit) break;
  return out;
}

async function together(sampling: StepSampling[]): Promise<Token[][]> {
  for (const s of seqs) await s.clearHistory();
  const group = new Lockstep(seqs.length);
  return Promise.all(seqs.map(async (seq, i) => {
    try {
      const out: Token[] = [];
      for await (const { token, confidence } of lockstepEvaluate(group, model, seq, promptOf(questions[i]!), { confidence: true }, sampling[i]!)) {
        expect(confidence).toBeGreaterThan(0);
        if (out.push(token) >= limits[i]!) break;
      }
      return out;
    } finally {
      group.leave();
    }
  }));
}

describe('lockstep decoding on the bundled model', () => {
  it('greedy paths stepped together, one stopping early, decode what each decodes alone', async () => {
    const greedy = { temperature: 0 };
    const expected = [];
    for (let i = 0; i < questions.length; i++) expected.push(await alone(questions[i]!, limits[i]!, greedy));
    const got = await together(questions.map(() => greedy));
    expect(got).toEqual(expected);
    expect(got[1]).toHaveLength(12);
    expect(got[0]!.length).toBeGreaterThan(12);
  });

  it('a seeded sampled path is reproducible and its seed matters', async () => {
    const s = (seed: number): StepSampling => ({ temperature: 1, seed });
    const first = await together([s(1), s(2), s(3)]);
    const again = await together([s(1), s(2), s(3)]);
    expect(again).toEqual(first);
    const other = await together([s(11), s(12), s(13)]);
    expect(other).not.toEqual(first);
  });
});
