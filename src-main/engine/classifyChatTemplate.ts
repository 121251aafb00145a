import { DeepSeekChatWrapper, HarmonyChatWrapper, QwenChatWrapper, type ChatWrapper } from 'node-llama-cpp';

/** How the engine formats prompts for a model and whether it can split out a thinking segment. */
export interface TemplateClass {
  /** 'chatml-think' | 'chatml' | 'qwen' | 'deepseek-r1' | 'gpt-oss' | 'llama' | 'none' | other wrapper names. */
  family: string;
  thinking: boolean;
}

const llamaWrapperNames = new Set(['Llama 3', 'Llama 3.1', 'Llama 3.2 lightweight', 'Llama2Chat']);

/**
 * Classifies a model's chat template.
 * - no template -> 'none' (a plain wrapper; it still chats, without a thinking block);
 * - Qwen / DeepSeek / gpt-oss (Harmony) as node-llama-cpp resolves them; thinking where the wrapper has thought segments;
 * - other ChatML with `<think>` and `</think>` in the vocabulary -> 'chatml-think' (resolveChatWrapper would pick
 *   ChatMLChatWrapper, which does not split thoughts: FINDINGS), plain ChatML -> 'chatml'.
 * @param template tokenizer.chat_template, if any.
 * @param vocabulary tokenizer.ggml.tokens, if read.
 * @param resolved what node-llama-cpp's resolveChatWrapper picked for the file, if anything.
 */
export function classifyChatTemplate(
  template: string | undefined,
  vocabulary: readonly string[] | undefined,
  resolved: ChatWrapper | null,
): TemplateClass {
  if (template === undefined || template.trim() === '') return { family: 'none', thinking: false };
  const hasThought = resolved?.settings.segments?.thought !== undefined;
  if (resolved instanceof QwenChatWrapper) return { family: 'qwen', thinking: hasThought };
  if (resolved instanceof DeepSeekChatWrapper) return { family: 'deepseek-r1', thinking: hasThought };
  if (resolved instanceof HarmonyChatWrapper) return { family: 'gpt-oss', thinking: true };
  if (template.includes('<|im_start|>')) {
    const vocab = new Set(vocabulary ?? []);
    if (vocab.has('<think>') && vocab.has('</think>')) return { family: 'chatml-think', thinking: true };
    return { family: 'chatml', thinking: false };
  }
  if (resolved === null) return { family: 'template', thinking: false };
  if (llamaWrapperNames.has(resolved.wrapperName)) return { family: 'llama', thinking: hasThought };
  return { family: resolved.wrapperName.toLowerCase().replace(/\s+/g, '-'), thinking: hasThought };
}
