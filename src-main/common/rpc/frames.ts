import type { RpcCallFrame, RpcEvent, RpcServerFrame } from './types';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A frame a server may act on: `{kind: 'call', id: safe integer, method: string, params?}`. */
export function isCallFrame(v: unknown): v is RpcCallFrame {
  return isObject(v) && v['kind'] === 'call' && Number.isSafeInteger(v['id']) && typeof v['method'] === 'string';
}

/**
 * A frame a client may act on: a reply with a numeric id (a `result` key JSON dropped reads as undefined), or an
 * event that is a tagged object. The error payload itself is checked where it is used.
 */
export function isServerFrame(v: unknown): v is RpcServerFrame<RpcEvent> {
  if (!isObject(v)) return false;
  if (v['kind'] === 'event') return isObject(v['event']) && typeof v['event']['type'] === 'string';
  return (v['kind'] === 'result' || v['kind'] === 'error') && typeof v['id'] === 'number';
}
