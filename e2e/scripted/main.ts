/**
 * The scripted e2e host: the real host (createHost) behind the real browser-mode server (startWebServer), as
 * `reckon serve` runs them, in front of the fake engine running scripts.ts. Run with tsx by client.ts; prints one
 * JSON line {url, control} on stdout once it listens. The control server (127.0.0.1, its own port) lets the spec
 * step the engine and break the connection:
 *   POST /__test/open?gate=G      opens gate G (it stays open for the rest of this host's life)
 *   POST /__test/reached?gate=G   answers once a script has arrived at G
 *   POST /__test/fail?method=M&code=C&message=T   the next call of engine method M fails with C
 *   POST /__test/drop             stops the web server (every socket dropped, new ones refused)
 *   POST /__test/resume           serves again on the same port and token
 * A fresh data folder is made per run, with one unreadable conversation file so the host raises a notice.
 * RECKON_E2E_CONVERSATIONS (a JSON list of {id, title, updatedAt}) adds empty conversations last active then.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, ReckonError, type ErrorCode } from '../../src-main/common/errors';
import type { EngineMethod } from '../../src-main/common/engineProtocol';
import { createHost, hubOptionsFromEnv } from '../../src-main/host/index';
import { fakeEngine } from '../../src-main/host/testing/fakeEngine';
import { startWebServer, type WebServer } from '../../src-main/web/server';
import { scripts } from './scripts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rendererDir = join(repoRoot, 'out', 'renderer');

const home = mkdtempSync(join(tmpdir(), 'reckon-e2e-scripted-'));
const userDataDir = join(home, 'data');
const modelsDir = join(home, 'models');
mkdirSync(join(userDataDir, 'conversations'), { recursive: true });
mkdirSync(modelsDir);
writeFileSync(join(modelsDir, 'scripted.gguf'), Buffer.from('GGUF scripted stand-in model'));
writeFileSync(join(userDataDir, 'settings.json'), JSON.stringify({ threads: 1 }));
writeFileSync(join(userDataDir, 'conversations', 'abc.json'), '{"id": "abc", "title": "cut off mid-wri');
// Conversations a spec seeds (pins, a long history): `messages` are stored Message objects, absent = none.
const seeded = JSON.parse(process.env.RECKON_E2E_CONVERSATIONS ?? '[]') as { id: string; title: string; updatedAt: string; messages?: unknown[] }[];
for (const c of seeded) {
  // As files from before pins were written: no `pinned` field.
  const messages = c.messages ?? [];
  const file = { id: c.id, title: c.title, createdAt: c.updatedAt, updatedAt: c.updatedAt, messageCount: messages.length, messages };
  writeFileSync(join(userDataDir, 'conversations', `${c.id}.json`), JSON.stringify(file));
}

const engine = fakeEngine();
const s = scripts();
engine.script = s.script;
// HF_ENDPOINT: a spec's fake hub (e2e/downloads.spec.ts).
// serveApi: the API's own port as `reckon serve` opens it (a free one, never the fixed default).
const host = await createHost({ userDataDir, modelsDir, shell: 'browser', spawnEngine: engine.spawner, hub: hubOptionsFromEnv(), serveApi: { port: 0 } });
let web: WebServer | null = await startWebServer({ host, rendererDir });
const { port, token } = web;

const routes: Record<string, (q: URLSearchParams) => Promise<unknown>> = {
  '/__test/open': async (q) => engine.gates.open(required(q, 'gate')),
  '/__test/reached': async (q) => engine.gates.reached(required(q, 'gate')),
  '/__test/fail': async (q) => {
    const code = required(q, 'code') as ErrorCode;
    if (!ErrorCodes.includes(code)) throw new ReckonError('BAD_REQUEST', `unknown error code ${code}`);
    s.failNext(required(q, 'method') as EngineMethod, code, required(q, 'message'));
  },
  '/__test/drop': async () => {
    await web?.close();
    web = null;
  },
  '/__test/resume': async () => {
    web ??= await startWebServer({ host, rendererDir, port, token });
  },
};

function required(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (v === null || v === '') throw new ReckonError('BAD_REQUEST', `missing ?${name}=`);
  return v;
}

const control = createServer((req: IncomingMessage, res: ServerResponse) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const route = routes[url.pathname];
  if (req.method !== 'POST' || route === undefined) return void res.writeHead(404).end();
  route(url.searchParams).then(
    (r) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(r ?? null)),
    (err: unknown) => res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify(ReckonError.from(err).toPayload())),
  );
});
await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  control.closeAllConnections();
  control.close();
  await web?.close();
  await host.close();
  rmSync(home, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

process.stdout.write(`${JSON.stringify({ url: web.url, control: `http://127.0.0.1:${(control.address() as AddressInfo).port}` })}\n`);
