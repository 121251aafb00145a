/**
 * The API router: rejects unknown methods and malformed params with BAD_REQUEST, then dispatches. Params are
 * parsed through the schema table (common/schemas/api.ts): JSON limits first (depth, size, string length), then the
 * method's strict schema; a rejected call reaches no handler, so it changes nothing.
 */
import { isApiMethod, type ApiMethod, type ApiParams, type ApiResult } from '../common/api';
import { ReckonError } from '../common/errors';
import { parseApiParams } from '../common/schemas';

export type Handlers = { [M in ApiMethod]: (p: ApiParams<M>) => Promise<ApiResult<M>> };

/** Parses one call's params, or throws BAD_REQUEST naming the field. */
export function parseParams<M extends ApiMethod>(method: M, params: unknown): ApiParams<M> {
  const r = parseApiParams(method, params);
  if (!r.ok) throw new ReckonError('BAD_REQUEST', r.message, { method });
  return r.value;
}

/** Builds call(method, params): parsing first, then the handler. */
export function createRouter(handlers: Handlers): (method: unknown, params: unknown) => Promise<unknown> {
  return async (method, params) => {
    if (!isApiMethod(method)) throw new ReckonError('BAD_REQUEST', `Unknown method '${String(method).slice(0, 100)}'.`);
    const h = handlers[method] as (p: unknown) => Promise<unknown>;
    return h(parseParams(method, params));
  };
}
