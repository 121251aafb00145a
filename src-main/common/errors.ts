/**
 * Errors with stable codes. They cross process boundaries as {code, message, details}
 * and are classified by code, never by message text.
 */
export const ErrorCodes = [
  'GGUF_INVALID', // not a GGUF file at all (bad magic, unreadable header)
  'GGUF_TRUNCATED', // header says more bytes than the file holds
  'MODEL_TOO_BIG', // would not fit in the memory this machine has
  'MODEL_NOT_FOUND', // no such model id / path
  'MODEL_LOAD_FAILED', // llama.cpp refused it for another reason
  'BACKEND_UNAVAILABLE', // a user backend override that cannot load on this machine
  'ENGINE_CRASHED', // the engine process died during the request; details (common/engineCrash.ts) say whether it was restarted
  'ENGINE_UNAVAILABLE', // the engine could not be (re)started
  'TURN_ABORTED', // the user stopped the generation
  'BUSY', // another turn is running in the same conversation
  'CONVERSATION_NOT_FOUND',
  'RECEIPT_NOT_FOUND', // no stored receipt for that message (none was issued, or its file was set aside)
  'BAD_REQUEST', // malformed request (unknown method, wrong parameter types)
  'UNAUTHORIZED', // missing/wrong access token or foreign origin (browser mode)
  'STORE_CORRUPT', // a store file could not be parsed; it was set aside
  'IO_ERROR',
  'INTERNAL',
  'GGUF_BAD_METADATA', // a GGUF whose metadata (hyperparameters, tokenizer) llama.cpp would refuse or crash on
  'GGUF_BAD_TENSOR', // a GGUF whose tensor infos (types, shapes, offsets) llama.cpp would refuse or crash on
  'RATE_LIMITED', // the OpenAI-compatible API's queue is full; retry after the Retry-After header's seconds
  'DOWNLOAD_NOT_FOUND', // the hub has no such repo or file (404), or the repo has no GGUF matching the request
  'DOWNLOAD_UNAUTHORIZED', // the hub refused (401/403): a gated or private repo needs a user token
  'DOWNLOAD_CHECKSUM', // the downloaded bytes do not match the hub's LFS sha256 (or size); they were discarded
  'DOWNLOAD_NO_SPACE', // not enough free disk for the download (checked before starting, or the disk filled up)
  'DOWNLOAD_NETWORK', // the connection failed and retries did not get through; resume continues where it stopped
  'MESSAGE_NOT_FOUND', // no message with that id in the conversation
  'API_PORT_IN_USE', // the OpenAI-compatible API's port (settings.api.port) is taken by another program
  'PROBE_NEEDS_RECALIBRATION', // a probe file of a retired feature kind (hidden-state): recalibrate; turns plan without it
  'MODEL_BROKEN', // the model crashed the engine twice and is marked broken, with no other model to fall back on; "Try again" (models.clearBroken) clears it
  'CONTEXT_FULL', // the conversation (system prompt, history, question) does not fit the model's context: start a new chat or raise the model's context length
  'ENGINE_UNREACHABLE', // the remote engine's server did not answer at its URL (down, wrong URL, or not a llama-server)
  'ENGINE_AUTH_FAILED', // the remote engine's server refused the API key (HTTP 401)
  'ENGINE_MODEL_MISMATCH', // the remote engine's server runs another model than the one the turn asked for
  'ENGINE_SLOTS_BUSY', // every slot of the remote engine's server is busy (HTTP 503 while it runs)
  'ENGINE_STREAM_DROPPED', // the remote engine's stream broke off mid-turn; the turn is stored as failed
  'ENGINE_UNSUPPORTED', // the engine in use cannot do this (a remote llama-server has no calibration, teacher forcing or embedding rows)
  'DATA_FOLDER_IN_USE', // another Reckon (the desktop app, `reckon serve`, another `reckon ask`) holds this data folder: stop it, or use its page / API instead
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

/** The plain shape an error has on the wire. */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class ReckonError extends Error {
  override readonly name = 'ReckonError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  toPayload(): ErrorPayload {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromPayload(p: ErrorPayload): ReckonError {
    return new ReckonError(p.code, p.message, p.details);
  }

  /** Wraps anything thrown into a ReckonError, keeping a ReckonError as it is. */
  static from(err: unknown, fallback: ErrorCode = 'INTERNAL'): ReckonError {
    if (err instanceof ReckonError) return err;
    if (isErrorPayload(err)) return ReckonError.fromPayload(err);
    const message = err instanceof Error ? err.message : String(err);
    return new ReckonError(fallback, message);
  }
}

export function isErrorPayload(v: unknown): v is ErrorPayload {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ErrorPayload).code === 'string' &&
    (ErrorCodes as readonly string[]).includes((v as ErrorPayload).code) &&
    typeof (v as ErrorPayload).message === 'string'
  );
}
