import { ChatMLChatWrapper, ChatWrapper, LlamaText, SpecialTokensText, type ChatWrapperSettings } from 'node-llama-cpp';

/**
 * ChatML with a `<think>...</think>` thought segment, for ChatML models whose vocabulary has the think
 * tokens (the bundled reckon-arith model). resolveChatWrapper picks plain ChatMLChatWrapper for them,
 * which streams the reasoning as answer text; declaring the segment lets LlamaChat split thought from
 * answer and enforce `budgets.thoughtTokens` by closing with `</think>`.
 * Prior assistant turns are formatted as `<|im_start|>assistant\n{answer}<|im_end|>\n` (no thinking).
 */
export class ChatMLThinkingChatWrapper extends ChatMLChatWrapper {
  override readonly wrapperName = 'ChatMLThinking';
  override readonly settings: ChatWrapperSettings = {
    ...ChatWrapper.defaultSettings,
    segments: {
      thought: {
        prefix: LlamaText(new SpecialTokensText('<think>')),
        suffix: LlamaText(new SpecialTokensText('</think>')),
      },
    },
  };
}
