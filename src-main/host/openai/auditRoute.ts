/**
 * The audit endpoints (docs/audit-protocol.md) over HTTP, for whichever loopback server serves them (browser mode's
 * page port, the API's own port); the caller has checked the Host header and the credentials:
 *   GET /audit/receipt/<messageId> -> the receipt with its question and answer (no provider store);
 *   POST /audit/challenge (AuditChallenge, turnId = the message id) -> AuditResponse.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReckonClient } from '../../common/api';
import { ReckonError } from '../../common/errors';
import type { AuditChallenge } from '../../common/receipts/types';

/** A challenge body is small (indices and a nonce): anything larger is refused with 413. */
const MAX_CHALLENGE_BYTES = 256 * 1024;

/** Answers a request under /audit/; `headers` are the server's own (CSP, nosniff...) added to every answer. */
export function createAuditRoute(o: { host: ReckonClient; headers: () => Record<string, string> }): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { ...o.headers(), 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const text = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { ...o.headers(), 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(body);
  };
  const fail = (res: ServerResponse) => (err: unknown): void => {
    const e = ReckonError.from(err);
    json(res, e.code === 'RECEIPT_NOT_FOUND' || e.code === 'CONVERSATION_NOT_FOUND' ? 404 : e.code === 'BAD_REQUEST' ? 400 : 500, { error: e.toPayload() });
  };

  return async (req, res, url) => {
    const m = /^\/audit\/receipt\/([A-Za-z0-9-]{1,100})$/.exec(url.pathname);
    if (m !== null && req.method === 'GET') {
      return o.host.call('receipts.get', { messageId: m[1] ?? '' }).then((r) => json(res, 200, r), fail(res));
    }
    if (url.pathname === '/audit/challenge' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of req as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > MAX_CHALLENGE_BYTES) return text(res, 413, 'Challenge too large.');
        chunks.push(c);
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'The body must be a JSON audit challenge.' } });
      }
      const turnId = (body as { turnId?: unknown } | null)?.turnId;
      if (typeof turnId !== 'string') return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'The challenge needs a turnId.' } });
      // The body is only known to be JSON here: the router checks its shape (BAD_REQUEST) like any call's params.
      return o.host.call('receipts.challenge', { messageId: turnId, challenge: body as AuditChallenge }).then((r) => json(res, 200, r), fail(res));
    }
    return text(res, m !== null || url.pathname === '/audit/challenge' ? 405 : 404, 'Not found.');
  };
}
