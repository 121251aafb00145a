import type { ChatHistoryItem, ChatWrapper, LlamaModel, Token } from 'node-llama-cpp';

/**
 * The tokens of the prompt a turn would decode for `question` with no history: the chat wrapper's own
 * formatting (for the bundled model `<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n`), so the
 * probe sees exactly the state generation starts from.
 */
export function promptTokens(model: LlamaModel, chatWrapper: ChatWrapper, question: string, systemPrompt = ''): Token[] {
  const history: ChatHistoryItem[] = [];
  if (systemPrompt.trim() !== '') history.push({ type: 'system', text: systemPrompt });
  history.push({ type: 'user', text: question });
  history.push({ type: 'model', response: [] });
  return chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer);
}
