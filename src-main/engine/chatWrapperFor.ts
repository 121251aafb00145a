import { GeneralChatWrapper, type ChatWrapper } from 'node-llama-cpp';
import { ChatMLThinkingChatWrapper } from './ChatMLThinkingChatWrapper';

/**
 * The chat wrapper a template family gets: our ChatML-with-think wrapper for 'chatml-think', a plain
 * General wrapper for models without a template (they still chat, without thinking), otherwise what
 * node-llama-cpp resolved (Qwen, DeepSeek, Harmony... with their own thought segments).
 */
export function chatWrapperFor(family: string, resolved: ChatWrapper | null): ChatWrapper {
  if (family === 'chatml-think') return new ChatMLThinkingChatWrapper();
  if (family === 'none' || resolved === null) return new GeneralChatWrapper();
  return resolved;
}
