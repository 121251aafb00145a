/**
 * The OpenAI-compatible API's mapping onto Reckon (docs/api.md), pure functions: request bodies onto chat.send
 * params, the reasoning effort onto the effort knob, the stored message's ledger onto OpenAI's usage, and the
 * stored message onto the response shapes. Usage always comes from the engine's ledger (token ids it counted),
 * never from re-tokenised text.
 */
import type { SendParams } from '../../common/api';
import type { Effort } from '../../common/controller/types';
import type { ErrorCode } from '../../common/errors';
import type { Ledger } from '../../common/ledger';
import type { ChatCompletionRequest, ReasoningEffort, ResponsesRequest } from '../../common/schemas/openai';
import type { Message, ModelInfo } from '../../common/types';

/**
 * reasoning_effort onto the effort knob (docs/controller.md): low / medium / high are the model's effort levels (its
 * manifest's, or its family's native control such as gpt-oss's; a model without levels gets 25 % / 50 % / 100 % of
 * the expected thinking as a budget), none = 0 (no thinking: a budget of 0 tokens), auto (the default) = the
 * DiffAdapt controller picks the level and budget from the question's difficulty.
 */
export const effortByReasoningEffort: Readonly<Record<ReasoningEffort, Effort>> = { none: 0, low: 'low', medium: 'medium', high: 'high', auto: 'auto' };

export function effortFor(e: ReasoningEffort | null | undefined): Effort {
  return effortByReasoningEffort[e ?? 'auto'];
}

export class MappingError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly param: string | null = null) {
    super(message);
  }
}

type Content = string | { type: string; text: string }[] | null | undefined;

function textOf(c: Content): string {
  if (c === null || c === undefined) return '';
  return typeof c === 'string' ? c : c.map((p) => p.text).join('');
}

interface InMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content?: Content;
}

/** A conversation as chat.send takes it: system prompt, earlier exchanges, the question (the last user message). */
export interface TurnInput {
  systemPrompt?: string;
  history: { role: 'user' | 'assistant'; text: string }[];
  text: string;
}

/**
 * Splits OpenAI messages into a turn: system and developer messages (wherever they are) joined into the system
 * prompt, the last message - which must be the user's - as the question, the rest as history in order.
 */
export function turnInputOf(messages: readonly InMessage[], instructions?: string | null, param = 'messages'): TurnInput {
  const system: string[] = instructions ? [instructions] : [];
  const rest: { role: 'user' | 'assistant'; text: string }[] = [];
  for (const m of messages) {
    if (m.role === 'system' || m.role === 'developer') system.push(textOf(m.content));
    else rest.push({ role: m.role, text: textOf(m.content) });
  }
  const last = rest.pop();
  if (last === undefined || last.role !== 'user') {
    throw new MappingError('BAD_REQUEST', `The last ${param === 'input' ? 'input item' : 'message'} must be the user's question.`, param);
  }
  if (last.text.trim() === '') throw new MappingError('BAD_REQUEST', 'The question (the last user message) is empty.', param);
  return { ...(system.length > 0 ? { systemPrompt: system.join('\n\n') } : {}), history: rest, text: last.text };
}

/** The model a request names: an id, a name (case-insensitive) or a file name; absent = the default model. */
export function resolveModel(models: readonly ModelInfo[], name: string | undefined): ModelInfo | undefined {
  if (name === undefined || name === '' || name === 'reckon' || name === 'default') return undefined;
  const lower = name.toLowerCase();
  const hit = models.find((m) => m.id === name) ??
    models.find((m) => m.name.toLowerCase() === lower) ??
    models.find((m) => (m.path.split(/[\\/]/).pop() ?? '').toLowerCase().replace(/\.gguf$/, '') === lower.replace(/\.gguf$/, ''));
  if (hit === undefined) throw new MappingError('MODEL_NOT_FOUND', `The model '${name}' does not exist; GET /v1/models lists them.`, 'model');
  return hit;
}

function sampling(r: ChatCompletionRequest | ResponsesRequest): Pick<SendParams, 'effort' | 'strategy' | 'seed' | 'temperature' | 'topP' | 'thinkingBudget'> {
  const effort = 'reasoning' in r && r.reasoning?.effort != null ? r.reasoning.effort : r.reasoning_effort;
  return {
    effort: effortFor(effort),
    ...(r.reckon?.strategy !== undefined ? { strategy: r.reckon.strategy } : {}),
    ...(r.seed != null ? { seed: r.seed } : {}),
    ...(r.temperature != null ? { temperature: r.temperature } : {}),
    ...(r.top_p != null ? { topP: r.top_p } : {}),
    ...(r.thinking_budget_tokens != null ? { thinkingBudget: r.thinking_budget_tokens } : {}),
  };
}

