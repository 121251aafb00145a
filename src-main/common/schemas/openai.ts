/**
 * Request bodies of the OpenAI-compatible API (docs/api.md): POST /v1/chat/completions and POST /v1/responses.
 * Fields OpenAI defines that Reckon has no use for (user, metadata, logit_bias, ...) are dropped, as OpenAI's own
 * clients send some of them by default; fields whose meaning Reckon cannot honour (n > 1, tools, images) are refused
 * with BAD_REQUEST rather than silently ignored.
 */
import { z } from 'zod';
import { defaultJsonLimits, type JsonLimits } from './limits';
import { safeParseJson, type ParseResult } from './parse';
import { intIn, MAX_ID, numIn, strategySchema, text } from './primitives';

/** Largest request body, bytes (checked while reading, before JSON.parse). */
export const OPENAI_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** JSON limits of a request body: the defaults, bounded by the body size. */
export const openAiJsonLimits: Readonly<JsonLimits> = { ...defaultJsonLimits, maxTotalString: OPENAI_MAX_BODY_BYTES };

/** `none|low|medium|high` as OpenAI names them, plus `auto` (the DiffAdapt controller decides; the default). */
export const ReasoningEfforts = ['none', 'low', 'medium', 'high', 'auto'] as const;
export type ReasoningEffort = (typeof ReasoningEfforts)[number];
const reasoningEffort = z.enum(ReasoningEfforts, { error: `must be one of ${ReasoningEfforts.join(', ')}` });

const reckonOptions = z.strictObject({ strategy: strategySchema.optional() }, { error: 'must be an object ({"strategy": ...})' });

const notSupported = (what: string) => ({ error: `${what} is not supported by Reckon` });

/** A message's text: a string, or text parts (`text`, `input_text`, `output_text`); images and audio are refused. */
const textPart = z.object({
  type: z.enum(['text', 'input_text', 'output_text'], { error: 'only text parts are supported (type text, input_text or output_text)' }),
  text: text(),
});
const content = z.union([text(), z.array(textPart).max(1000)], { error: 'must be a string or a list of text parts' }).nullable();

const chatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant'], { error: 'must be system, developer, user or assistant (tool messages are not supported)' }),
  content: content.optional(),
});

const stop = z.union([text(200), z.array(text(200)).max(4)], { error: 'must be a string or a list of at most 4 strings' }).nullable().optional();

/** Sampling and reasoning fields both endpoints take. */
const common = {
  model: text(MAX_ID).optional(),
  stream: z.boolean().nullable().optional(),
  temperature: numIn(0, 2, 'must be a number 0..2').nullable().optional(),
  top_p: numIn(0, 1, 'must be a number 0..1').nullable().optional(),
  seed: intIn(0, 2 ** 31 - 1, 'must be an integer 0..2147483647').nullable().optional(),
  reasoning_effort: reasoningEffort.nullable().optional(),
  thinking_budget_tokens: intIn(0, 1_000_000, 'must be an integer 0..1000000').nullable().optional(),
  reckon: reckonOptions.optional(),
  tools: z.array(z.unknown()).max(0, notSupported('tools')).nullable().optional(),
};

export const chatCompletionRequestSchema = z.object({
  ...common,
  messages: z.array(chatMessage).min(1, { error: 'needs at least one message' }).max(1000),
  stream_options: z.object({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
  max_tokens: intIn(1, 1_000_000, 'must be an integer 1..1000000').nullable().optional(),
  max_completion_tokens: intIn(1, 1_000_000, 'must be an integer 1..1000000').nullable().optional(),
  stop,
  n: z.literal(1, notSupported('n other than 1')).nullable().optional(),
});
export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;

const responseInputItem = z.object({
  type: z.literal('message', { error: "only message items are supported (type 'message')" }).optional(),
  role: z.enum(['system', 'developer', 'user', 'assistant'], { error: 'must be system, developer, user or assistant' }),
  content,
});

export const responsesRequestSchema = z.object({
  ...common,
  input: z.union([text(), z.array(responseInputItem).min(1, { error: 'needs at least one item' }).max(1000)], { error: 'must be a string or a list of messages' }),
  instructions: text().nullable().optional(),
  max_output_tokens: intIn(1, 1_000_000, 'must be an integer 1..1000000').nullable().optional(),
  reasoning: z.object({ effort: reasoningEffort.nullable().optional() }).nullable().optional(),
  previous_response_id: z.null(notSupported('previous_response_id (send the whole input)')).optional(),
});
export type ResponsesRequest = z.output<typeof responsesRequestSchema>;

/** Parses a chat completions body; the message names the field ("messages[0].role must be ..."). */
export function parseChatCompletionRequest(body: unknown): ParseResult<ChatCompletionRequest> {
  return safeParseJson(chatCompletionRequestSchema, body, { limits: openAiJsonLimits });
}

/** Parses a Responses body. */
export function parseResponsesRequest(body: unknown): ParseResult<ResponsesRequest> {
  return safeParseJson(responsesRequestSchema, body, { limits: openAiJsonLimits });
}
