import type { ChatWrapper } from 'node-llama-cpp';
import { applyEffortPrompt, type EffortControl, type EffortLevel } from '../common/controller/effort';
import { withReasoningEffort } from './withReasoningEffort';

/** A turn's prompt inputs once its effort level is applied. */
export interface EffortTurn {
  chatWrapper: ChatWrapper;
  systemPrompt: string;
  question: string;
}

/**
 * Asks the model for `level` the way its control says (common/controller/effort.ts applyEffortPrompt): the
 * manifest's system line and Qwen3's switch change the text; gpt-oss's level is its wrapper's system message.
 */
export function effortTurn(o: { chatWrapper: ChatWrapper; control: EffortControl | null; level: EffortLevel | null; systemPrompt: string; question: string }): EffortTurn {
  const asked = applyEffortPrompt(o.control, o.level, { systemPrompt: o.systemPrompt, question: o.question });
  return {
    chatWrapper: asked.reasoningEffort === null ? o.chatWrapper : withReasoningEffort(o.chatWrapper, asked.reasoningEffort),
    systemPrompt: asked.systemPrompt,
    question: asked.question,
  };
}
