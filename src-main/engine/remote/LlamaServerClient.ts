/**
 * A small client of llama.cpp's own server (tools/server: /health, /props, /slots, /apply-template, /tokenize,
 * /completion). Node's fetch, Server-Sent Events parsed here, abort through an AbortSignal, the API key as a Bearer
 * header. Every failure is a ReckonError with a stable code (ENGINE_UNREACHABLE, ENGINE_AUTH_FAILED,
 * ENGINE_SLOTS_BUSY, ENGINE_STREAM_DROPPED); an abort by the caller rejects with the signal's reason.
 * Never imports node-llama-cpp: the remote engine runs without it.
 */
import { ReckonError } from '../../common/errors';

export interface LlamaServerClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080 (a trailing slash is fine). */
  url: string;
  /** Sent as `Authorization: Bearer <key>` (llama-server's --api-key); absent = none. */
  apiKey?: string;
}

/** What GET /props says (the fields the engine reads). */
export interface ServerProps {
  /** The path the server was started with (-m). */
  modelPath: string;
  /** Parallel slots (-np). */
  totalSlots: number;
  /** The model's Jinja chat template, '' when it has none. */
  chatTemplate: string;
  /** 'b1234-abcdef', null when absent. */
  build: string | null;
  /** Context size per slot, tokens; null when the server does not say. */
  contextSize: number | null;
}

