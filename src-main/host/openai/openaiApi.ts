/**
 * The OpenAI-compatible API (docs/api.md) under /v1 of a loopback server (browser mode's, and the API's own port,
 * ApiListener.ts): GET /v1/models,
 * POST /v1/chat/completions and POST /v1/responses, streamed over SSE or not. Each request is one chat.send on the
 * host - a new conversation marked as the API's, stored like any other so its receipt can be fetched and
 * challenged - and its answer, thinking, usage (from the ledger) and `reckon` object come from that same turn.
 * Auth: `Authorization: Bearer <key>` (host's api.key). Browser pages (an Origin header) are refused unless their
 * origin is in settings.api.allowedOrigins. A client that disconnects stops its turn at once (chat.stop).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReckonClient, SendParams } from '../../common/api';
import { ReckonError, type ErrorCode } from '../../common/errors';
import type { TurnEvent } from '../../common/events';
import {
  OPENAI_MAX_BODY_BYTES, parseChatCompletionRequest, parseResponsesRequest, type ChatCompletionRequest, type ResponsesRequest,
} from '../../common/schemas/openai';
import type { Message } from '../../common/types';
import { Limiter } from './Limiter';
import {
  chatCompletionOf, chatUsage, errorBody, httpErrorOf, MappingError, reckonObject, resolveModel, responseOf,
  sendParamsForChat, sendParamsForResponses,
} from './mapping';
import { StopFilter } from './StopFilter';

export interface OpenAiApi {
  /** Answers a request whose path starts with /v1 (the caller checked the Host header). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: ErrorCode, message: string, readonly param: string | null = null, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function sameKey(given: string, key: string): boolean {
  const a = Buffer.from(given), b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether a request carries the API key as `Authorization: Bearer <key>` (the audit endpoints take it too). */
export async function hasApiKey(host: ReckonClient, req: IncomingMessage): Promise<boolean> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (m === null) return false;
  return sameKey(m[1] ?? '', (await host.call('api.key')).key);
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > OPENAI_MAX_BODY_BYTES) throw new HttpError(413, 'BAD_REQUEST', `The request body is too large (at most ${OPENAI_MAX_BODY_BYTES} bytes).`);
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body must be JSON.');
  }
}

/** What a finished API turn hands back. */
interface TurnOutcome {
  message: Message;
  conversationId: string;
  modelId: string;
  /** The answer as returned: cut before a stop sequence when one appeared. */
  text: string;
  stoppedBySequence: boolean;
}

interface TurnHooks {
  /** The turn started on this model (its id). */
  onStart?: (modelId: string) => void;
  onThought?: (text: string) => void;
  onAnswer?: (text: string) => void;
}

