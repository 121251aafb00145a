/**
 * Teacher-forced scoring of committed tokens (replay audit, docs/receipts.md): the turn's prompt, then the committed
 * accepted-path tokens one after another, asking at every position where the committed token ranks among the model's
 * next-token logits. Runs on its own context, so no conversation's KV cache is touched.
 */
import type { LlamaModel, ChatWrapper, Token, ControlledEvaluateInputItem } from 'node-llama-cpp';
import type { TeacherForceParams, TeacherForceResult } from '../../common/engineProtocol';
import { promptTokens, thinkTokensOf } from '../controller/runControlled';

/** What teacherForce needs of the loaded model. */
export interface TeacherForceTarget {
  model: LlamaModel;
  chatWrapper: ChatWrapper;
  threads: number;
}

export async function teacherForce(t: TeacherForceTarget, p: TeacherForceParams): Promise<TeacherForceResult> {
  const prompt = promptTokens(t, { ...p, chatKey: '', modelPath: p.modelPath, maxTokens: 1, temperature: 0, thinkingBudget: null }, p.systemPrompt, p.question);
  const tokens = p.tokens as Token[];
  const closeToken = thinkTokensOf(t.model, t.chatWrapper)?.close ?? null;
  if (tokens.length === 0) return { ranks: [], promptTokens: prompt.length, closeToken };
  const ranks = await ranksAfterPrompt(t.model, t.threads, prompt, tokens, p.topK);
  return { ranks, promptTokens: prompt.length, closeToken };
}

/**
 * Rank of each of `tokens` (0 = the model's top choice) after `prompt` and the tokens before it; -1 = outside the
 * top `topK` (at least 1). Its own context of `threads` threads, disposed before it returns. Exported for the
 * attack suite (tools/audit), whose traces use their own prompt.
 */
export async function ranksAfterPrompt(model: LlamaModel, threads: number, prompt: readonly Token[], tokens: readonly Token[], topK: number): Promise<number[]> {
  if (tokens.length === 0) return [];
  const k = Math.max(1, topK);
  const context = await model.createContext({ contextSize: prompt.length + tokens.length + 8, sequences: 1, threads });
  try {
    const seq = context.getSequence();
    // Ask for the next-token logits after the last prompt token and after every committed token but the last:
    // the committed token itself (in the filter) and the top K, sorted high to low, give its rank.
    const ask = (next: Token): Exclude<ControlledEvaluateInputItem, Token>[1] => ({ generateNext: { logits: { filter: { tokens: [next], includeTop: k } } } });
    const input: ControlledEvaluateInputItem[] = [
      ...prompt.slice(0, -1),
      [prompt[prompt.length - 1]!, ask(tokens[0]!)],
      ...tokens.slice(0, -1).map((tok, i): ControlledEvaluateInputItem => [tok, ask(tokens[i + 1]!)]),
    ];
    const out = await seq.controlledEvaluate(input);
    return tokens.map((committed, i) => {
      const logits = out[prompt.length - 1 + i]?.next.logits;
      if (logits === undefined) return -1;
      const mine = logits.get(committed);
      if (mine === undefined) return -1;
      // Tokens strictly above the committed one; a tie with the top counts as the model's own choice.
      let above = 0;
      for (const v of logits.values()) if (v > mine) above++;
      return above < k ? above : -1;
    });
  } finally {
    await context.dispose();
  }
}
