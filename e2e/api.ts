import WebSocket from 'ws';
import type { ApiMethod, ApiParams, ApiResult, ServerFrame } from '../src-main/common/api';

/** A direct API call over browser mode's WebSocket, for test setup (never for what the test checks). */
export async function api<M extends ApiMethod>(pageUrl: string, method: M, params?: ApiParams<M>): Promise<ApiResult<M>> {
  const u = new URL(pageUrl);
  const ws = new WebSocket(`ws://${u.host}/api?token=${u.searchParams.get('token') ?? ''}`);
  try {
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    return await new Promise<ApiResult<M>>((res, rej) => {
      ws.on('message', (data) => {
        const f = JSON.parse(String(data)) as ServerFrame;
        if (f.kind === 'result' && f.id === 1) res(f.result as ApiResult<M>);
        if (f.kind === 'error' && f.id === 1) rej(new Error(`${f.error.code}: ${f.error.message}`));
      });
      ws.send(JSON.stringify({ kind: 'call', id: 1, method, params }));
    });
  } finally {
    ws.close();
  }
}