/** One chat message for /apply-template. */
export interface TemplateMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The /completion request fields the engine sends (llama-server's names). */
export interface CompletionRequest {
  prompt: number[];
  n_predict: number;
  temperature: number;
  top_k?: number;
  top_p?: number;
  min_p?: number;
  repeat_penalty?: number;
  seed?: number;
  stop?: string[];
  /** -1 = the server picks (the idle slot whose cache shares the longest prefix). */
  id_slot?: number;
  /** > 0: each token event carries its probability (CompletionChunk.probs). */
  n_probs?: number;
}

/** One streamed /completion event: a token (partial) or the end of the completion (final). */
export interface CompletionChunk {
  /** The token's text ('' for special tokens, which the server does not render). */
  content: string;
  /** The token ids of this event (one per partial event; none in the final one). */
  tokens: number[];
  /**
   * With n_probs: the probability of each of `tokens` under the model's full softmax (exp of the server's logprob,
   * before any sampler cut: what the built-in engine's `confidence` is); empty otherwise.
   */
  probs: number[];
  stop: boolean;
  idSlot: number;
  /** Final event only: 'eos' | 'limit' | 'word' | 'none'. */
  stopType?: string;
  /** The prompt's length in tokens (every event: timings_per_token). */
  promptTokens?: number;
  /** Prompt tokens reused from the slot's cache (timings.cache_n; every event). */
  cachedTokens?: number;
  /** Final event only: tokens generated. */
  predicted?: number;
}

export class LlamaServerClient {
  readonly url: string;
  readonly #apiKey: string | undefined;

  constructor(o: LlamaServerClientOptions) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      throw new ReckonError('ENGINE_UNREACHABLE', `The remote engine URL ${JSON.stringify(o.url)} is not a URL (expected e.g. http://127.0.0.1:8080).`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new ReckonError('ENGINE_UNREACHABLE', `The remote engine URL must start with http:// or https://, not ${u.protocol}//.`);
    }
    this.url = u.href.replace(/\/+$/, '');
    this.#apiKey = o.apiKey !== undefined && o.apiKey !== '' ? o.apiKey : undefined;
  }

  /** GET /health: resolves when the server is up with its model loaded. */
  async health(signal?: AbortSignal): Promise<void> {
    const r = await this.#fetch('/health', { method: 'GET' }, signal);
    if (r.status === 503) {
      await r.body?.cancel();
      throw new ReckonError('ENGINE_UNREACHABLE', `The llama-server at ${this.url} is still loading its model; try again in a moment.`, { url: this.url });
    }
    await this.#json(r, '/health');
  }

  async props(signal?: AbortSignal): Promise<ServerProps> {
    const j = await this.#json(await this.#fetch('/props', { method: 'GET' }, signal), '/props') as Record<string, unknown>;
    const settings = j['default_generation_settings'] as Record<string, unknown> | undefined;
    if (typeof j['model_path'] !== 'string') throw this.#notLlamaServer('/props has no model_path');
    return {
      modelPath: j['model_path'],
      totalSlots: typeof j['total_slots'] === 'number' ? j['total_slots'] : 1,
      chatTemplate: typeof j['chat_template'] === 'string' ? j['chat_template'] : '',
      build: typeof j['build_info'] === 'string' ? j['build_info'] : null,
      contextSize: typeof settings?.['n_ctx'] === 'number' ? settings['n_ctx'] : null,
    };
  }

  /**
   * GET /v1/models: what the server says of its model (vocabulary, parameters, file size); null fields when it does
   * not say (an older server, or another OpenAI-compatible one).
   */
  async modelMeta(signal?: AbortSignal): Promise<{ vocabSize: number | null; params: number | null; size: number | null }> {
    const j = await this.#json(await this.#fetch('/v1/models', { method: 'GET' }, signal), '/v1/models') as { data?: { meta?: Record<string, unknown> }[] };
    const meta = Array.isArray(j.data) ? j.data[0]?.meta : undefined;
    const count = (v: unknown): number | null => (Number.isInteger(v) && (v as number) >= 0 ? v as number : null);
    return { vocabSize: count(meta?.['n_vocab']), params: count(meta?.['n_params']), size: count(meta?.['size']) };
  }

  /**
   * GET /slots: how many slots are processing now; null when the server does not expose slots (--no-slots).
   */
  async busySlots(signal?: AbortSignal): Promise<{ busy: number; total: number } | null> {
    const r = await this.#fetch('/slots', { method: 'GET' }, signal);
    if (r.status === 404 || r.status === 501) {
      await r.body?.cancel();
      return null;
    }
    const j = await this.#json(r, '/slots');
    if (!Array.isArray(j)) return null;
    return { busy: j.filter((s) => (s as { is_processing?: unknown }).is_processing === true).length, total: j.length };
  }

  /** POST /apply-template: the prompt text of `messages` under the server's chat template (generation prompt added). */
  async applyTemplate(messages: TemplateMessage[], signal?: AbortSignal): Promise<string> {
    const j = await this.#post('/apply-template', { messages }, signal) as { prompt?: unknown };
    if (typeof j.prompt !== 'string') throw this.#notLlamaServer('/apply-template returned no prompt');
    return j.prompt;
  }

  /** POST /tokenize. `addSpecial`: BOS as the model wants it; `parseSpecial`: special tokens' text becomes their ids. */
  async tokenize(content: string, o: { addSpecial: boolean; parseSpecial: boolean }, signal?: AbortSignal): Promise<number[]> {
    const j = await this.#post('/tokenize', { content, add_special: o.addSpecial, parse_special: o.parseSpecial }, signal) as { tokens?: unknown };
    if (!Array.isArray(j.tokens) || !j.tokens.every((t) => typeof t === 'number')) throw this.#notLlamaServer('/tokenize returned no token ids');
    return j.tokens as number[];
  }

  /**
   * POST /completion with `stream` and `return_tokens`: yields each token as the server sends it, then the final
   * event. A stream that ends before the final event, or breaks, is ENGINE_STREAM_DROPPED; `signal` aborting ends
   * the request (the server cancels the task when the connection closes) and rejects with its reason.
   */
  async *completion(req: CompletionRequest, signal?: AbortSignal): AsyncGenerator<CompletionChunk> {
    // timings_per_token: every event carries the prompt's counts, so a stream ended early (budget, trial) still has them.
    const body = { ...req, stream: true, return_tokens: true, cache_prompt: true, timings_per_token: true, id_slot: req.id_slot ?? -1 };
    const r = await this.#fetch('/completion', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, signal);
    if (!r.ok) await this.#json(r, '/completion'); // throws the mapped error
    if (r.body === null) throw this.#dropped('it sent no body');
    const decoder = new TextDecoder();
    let buffer = '';
    let ended = false;
    const reader = r.body.getReader();
    try {
      for (;;) {
        let part: Awaited<ReturnType<typeof reader.read>>;
        try {
          part = await reader.read();
        } catch (err) {
          if (signal?.aborted) throw signal.reason;
          throw this.#dropped((err as Error)?.message ?? String(err));
        }
        if (part.done) break;
        buffer += decoder.decode(part.value, { stream: true });
        // SSE: events end with a blank line; `data:` lines carry JSON, `error:` lines a server error, `:` lines pings.
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          for (const line of event.split('\n')) {
            if (line.startsWith('error:')) throw this.#serverError(line.slice(6).trim());
            if (!line.startsWith('data:')) continue;
            const chunk = parseChunk(line.slice(5).trim());
            if (chunk === null) throw this.#dropped('it sent an event that is not JSON');
            if (chunk.stop) ended = true;
            yield chunk;
            if (ended) return;
          }
        }
      }
    } finally {
      if (!ended) await reader.cancel().catch(() => undefined);
    }
    if (signal?.aborted) throw signal.reason;
    throw this.#dropped('the stream ended before the completion did');
  }

  async #post(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    return this.#json(await this.#fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, signal), path);
  }

  async #fetch(path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#apiKey !== undefined) headers.set('authorization', `Bearer ${this.#apiKey}`);
    try {
      return await fetch(`${this.url}${path}`, { ...init, headers, ...(signal !== undefined ? { signal } : {}) });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
      const why = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
      throw new ReckonError('ENGINE_UNREACHABLE', `No llama-server answered at ${this.url} (${why}): check the URL and that the server is running.`, { url: this.url });
    }
  }

  /** The body as JSON when the status is 2xx; otherwise the status mapped to its code. */
  async #json(r: Response, path: string): Promise<unknown> {
    const text = await r.text().catch(() => '');
    if (r.status === 401) throw new ReckonError('ENGINE_AUTH_FAILED', `The llama-server at ${this.url} refused the API key (401): set the key it was started with (--engine-key or RECKON_ENGINE_KEY).`, { url: this.url });
    if (r.status === 503) throw new ReckonError('ENGINE_SLOTS_BUSY', `The llama-server at ${this.url} is busy (503: ${serverMessage(text) ?? 'unavailable'}).`, { url: this.url });
    if (!r.ok) {
      const m = serverMessage(text);
      if (r.status === 404) throw this.#notLlamaServer(`${path} answered 404`);
      throw new ReckonError('ENGINE_UNREACHABLE', `The llama-server at ${this.url} answered ${path} with HTTP ${r.status}${m !== null ? `: ${m}` : ''}.`, { url: this.url, status: r.status });
    }
    try {
      return JSON.parse(text);
    } catch {
      throw this.#notLlamaServer(`${path} did not answer JSON`);
    }
  }

  #notLlamaServer(why: string): ReckonError {
    return new ReckonError('ENGINE_UNREACHABLE', `The server at ${this.url} is not a llama-server Reckon can drive (${why}).`, { url: this.url });
  }

  #dropped(why: string): ReckonError {
    return new ReckonError('ENGINE_STREAM_DROPPED', `The llama-server at ${this.url} broke off the answer mid-stream (${why}); the turn was not kept.`, { url: this.url });
  }

  #serverError(raw: string): ReckonError {
    return new ReckonError('ENGINE_STREAM_DROPPED', `The llama-server at ${this.url} ended the answer with an error: ${serverMessage(raw) ?? raw.slice(0, 200)}.`, { url: this.url });
  }
}