function withTurn(t: TurnInput, modelId: string | undefined): SendParams {
  return {
    text: t.text,
    ...(t.systemPrompt !== undefined ? { systemPrompt: t.systemPrompt } : {}),
    ...(t.history.length > 0 ? { history: t.history } : {}),
    ...(modelId !== undefined ? { modelId } : {}),
    origin: 'api',
  };
}

/** chat.send params of a chat completions request (a new conversation, marked as the API's). */
export function sendParamsForChat(r: ChatCompletionRequest, modelId: string | undefined): SendParams {
  const maxTokens = r.max_completion_tokens ?? r.max_tokens;
  return { ...withTurn(turnInputOf(r.messages), modelId), ...sampling(r), ...(maxTokens != null ? { maxTokens } : {}) };
}

/** chat.send params of a Responses request. */
export function sendParamsForResponses(r: ResponsesRequest, modelId: string | undefined): SendParams {
  const input: InMessage[] = typeof r.input === 'string' ? [{ role: 'user', content: r.input }] : r.input;
  return {
    ...withTurn(turnInputOf(input, r.instructions, 'input'), modelId), ...sampling(r),
    ...(r.max_output_tokens != null ? { maxTokens: r.max_output_tokens } : {}),
  };
}

/**
 * OpenAI's usage from the ledger (docs/api.md, "Usage"):
 * - prompt_tokens = prompt (decoded) + cached (reused KV) + overhead.probe (the probe's pass over the question);
 *   cached_tokens = cached.
 * - completion_tokens = visible + thinking + overhead.trial + overhead.draft + overhead.distill (every token the
 *   engine generated); reasoning_tokens = thinking (the accepted path's hidden reasoning).
 * - total_tokens = prompt_tokens + completion_tokens = ledger.billed + ledger.cached.
 */
export interface TokenUsage {
  prompt: number;
  cached: number;
  completion: number;
  reasoning: number;
  total: number;
}

export function usageOf(l: Ledger): TokenUsage {
  const prompt = l.prompt + l.cached + l.overhead.probe;
  const completion = l.visible + l.thinking + l.overhead.trial + l.overhead.draft + l.overhead.distill;
  return { prompt, cached: l.cached, completion, reasoning: l.thinking, total: prompt + completion };
}

export function chatUsage(l: Ledger): Record<string, unknown> {
  const u = usageOf(l);
  return {
    prompt_tokens: u.prompt, completion_tokens: u.completion, total_tokens: u.total,
    prompt_tokens_details: { cached_tokens: u.cached },
    completion_tokens_details: { reasoning_tokens: u.reasoning },
  };
}

export function responsesUsage(l: Ledger): Record<string, unknown> {
  const u = usageOf(l);
  return {
    input_tokens: u.prompt, output_tokens: u.completion, total_tokens: u.total,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens_details: { reasoning_tokens: u.reasoning },
  };
}

/** How the turn ended, in OpenAI's words: 'length' at the token limit, else 'stop' (a stop sequence included). */
export function finishReasonOf(m: Message, stoppedBySequence: boolean): 'stop' | 'length' {
  return m.stopReason === 'maxTokens' && !stoppedBySequence ? 'length' : 'stop';
}

/**
 * The namespaced `reckon` object every response carries: what the client was billed (the full ledger), how the
 * turn thought (difficulty, plan, drafts, early exit), whether its answer is reliable, and the receipt that lets it audit the bill (docs/audit-protocol.md;
 * the paths are relative to the API's origin and take the same Bearer key).
 */
