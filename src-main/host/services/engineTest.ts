/**
 * Settings > Engine's Test connection (engine.test): asks a llama-server what it runs over real HTTP (/health,
 * /props, /slots), changing nothing. The host does not import the remote engine (engine/ is the engine process's),
 * so this is the few requests a test needs, with the same codes and sentences the remote engine uses
 * (docs/engines.md): ENGINE_UNREACHABLE, ENGINE_AUTH_FAILED.
 */
import { basename } from 'node:path';
import { ReckonError } from '../../common/errors';
import type { RemoteEngineInfo } from '../../common/types';

export interface EngineTestOptions {
  /** How long one request may take before the server counts as unreachable, ms. Defaults to 10 000. */
  timeoutMs?: number;
}

/** The server's base URL without a trailing slash; ENGINE_UNREACHABLE when it is not an http(s) URL. */
export function serverUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ReckonError('ENGINE_UNREACHABLE', `The remote engine URL ${JSON.stringify(raw)} is not a URL (expected e.g. http://127.0.0.1:8080).`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ReckonError('ENGINE_UNREACHABLE', `The remote engine URL must start with http:// or https://, not ${u.protocol}//.`);
  }
  return u.href.replace(/\/+$/, '');
}

/** What the llama-server at `url` runs: its model file's name, slots and build. */
export async function testEngine(p: { url: string; apiKey?: string }, o: EngineTestOptions = {}): Promise<RemoteEngineInfo> {
  const url = serverUrl(p.url);
  const headers: Record<string, string> = p.apiKey !== undefined && p.apiKey !== '' ? { authorization: `Bearer ${p.apiKey}` } : {};
  const get = async (path: string): Promise<Response> => {
    try {
      return await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? 'it did not answer in time' : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
      throw new ReckonError('ENGINE_UNREACHABLE', `No llama-server answered at ${url} (${why}): check the URL and that the server is running.`, { url });
    }
  };
  const notLlamaServer = (why: string): ReckonError =>
    new ReckonError('ENGINE_UNREACHABLE', `The server at ${url} is not a llama-server Reckon can drive (${why}).`, { url });
  const json = async (r: Response, path: string): Promise<unknown> => {
    if (r.status === 401) {
      await r.body?.cancel();
      throw new ReckonError('ENGINE_AUTH_FAILED', `The llama-server at ${url} refused the API key (401): set the key it was started with (--api-key on the server).`, { url });
    }
    if (r.status === 503 && path === '/health') {
      await r.body?.cancel();
      throw new ReckonError('ENGINE_UNREACHABLE', `The llama-server at ${url} is still loading its model; try again in a moment.`, { url });
    }
    if (!r.ok) {
      await r.body?.cancel();
      throw notLlamaServer(`${path} answered HTTP ${r.status}`);
    }
    try {
      return await r.json();
    } catch {
      throw notLlamaServer(`${path} did not answer JSON`);
    }
  };
  await json(await get('/health'), '/health');
  const props = await json(await get('/props'), '/props') as Record<string, unknown> | null;
  if (props === null || typeof props !== 'object' || typeof props['model_path'] !== 'string') throw notLlamaServer('/props has no model_path');
  return {
    kind: 'llama-server',
    url,
    model: basename(props['model_path']),
    slots: typeof props['total_slots'] === 'number' ? props['total_slots'] : 1,
    build: typeof props['build_info'] === 'string' ? props['build_info'] : null,
  };
}
