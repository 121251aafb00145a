import { HarmonyChatWrapper, type ChatWrapper } from 'node-llama-cpp';
import type { EffortLevel } from '../common/controller/effort';

/**
 * The chat wrapper of a gpt-oss (Harmony) model with its system message's "Reasoning: <level>" line set to `level`;
 * any other wrapper is returned as it is. A copy of the resolved wrapper, so the options node-llama-cpp matched to
 * the file's own template (including its internal formatting flags) are kept; only the effort differs.
 */
export function withReasoningEffort(wrapper: ChatWrapper, level: EffortLevel): ChatWrapper {
  if (!(wrapper instanceof HarmonyChatWrapper) || wrapper.reasoningEffort === level) return wrapper;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(wrapper) as object) as HarmonyChatWrapper, wrapper);
  (copy as { reasoningEffort: EffortLevel | null }).reasoningEffort = level;
  return copy;
}