export function reckonObject(m: Message, conversationId: string): Record<string, unknown> {
  return {
    conversation_id: conversationId,
    message_id: m.id,
    status: m.status ?? 'done',
    ...(m.stopReason !== undefined ? { stop_reason: m.stopReason } : {}),
    ledger: m.ledger ?? null,
    difficulty: m.difficulty ?? null,
    plan: m.plan ?? null,
    ...(m.earlyExit !== undefined ? { early_exit: m.earlyExit } : {}),
    ...(m.drafts !== undefined ? { drafts: m.drafts.map(({ text: _t, ...d }) => d) } : {}),
    ...(m.latencyTokens !== undefined ? { latency_tokens: m.latencyTokens } : {}),
    reliability: m.reliability ?? null,
    receipt: m.receipt !== undefined
      ? {
          id: m.id, root: m.receipt.root, tree_size: m.receipt.treeSize, public_key: m.receipt.publicKey,
          fetch: `/audit/receipt/${m.id}`, challenge: '/audit/challenge',
        }
      : null,
    ...(m.receiptError !== undefined ? { receipt_error: m.receiptError } : {}),
  };
}

/** A non-streamed chat completion. */
export function chatCompletionOf(o: { id: string; created: number; model: string; message: Message; conversationId: string; text: string; stoppedBySequence: boolean }): Record<string, unknown> {
  const m = o.message;
  return {
    id: o.id, object: 'chat.completion', created: o.created, model: o.model,
    choices: [{
      index: 0,
      message: { role: 'assistant', content: o.text, reasoning_content: m.thinking ?? '', refusal: null },
      finish_reason: finishReasonOf(m, o.stoppedBySequence),
      logprobs: null,
    }],
    usage: m.ledger !== undefined ? chatUsage(m.ledger) : null,
    reckon: reckonObject(m, o.conversationId),
  };
}

/** A Responses API response object; `status` 'in_progress' for the stream's opening events. */
export function responseOf(o: { id: string; created: number; model: string; message: Message | null; conversationId: string; text: string; stoppedBySequence: boolean; request: ResponsesRequest }): Record<string, unknown> {
  const m = o.message;
  const incomplete = m !== null && finishReasonOf(m, o.stoppedBySequence) === 'length';
  const output: Record<string, unknown>[] = [];
  if (m !== null) {
    if ((m.thinking ?? '') !== '') {
      output.push({ type: 'reasoning', id: `rs_${m.id}`, summary: [], content: [{ type: 'reasoning_text', text: m.thinking }] });
    }
    output.push({
      type: 'message', id: `msg_${m.id}`, role: 'assistant', status: incomplete ? 'incomplete' : 'completed',
      content: [{ type: 'output_text', text: o.text, annotations: [], logprobs: [] }],
    });
  }
  return {
    id: o.id, object: 'response', created_at: o.created, model: o.model,
    status: m === null ? 'in_progress' : incomplete ? 'incomplete' : 'completed',
    error: null,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: o.request.instructions ?? null,
    max_output_tokens: o.request.max_output_tokens ?? null,
    output,
    parallel_tool_calls: false, tool_choice: 'none', tools: [],
    temperature: o.request.temperature ?? null, top_p: o.request.top_p ?? null,
    reasoning: { effort: o.request.reasoning?.effort ?? o.request.reasoning_effort ?? 'auto', summary: null },
    usage: m?.ledger !== undefined ? responsesUsage(m.ledger) : null,
    ...(m !== null ? { reckon: reckonObject(m, o.conversationId) } : {}),
  };
}

/** HTTP status and OpenAI error type for a Reckon error code. */
export function httpErrorOf(code: ErrorCode): { status: number; type: string } {
  switch (code) {
    case 'BAD_REQUEST': return { status: 400, type: 'invalid_request_error' };
    case 'UNAUTHORIZED': return { status: 401, type: 'authentication_error' };
    case 'MODEL_NOT_FOUND': case 'CONVERSATION_NOT_FOUND': case 'RECEIPT_NOT_FOUND': return { status: 404, type: 'not_found_error' };
    case 'BUSY': case 'RATE_LIMITED': return { status: 429, type: 'rate_limit_error' };
    case 'MODEL_TOO_BIG': case 'GGUF_INVALID': case 'GGUF_TRUNCATED': case 'MODEL_LOAD_FAILED': return { status: 422, type: 'invalid_request_error' };
    case 'ENGINE_UNAVAILABLE': case 'ENGINE_CRASHED': case 'BACKEND_UNAVAILABLE': return { status: 503, type: 'server_error' };
    default: return { status: 500, type: 'server_error' };
  }
}

/** OpenAI's error body, with the stable Reckon code in `code`. */
export function errorBody(code: ErrorCode, message: string, param: string | null = null): { error: { message: string; type: string; code: ErrorCode; param: string | null } } {
  return { error: { message, type: httpErrorOf(code).type, code, param } };
}
