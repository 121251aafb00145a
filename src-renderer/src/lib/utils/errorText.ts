import { engineCrashMessage, readEngineCrashDetails } from '$common/engineCrash';
import type { ErrorPayload } from '$common/errors';

/** A sentence for the user per stable error code; the host's message is shown beneath it as detail. */
const sentences: Partial<Record<ErrorPayload['code'], string>> = {
  ENGINE_CRASHED: 'The engine stopped while answering; your conversation is safe.',
  ENGINE_UNREACHABLE: 'The remote engine could not be reached. Check its URL and that llama-server is running.',
  ENGINE_AUTH_FAILED: 'The remote engine refused the API key.',
  ENGINE_MODEL_MISMATCH: 'The remote engine runs a different model than the one chosen.',
  ENGINE_SLOTS_BUSY: 'Every slot of the remote engine is busy. Try again when a turn there ends.',
  ENGINE_STREAM_DROPPED: 'The connection to the remote engine broke off mid-answer; the answer was not kept.',
  ENGINE_UNSUPPORTED: 'The engine in use cannot do this.',
  MODEL_BROKEN: 'This model crashed the engine twice and is marked broken. Choose "Try again" in the model picker to use it again.',
  ENGINE_UNAVAILABLE: 'The engine could not be started. Check the model and backend in Settings.',
  GGUF_INVALID: 'That file is not a GGUF model.',
  GGUF_TRUNCATED: 'That GGUF file is incomplete (it is shorter than its header says).',
  GGUF_BAD_METADATA: 'That GGUF file describes a model llama.cpp cannot run (a setting in its header is out of range).',
  GGUF_BAD_TENSOR: 'That GGUF file has a damaged or inconsistent weight table.',
  MODEL_TOO_BIG: 'That model does not fit in the memory this machine has.',
  MODEL_NOT_FOUND: 'The model could not be found. It may have been moved or removed.',
  MODEL_LOAD_FAILED: 'The model could not be loaded.',
  BACKEND_UNAVAILABLE: 'The selected backend is not available on this machine.',
  TURN_ABORTED: 'Stopped.',
  BUSY: 'Another answer is still being generated in this conversation.',
  CONVERSATION_NOT_FOUND: 'This conversation no longer exists.',
  RECEIPT_NOT_FOUND: 'The receipt of this answer could not be found.',
  UNAUTHORIZED: 'Access was refused. Open Reckon with the link printed by "reckon serve".',
  STORE_CORRUPT: 'A saved file could not be read and was set aside.',
  IO_ERROR: 'A file or connection error occurred.',
  BAD_REQUEST: 'The request was not understood.',
  INTERNAL: 'Something went wrong inside Reckon.',
  DOWNLOAD_NOT_FOUND: 'The hub has no such model or file.',
  DOWNLOAD_UNAUTHORIZED: 'The hub refused access: this repo needs a token with access to it.',
  DOWNLOAD_CHECKSUM: 'The downloaded file did not match the hub\'s checksum and was discarded.',
  DOWNLOAD_NO_SPACE: 'There is not enough free disk space for this download.',
  DOWNLOAD_NETWORK: 'The download could not reach the hub. Resume to continue where it stopped.',
  API_PORT_IN_USE: 'Another program is using the API\'s port. Choose another port.',
  CONTEXT_FULL: 'This conversation no longer fits the model\'s context. Start a new chat, or raise the context length in the model\'s settings.',
};

export function errorSentence(e: Pick<ErrorPayload, 'code'>): string {
  return sentences[e.code] ?? 'Something went wrong.';
}

/** The host's own message, when it says more than the sentence. */
export function errorDetail(e: ErrorPayload): string | null {
  const m = e.message?.trim();
  if (!m || m === errorSentence(e)) return null;
  return m;
}

/**
 * The crash card's one message: the host's own sentences (common/engineCrash.ts) - which model was running, how
 * the engine stopped, and what was done about it (restarting, restarted, not restarted and why, closing) - from
 * the error's details; the model name is filled in when the details lack it.
 */
export function crashText(e: ErrorPayload, modelName: string | null): string {
  const d = readEngineCrashDetails(e.details);
  if (d === null) return e.message || errorSentence(e);
  return engineCrashMessage(d.model === undefined && modelName !== null ? { ...d, model: modelName } : d);
}