/** The /v1 handler over a host; limits and the key are read from it on every request, so Settings apply at once. */
export function createOpenAiApi(o: { host: ReckonClient }): OpenAiApi {
  const { host } = o;
  let lastLimits = { maxConcurrent: 1, maxQueued: 8 };
  const limiter = new Limiter(() => lastLimits);
  const now = (): number => Math.floor(Date.now() / 1000);

  /**
   * Runs one turn: chat.send, then its events until done / error. A stop sequence in the answer stops the turn;
   * `signal` (the client went away) stops it too. Rejects with the turn's error.
   */
  const runTurn = async (params: SendParams, stops: readonly string[], hooks: TurnHooks, signal: AbortSignal): Promise<TurnOutcome> => {
    const filter = new StopFilter(stops);
    let turnId: string | null = null;
    let modelId = params.modelId ?? '';
    let answer = '';
    const early: TurnEvent[] = [];
    let settle!: { resolve: (m: Message) => void; reject: (e: unknown) => void };
    const ended = new Promise<Message>((resolve, reject) => { settle = { resolve, reject }; });
    const stop = (): void => {
      if (turnId !== null) void host.call('chat.stop', { turnId }).catch(() => undefined);
    };
    const onEvent = (e: TurnEvent): void => {
      switch (e.type) {
        case 'start': modelId = e.modelId; hooks.onStart?.(e.modelId); break;
        case 'thought': hooks.onThought?.(e.text); break;
        case 'answer': {
          const out = filter.push(e.text);
          answer += out;
          if (out !== '') hooks.onAnswer?.(out);
          if (filter.hit) stop();
          break;
        }
        case 'done': settle.resolve(e.message); break;
        case 'error': settle.reject(ReckonError.fromPayload(e.error)); break;
        default: break;
      }
    };
    // Subscribed before the call, so no event of the turn can be missed; events are matched once its id is known.
    const off = host.onTurnEvent((e) => {
      if (turnId === null) early.push(e);
      else if (e.turnId === turnId) onEvent(e);
    });
    const onAbort = (): void => stop();
    try {
      const r = await host.call('chat.send', params);
      turnId = r.turnId;
      for (const e of early.splice(0)) if (e.turnId === turnId) onEvent(e);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) stop();
      const message = await ended;
      const tail = filter.flush();
      answer += tail;
      if (tail !== '') hooks.onAnswer?.(tail);
      // The stored text is authoritative; the streamed pieces add up to it unless a stop sequence cut them.
      const text = filter.hit ? answer : message.text;
      return { message, conversationId: r.conversationId, modelId, text, stoppedBySequence: filter.hit };
    } finally {
      off();
      signal.removeEventListener('abort', onAbort);
    }
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (res.headersSent) return void res.end();
    const data = JSON.stringify(body);
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(data)) });
    res.end(data);
  };

  const fail = (res: ServerResponse, err: unknown): void => {
    if (err instanceof HttpError) return sendJson(res, err.status, errorBody(err.code, err.message, err.param), err.headers);
    if (err instanceof MappingError) return sendJson(res, httpErrorOf(err.code).status, errorBody(err.code, err.message, err.param));
    const e = ReckonError.from(err);
    if (e.code === 'RATE_LIMITED') {
      const retry = Number(e.details?.['retryAfterSeconds'] ?? 1);
      return sendJson(res, 429, errorBody(e.code, e.message), { 'Retry-After': String(retry) });
    }
    sendJson(res, httpErrorOf(e.code).status, errorBody(e.code, e.message));
  };

  /** Starts an SSE response; `send` writes one `data:` event, `end` closes it (with [DONE] for chat). */
  const sse = (res: ServerResponse): { send: (v: unknown, event?: string) => void; end: (done?: boolean) => void } => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    return {
      send: (v, event) => { if (!res.writableEnded) res.write(`${event !== undefined ? `event: ${event}\n` : ''}data: ${JSON.stringify(v)}\n\n`); },
      end: (done) => { if (!res.writableEnded) res.end(done === true ? 'data: [DONE]\n\n' : undefined); },
    };
  };

  /** Model, params and a slot: everything a turn needs before it starts. */
  const prepare = async (res: ServerResponse, build: (modelId: string | undefined) => SendParams, model: string | undefined): Promise<{ params: SendParams; release: () => void; signal: AbortSignal; modelId: string }> => {
    const models = await host.call('models.list');
    const m = resolveModel(models, model);
    const params = build(m?.id);
    // The model a response names before its turn starts: the one asked for, else the default the host will pick.
    const defaultId = (await host.call('settings.get')).modelId;
    const modelId = m?.id ?? models.find((x) => x.id === defaultId)?.id ?? models.find((x) => x.bundled)?.id ?? '';
    const abort = new AbortController();
    // A response that closes before it was finished means the client went away.
    res.on('close', () => { if (!res.writableFinished) abort.abort(); });
    const release = await limiter.acquire(abort.signal);
    return { params, release, signal: abort.signal, modelId };
  };

  const chatCompletions = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parsed = parseChatCompletionRequest(await readJsonBody(req));
    if (!parsed.ok) throw new HttpError(400, 'BAD_REQUEST', `Invalid request: ${parsed.message}.`);
    const r: ChatCompletionRequest = parsed.value;
    const { params, release, signal, modelId } = await prepare(res, (id) => sendParamsForChat(r, id), r.model);
    const stops = r.stop == null ? [] : typeof r.stop === 'string' ? [r.stop] : r.stop;
    const id = `chatcmpl-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    const createdAt = now();
    try {
      if (r.stream !== true) {
        const t = await runTurn(params, stops, {}, signal);
        return sendJson(res, 200, chatCompletionOf({ id, created: createdAt, model: t.modelId, message: t.message, conversationId: t.conversationId, text: t.text, stoppedBySequence: t.stoppedBySequence }));
      }
      const out = sse(res);
      let model = modelId;
      const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}): void =>
        out.send({ id, object: 'chat.completion.chunk', created: createdAt, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra });
      let opened = false;
      const open = (): void => {
        if (!opened) { opened = true; chunk({ role: 'assistant', content: '' }); }
      };
      try {
        const t = await runTurn(params, stops, {
          onStart: (m) => { model = m; },
          onThought: (text) => { open(); chunk({ reasoning_content: text }); },
          onAnswer: (text) => { open(); chunk({ content: text }); },
        }, signal);
        model = t.modelId;
        open();
        const finish = t.message.stopReason === 'maxTokens' && !t.stoppedBySequence ? 'length' : 'stop';
        chunk({}, finish, { reckon: reckonObject(t.message, t.conversationId) });
        if (r.stream_options?.include_usage === true && t.message.ledger !== undefined) {
          out.send({ id, object: 'chat.completion.chunk', created: createdAt, model, choices: [], usage: chatUsage(t.message.ledger) });
        }
        out.end(true);
      } catch (err) {
        const e = ReckonError.from(err);
        out.send(errorBody(e.code, e.message));
        out.end();
      }
    } finally {
      release();
    }
  };

  const responses = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parsed = parseResponsesRequest(await readJsonBody(req));
    if (!parsed.ok) throw new HttpError(400, 'BAD_REQUEST', `Invalid request: ${parsed.message}.`);
    const r: ResponsesRequest = parsed.value;
    const { params, release, signal, modelId } = await prepare(res, (id) => sendParamsForResponses(r, id), r.model);
    const id = `resp_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    const createdAt = now();
    try {
      if (r.stream !== true) {
        const t = await runTurn(params, [], {}, signal);
        return sendJson(res, 200, responseOf({ id, created: createdAt, model: t.modelId, message: t.message, conversationId: t.conversationId, text: t.text, stoppedBySequence: false, request: r }));
      }
      const out = sse(res);
      let seq = 0;
      const ev = (type: string, body: Record<string, unknown>): void => out.send({ type, sequence_number: seq++, ...body }, type);
      const base = responseOf({ id, created: createdAt, model: modelId, message: null, conversationId: '', text: '', stoppedBySequence: false, request: r });
      ev('response.created', { response: base });
      ev('response.in_progress', { response: base });
      // Output items in order: the reasoning item (when there is thinking), then the message.
      let items = 0;
      let reasoning: { index: number; id: string; text: string } | null = null;
      let message: { index: number; id: string; text: string } | null = null;
      const closeReasoning = (): void => {
        if (reasoning === null || message !== null) return;
        const { index, id: itemId, text } = reasoning;
        ev('response.reasoning_text.done', { item_id: itemId, output_index: index, content_index: 0, text });
        ev('response.content_part.done', { item_id: itemId, output_index: index, content_index: 0, part: { type: 'reasoning_text', text } });
        ev('response.output_item.done', { output_index: index, item: { type: 'reasoning', id: itemId, summary: [], content: [{ type: 'reasoning_text', text }] } });
      };
      const openMessage = (): { index: number; id: string; text: string } => {
        if (message !== null) return message;
        closeReasoning();
        message = { index: items++, id: `msg_${id.slice(5)}`, text: '' };
        ev('response.output_item.added', { output_index: message.index, item: { type: 'message', id: message.id, role: 'assistant', status: 'in_progress', content: [] } });
        ev('response.content_part.added', { item_id: message.id, output_index: message.index, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
        return message;
      };
      try {
        const t = await runTurn(params, [], {
          onThought: (delta) => {
            if (message !== null) return; // thinking after the answer began is in the final response only
            if (reasoning === null) {
              reasoning = { index: items++, id: `rs_${id.slice(5)}`, text: '' };
              ev('response.output_item.added', { output_index: reasoning.index, item: { type: 'reasoning', id: reasoning.id, summary: [], content: [] } });
              ev('response.content_part.added', { item_id: reasoning.id, output_index: reasoning.index, content_index: 0, part: { type: 'reasoning_text', text: '' } });
            }
            reasoning.text += delta;
            ev('response.reasoning_text.delta', { item_id: reasoning.id, output_index: reasoning.index, content_index: 0, delta });
          },
          onAnswer: (delta) => {
            const msg = openMessage();
            msg.text += delta;
            ev('response.output_text.delta', { item_id: msg.id, output_index: msg.index, content_index: 0, delta, logprobs: [] });
          },
        }, signal);
        const msg = openMessage();
        ev('response.output_text.done', { item_id: msg.id, output_index: msg.index, content_index: 0, text: msg.text, logprobs: [] });
        const part = { type: 'output_text', text: msg.text, annotations: [], logprobs: [] };
        ev('response.content_part.done', { item_id: msg.id, output_index: msg.index, content_index: 0, part });
        const final = responseOf({ id, created: createdAt, model: t.modelId, message: t.message, conversationId: t.conversationId, text: t.text, stoppedBySequence: false, request: r });
        const status = final['status'] === 'incomplete' ? 'incomplete' : 'completed';
        ev('response.output_item.done', { output_index: msg.index, item: { type: 'message', id: msg.id, role: 'assistant', status, content: [part] } });
        ev(status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final });
        out.end();
      } catch (err) {
        const e = ReckonError.from(err);
        ev('error', { code: e.code, message: e.message, param: null });
        out.end();
      }
    } finally {
      release();
    }
  };

  const models = async (res: ServerResponse, one?: string): Promise<void> => {
    const list = (await host.call('models.list')).map((m) => ({
      id: m.id, object: 'model', created: Math.floor(Date.parse(m.addedAt) / 1000) || 0, owned_by: 'reckon',
      name: m.name, quantization: m.quantization, context_length: m.contextLength, thinking: m.thinking, bundled: m.bundled,
    }));
    if (one === undefined) return sendJson(res, 200, { object: 'list', data: list });
    const hit = list.find((m) => m.id === one || m.name.toLowerCase() === one.toLowerCase());
    if (hit === undefined) throw new HttpError(404, 'MODEL_NOT_FOUND', `The model '${one}' does not exist.`, 'model');
    sendJson(res, 200, hit);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const settings = await host.call('settings.get');
      const api = settings.api;
      lastLimits = { maxConcurrent: api.maxConcurrent, maxQueued: api.maxQueued };
      if (!api.enabled) throw new HttpError(404, 'BAD_REQUEST', 'The OpenAI-compatible API is turned off in Settings.');
      // A browser page names its origin; only the ones allowed in Settings may call (CORS for them alone).
      const origin = req.headers.origin;
      if (origin !== undefined) {
        if (!api.allowedOrigins.includes(origin)) {
          throw new HttpError(403, 'UNAUTHORIZED', `Browser origin ${origin.slice(0, 200)} is not allowed to use the API; allow it in Settings (API, allowed origins).`);
        }
        res.setHeader('Access-Control-Allow-Origin', origin);
        res.setHeader('Vary', 'Origin');
        if (req.method === 'OPTIONS') {
          res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS', 'Access-Control-Allow-Headers': 'Authorization, Content-Type', 'Access-Control-Max-Age': '600' });
          return void res.end();
        }
      }
      const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      const { key } = await host.call('api.key');
      if (auth === null || !sameKey(auth[1] ?? '', key)) {
        throw new HttpError(401, 'UNAUTHORIZED', 'Missing or wrong API key: send Authorization: Bearer <key> (reckon serve prints it).', null, { 'WWW-Authenticate': 'Bearer' });
      }
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname.replace(/\/+$/, '');
      const route = `${req.method ?? 'GET'} ${path}`;
      if (route === 'GET /v1/models') return await models(res);
      const one = /^GET \/v1\/models\/([^/]{1,1000})$/.exec(route);
      if (one !== null) {
        let id: string;
        try {
          id = decodeURIComponent(one[1] ?? '');
        } catch {
          throw new HttpError(400, 'BAD_REQUEST', 'The model id in the path is not valid percent-encoding.', 'model');
        }
        return await models(res, id);
      }
      if (route === 'POST /v1/chat/completions') return await chatCompletions(req, res);
      if (route === 'POST /v1/responses') return await responses(req, res);
      const known = ['/v1/models', '/v1/chat/completions', '/v1/responses'].includes(path);
      throw new HttpError(known ? 405 : 404, 'BAD_REQUEST', known ? `${req.method ?? ''} is not allowed on ${path}.` : `No such endpoint: ${path}.`);
    } catch (err) {
      if (res.writableEnded) return;
      if (res.headersSent) return void res.end();
      fail(res, err);
    }
  };

  return { handle };
}
