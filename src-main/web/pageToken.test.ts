/** Browser mode's page token across restarts: stored in the data folder, rotated on request, overridden by --token. */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Host } from '../host/index';
import { hostFixture, type HostFixture } from '../host/testing/hostFixture';
import { WebSocket } from 'ws';
import { startWebServer, TOKEN_ROTATED_CLOSE } from './server';

let fx: HostFixture;
let dir: string;

beforeEach(async () => {
  fx = await hostFixture({ prefix: 'reckon-token-', bundledModel: false, freshEngine: true, shell: 'browser' });
  ({ dir } = fx);
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Reckon</title>');
});
afterEach(() => fx.dispose());

/** A restart: closes the host opened last and starts another (with a new engine) on the same folder. */
const open = (): Promise<Host> => fx.reopen();

/** Starts a server, reads its token and whether its page answers `token`, and stops it. */
async function serveOnce(h: Host, o: { token?: string; probe?: string } = {}): Promise<{ token: string; probeStatus?: number }> {
  const srv = await startWebServer({ host: h, rendererDir: join(dir, 'renderer'), ...(o.token !== undefined ? { token: o.token } : {}) });
  try {
    const probeStatus = o.probe === undefined ? undefined : (await fetch(`http://127.0.0.1:${srv.port}/?token=${o.probe}`)).status;
    return { token: srv.token, ...(probeStatus !== undefined ? { probeStatus } : {}) };
  } finally {
    await srv.close();
  }
}

describe('page token', () => {
  it('is made once, kept (mode 0600) and served again after a restart of the host and the server', async () => {
    const first = await serveOnce(await open());
    expect(first.token).toMatch(/^[0-9a-f]{64}$/);
    const file = join(dir, 'data', 'page-token.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, token: first.token });
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const again = await serveOnce(await open(), { probe: first.token });
    expect(again).toEqual({ token: first.token, probeStatus: 200 });
  });

  it('rotate replaces it: the old token is refused from then on', async () => {
    const h = await open();
    const old = (await serveOnce(h)).token;
    const rotated = await h.pageToken.rotate();
    expect(rotated).not.toBe(old);
    expect(await serveOnce(await open(), { probe: old })).toEqual({ token: rotated, probeStatus: 401 });
  });

  it('a fixed token wins and is not stored', async () => {
    const h = await open();
    const stored = (await serveOnce(h)).token;
    expect(await serveOnce(h, { token: 'my-own-token-0123456789', probe: stored })).toEqual({ token: 'my-own-token-0123456789', probeStatus: 401 });
    expect(JSON.parse(await readFile(join(dir, 'data', 'page-token.json'), 'utf8'))).toEqual({ version: 1, token: stored });
  });

  it('an unreadable token file is set aside with a notice and a new token is made', async () => {
    await writeFile(join(dir, 'data', 'page-token.json'), '{"version": 1, "token": "short"}');
    const h = await open();
    const { token } = await serveOnce(h);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const notices = await h.call('system.notices');
    expect(notices.map((n) => n.message).join('\n')).toMatch(/page token file .* was unreadable and was set aside/);
  });
});

describe('page.rotateToken on a running server', () => {
  /** A WebSocket on /api with `token`: resolves open, or with the refusal's HTTP status. */
  function connect(port: number, token: string): Promise<{ ws: WebSocket } | { refused: number }> {
    return new Promise((res) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`);
      ws.once('open', () => res({ ws }));
      ws.once('unexpected-response', (_req, r) => res({ refused: r.statusCode ?? 0 }));
    });
  }

  it('answers the page that asked with the new token, then closes every old socket (4001) and refuses the old token', async () => {
    const h = await open();
    const srv = await startWebServer({ host: h, rendererDir: join(dir, 'renderer') });
    try {
      const old = srv.token;
      const asker = await connect(srv.port, old);
      const other = await connect(srv.port, old);
      if (!('ws' in asker) || !('ws' in other)) throw new Error('the sockets did not open');
      const otherClosed = new Promise<number>((r) => other.ws.once('close', (code) => r(code)));
      const frames: unknown[] = [];
      const askerClosed = new Promise<number>((r) => asker.ws.once('close', (code) => r(code)));
      asker.ws.on('message', (d) => frames.push(JSON.parse(String(d))));
      asker.ws.send(JSON.stringify({ kind: 'call', id: 1, method: 'page.rotateToken' }));

      expect(await askerClosed).toBe(TOKEN_ROTATED_CLOSE);
      expect(await otherClosed).toBe(TOKEN_ROTATED_CLOSE);
      // The reply came before the close.
      const reply = frames.find((f) => (f as { id?: number }).id === 1) as { kind: string; result: { token: string } };
      expect(reply.kind).toBe('result');
      const fresh = reply.result.token;
      expect(fresh).toMatch(/^[0-9a-f]{64}$/);
      expect(fresh).not.toBe(old);
      expect(srv.token).toBe(fresh);
      expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/?token=${fresh}`);
      expect(JSON.parse(await readFile(join(dir, 'data', 'page-token.json'), 'utf8'))).toEqual({ version: 1, token: fresh });

      expect((await fetch(`http://127.0.0.1:${srv.port}/?token=${old}`)).status).toBe(401);
      expect(await connect(srv.port, old)).toEqual({ refused: 401 });
      expect((await fetch(`http://127.0.0.1:${srv.port}/?token=${fresh}`)).status).toBe(200);
      const again = await connect(srv.port, fresh);
      expect('ws' in again).toBe(true);
      if ('ws' in again) again.ws.close();
    } finally {
      await srv.close();
    }
  });
});