/** llama-server's OAI-shaped error body's message, if the text is one. */
function serverMessage(text: string): string | null {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } };
    return typeof j.error?.message === 'string' ? j.error.message.slice(0, 300) : null;
  } catch {
    return null;
  }
}

function parseChunk(data: string): CompletionChunk | null {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return null;
  }
  const tokens = Array.isArray(j['tokens']) ? (j['tokens'] as unknown[]).filter((t): t is number => typeof t === 'number') : [];
  const c: CompletionChunk = {
    content: typeof j['content'] === 'string' ? j['content'] : '',
    tokens,
    probs: Array.isArray(j['completion_probabilities'])
      ? (j['completion_probabilities'] as { logprob?: unknown }[]).map((p) => (typeof p?.logprob === 'number' ? Math.exp(p.logprob) : 0))
      : [],
    stop: j['stop'] === true,
    idSlot: typeof j['id_slot'] === 'number' ? j['id_slot'] : -1,
  };
  const timings = j['timings'] as Record<string, unknown> | undefined;
  if (typeof j['tokens_evaluated'] === 'number') c.promptTokens = j['tokens_evaluated'];
  if (typeof timings?.['cache_n'] === 'number') c.cachedTokens = timings['cache_n'];
  if (c.stop) {
    if (typeof j['stop_type'] === 'string') c.stopType = j['stop_type'];
    if (typeof j['tokens_predicted'] === 'number') c.predicted = j['tokens_predicted'];
  }
  return c;
}
