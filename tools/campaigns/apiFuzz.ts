/**
 * `npm run soak:fuzz [-- --frames 10000 --seed 1 --batch 500 --out DIR]`
 *
 * API fuzz campaign: the real host (scripted fake engine, temp data folder) behind the real web server on
 * 127.0.0.1, fed seeded mutations of valid requests - half as the page's RPC frames over its WebSocket, half as
 * HTTP requests to the OpenAI-compatible API on the same server (/v1/chat/completions, /v1/responses, /v1/models,
 * /v1/models/<id>, and /v1/completions, which Reckon does not serve). Mutations: wrong types, huge and non-finite
 * numbers, deep nesting, unknown fields, dropped fields, long strings, bad and truncated JSON, binary frames, wrong
 * kinds / methods / ids, wrong HTTP methods, bodies cut short on the socket, wrong or missing keys.
 * Invariants: the host never throws out of its handlers (uncaught exceptions and unhandled rejections counted as
 * host crashes), no reply is INTERNAL or a 500, every error code is one of ErrorCodes, every frame gets its one
 * reply, and after each batch a valid call still answers on both doors and settings.json is byte-identical (unless
 * a fuzzed settings.update in that batch was accepted, which is counted). Bounded by --frames; loopback only.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ErrorCodes } from '../../src-main/common/errors';
import { campaignOutDir, cliArg, isMain, seeded } from './campaignCli';
import { startCampaignHost, watchHostCrashes } from './campaignHost';

export interface ApiFuzzOptions {
  /** Frames in all, split evenly between the WebSocket and HTTP. */
  frames: number;
  seed: number;
  /** Frames between two health checks (a valid call on each door, settings.json compared). Default 500. */
  batch?: number;
  /** A reply that has not come after this many ms counts as a hang (a bound, not a speed figure). Default 30 000. */
  replyBoundMs?: number;
  onBatch?: (done: number, s: ApiFuzzSummary) => void;
}

export interface ApiFuzzSummary {
  wsFrames: number;
  httpRequests: number;
  /** Replies by error code (or 'result' / HTTP 2xx as 'ok'). */
  codes: Record<string, number>;
  /** HTTP statuses seen. */
  statuses: Record<string, number>;
  /** Replies with code INTERNAL, HTTP 500s, codes outside ErrorCodes, replies that were not JSON where JSON is due. */
  bad: string[];
  /** Uncaught exceptions and unhandled rejections while the campaign ran. */
  hostCrashes: string[];
  /** Frames or requests with no reply within the bound. */
  hangs: number;
  /** Health checks after a batch that failed (a valid call not answered, settings.json changed). */
  healthFailures: string[];
  /** Fuzzed settings.update calls the host accepted (the value was valid after all). */
  acceptedSettingsUpdates: number;
  /**
   * WebSocket connections the server closed, by close code; reconnected each time. 1007 (text that is not UTF-8) and
   * 1009 (a frame over the size limit) are the protocol's own answers; any other code is counted as bad too.
   */
  socketsClosed: Record<string, number>;
}

/** mulberry32: the repeatable sequence of mutations. */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Valid RPC calls to start from (nothing that reaches the network, rotates keys or removes files). */
const RPC_SEEDS: { method: string; params?: Json }[] = [
  { method: 'system.info' },
  { method: 'system.notices' },
  { method: 'settings.get' },
  { method: 'settings.update', params: { theme: 'dark' } },
  { method: 'settings.update', params: { maxTokens: 512, systemPrompt: 'Be brief.' } },
  { method: 'settings.update', params: { controller: { strategies: { easy: { budgetFraction: 0.5 } } } } },
  { method: 'models.list' },
  { method: 'conversations.list', params: { query: 'x' } },
  { method: 'conversations.get', params: { id: 'c1' } },
  { method: 'conversations.create', params: {} },
  { method: 'conversations.rename', params: { id: 'c1', title: 'A title' } },
  { method: 'conversations.pin', params: { id: 'c1', pinned: true } },
  { method: 'conversations.export', params: { id: 'c1', format: 'markdown' } },
  { method: 'conversations.setSystemPrompt', params: { id: 'c1', systemPrompt: 'Be brief.' } },
  { method: 'chat.send', params: { text: 'What is 37+48?', maxTokens: 16, seed: 3 } },
  { method: 'chat.stop', params: { turnId: 't1' } },
  { method: 'chat.answerNow', params: { turnId: 't1' } },
  { method: 'receipts.get', params: { messageId: 'm1' } },
  { method: 'receipts.trustedKeys' },
  { method: 'api.status' },
  { method: 'downloads.list' },
  { method: 'probe.status' },
];

/** Valid OpenAI-API requests to start from. */
const HTTP_SEEDS: { method: string; path: string; body?: Json }[] = [
  { method: 'GET', path: '/v1/models' },
  { method: 'GET', path: '/v1/models/reckon-arith' },
  { method: 'POST', path: '/v1/chat/completions', body: { model: 'reckon-arith', messages: [{ role: 'user', content: 'What is 2+2?' }], max_tokens: 16 } },
  { method: 'POST', path: '/v1/chat/completions', body: { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is 3+4?' }], stream: true, temperature: 0.5, stop: ['\n\n'] } },
  { method: 'POST', path: '/v1/responses', body: { model: 'reckon-arith', input: 'What is 5+6?', max_output_tokens: 16 } },
  { method: 'POST', path: '/v1/completions', body: { model: 'reckon-arith', prompt: 'What is 1+1?' } },
];

const HUGE: Json[] = [1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 0.1, -1, 0, 4294967296, 1e-320];
const ODD_STRINGS = ['', ' ', 'x'.repeat(100_000), '\u0000', '\ud800', '../../etc/passwd', '__proto__', '%s%n', '<script>', '🙂'.repeat(1000)];

/** One random value of a random type (the "wrong type" a field gets). */
function anyValue(r: () => number): Json {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  switch (Math.floor(r() * 7)) {
    case 0: return pick(HUGE);
    case 1: return pick(ODD_STRINGS);
    case 2: return r() < 0.5;
    case 3: return null;
    case 4: return [pick(HUGE), pick(ODD_STRINGS)];
    case 5: return { __proto__: { polluted: true }, constructor: 'x' } as unknown as Json;
    default: return Math.floor(r() * 1000) - 500;
  }
}

/** Paths to every value inside v (objects and arrays), the root included. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function setAt(root: Json, at: (string | number)[], value: Json | undefined): Json {
  if (at.length === 0) return value ?? null;
  const copy = structuredClone(root) as Record<string | number, Json>;
  let node = copy as Record<string | number, Json>;
  for (const k of at.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  const last = at.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy as Json;
}

/** A deep value as text: `{"a":` n times (built as text, as a parser meets it; JSON.stringify would recurse). */
const deepText = (n: number, open: string, close: string): string => `${open.repeat(n)}1${close.repeat(n)}`;

/** Mutates a JSON value into text: most mutations keep it JSON, some break the text itself. */
export function mutate(v: Json, r: () => number): { text: string; kind: string } {
  const all = paths(v);
  const at = all[Math.floor(r() * all.length)]!;
  const choice = Math.floor(r() * 10);
  switch (choice) {
    case 0: return { text: JSON.stringify(setAt(v, at, anyValue(r))), kind: 'wrong type' };
    case 1: return { text: JSON.stringify(setAt(v, at, HUGE[Math.floor(r() * HUGE.length)]!)), kind: 'huge number' };
    case 2: {
      // non-finite numbers and numbers past a double are legal JSON text
      const marker = '"__NUM__"';
      const t = JSON.stringify(setAt(v, at, '__NUM__')).replace(marker, ['1e400', '-1e400', '123456789012345678901234567890', '-0', '1.7976931348623157e309'][Math.floor(r() * 5)]!);
      return { text: t, kind: 'huge number' };
    }
    case 3: {
      const depth = [2, 33, 100, 1000, 100_000][Math.floor(r() * 5)]!;
      const marker = '"__DEEP__"';
      const deep = r() < 0.5 ? deepText(depth, '{"a":', '}') : deepText(depth, '[', ']');
      return { text: JSON.stringify(setAt(v, at, '__DEEP__')).replace(marker, deep), kind: 'deep nesting' };
    }
    case 4: {
      const obj = all.filter((p) => { const x = p.reduce<Json>((n, k) => (n as Record<string | number, Json>)[k]!, v); return x !== null && typeof x === 'object' && !Array.isArray(x); });
      const p = obj[Math.floor(r() * obj.length)] ?? [];
      return { text: JSON.stringify(setAt(v, [...p, `fuzz_${Math.floor(r() * 1e6)}`], anyValue(r))), kind: 'unknown field' };
    }
    case 5: return { text: JSON.stringify(at.length > 0 ? setAt(v, at, undefined) : {}), kind: 'dropped field' };
    case 6: {
      const t = JSON.stringify(v);
      return { text: t.slice(0, Math.floor(r() * t.length)), kind: 'truncated' };
    }
    case 7: {
      const t = JSON.stringify(v);
      const i = Math.floor(r() * t.length);
      return { text: t.slice(0, i) + '{[",:}]\\'[Math.floor(r() * 8)]! + t.slice(i + 1), kind: 'bad JSON' };
    }
    case 8: return { text: JSON.stringify(setAt(v, at, ODD_STRINGS[Math.floor(r() * ODD_STRINGS.length)]!)), kind: 'odd string' };
    default: return { text: ['', 'null', '[]', '"call"', '1', 'true', '{}', '\ufeff{}'][Math.floor(r() * 8)]!, kind: 'not an object' };
  }
}

const known = new Set<string>(ErrorCodes);

export async function apiFuzzCampaign(o: ApiFuzzOptions): Promise<ApiFuzzSummary> {
  const r = seeded(o.seed);
  const batch = o.batch ?? 500;
  const bound = o.replyBoundMs ?? 30_000;
  const s: ApiFuzzSummary = { wsFrames: 0, httpRequests: 0, codes: {}, statuses: {}, bad: [], hostCrashes: [], hangs: 0, healthFailures: [], acceptedSettingsUpdates: 0, socketsClosed: {} };
  const count = (code: string): void => { s.codes[code] = (s.codes[code] ?? 0) + 1; };
  const unwatch = watchHostCrashes(s.hostCrashes);
  const ch = await startCampaignHost({
    prefix: 'reckon-soak-fuzz-',
    settings: { threads: 1, api: { enabled: true, allowedOrigins: [], maxConcurrent: 1, maxQueued: 64 } },
    engine: (e) => { e.stepMs = 0; },
  });
  const { host, web } = ch;
  const settingsFile = join(ch.data, 'settings.json');
  const { key } = await host.call('api.key');
  // one valid conversation the seeds' ids can point at
  const conv = await host.call('conversations.create', {});
  let settingsBefore = await readFile(settingsFile);

  // ---- the WebSocket door ----
  let ws: WebSocket | null = null;
  const open = (): Promise<WebSocket> => new Promise((ok, fail) => {
    const sock = new WebSocket(`ws://127.0.0.1:${web.port}/api?token=${web.token}`);
    sock.once('open', () => ok(sock));
    sock.once('error', fail);
  });
  /** Sends one frame; resolves with the next reply frame (events skipped), 'closed' or 'hang'. */
  const wsSend = async (text: string | Buffer, binary = false): Promise<Record<string, unknown> | 'closed' | 'hang'> => {
    ws ??= await open();
    const sock = ws;
    return new Promise((done) => {
      const finish = (v: Record<string, unknown> | 'closed' | 'hang'): void => {
        clearTimeout(timer);
        sock.off('message', onMsg);
        sock.off('close', onClose);
        done(v);
      };
      const timer = setTimeout(() => finish('hang'), bound);
      const onMsg = (d: WebSocket.RawData): void => {
        let f: Record<string, unknown>;
        try {
          f = JSON.parse(d.toString()) as Record<string, unknown>;
        } catch {
          s.bad.push(`ws: a reply that is not JSON: ${d.toString().slice(0, 80)}`);
          return;
        }
        if (f['kind'] !== 'event') finish(f);
      };
      const onClose = (code: number): void => {
        ws = null;
        s.socketsClosed[String(code)] = (s.socketsClosed[String(code)] ?? 0) + 1;
        if (code !== 1007 && code !== 1009) s.bad.push(`ws: the server closed the socket (${code}) <- ${String(text).slice(0, 160)}`);
        finish('closed');
      };
      sock.on('message', onMsg);
      sock.on('close', onClose);
      sock.send(text, { binary });
    });
  };

  const rpcSeeds = RPC_SEEDS.map((x) => ({ ...x, params: x.params === undefined ? undefined : JSON.parse(JSON.stringify(x.params).replaceAll('"c1"', JSON.stringify(conv.id))) as Json }));
  let nextId = 1;
  const wsOne = async (): Promise<void> => {
    const seed = rpcSeeds[Math.floor(r() * rpcSeeds.length)]!;
    const frame: Json = { kind: 'call', id: nextId++, method: seed.method, ...(seed.params !== undefined ? { params: seed.params } : {}) };
    const roll = r();
    let text: string | Buffer;
    let binary = false;
    if (roll < 0.04) { text = Buffer.from(JSON.stringify(frame)); binary = true; } // a binary frame
    else if (roll < 0.08) text = Buffer.from([0xff, 0xfe, 0x7b, 0x80, 0x22]); // broken UTF-8
    else if (roll < 0.14) text = JSON.stringify({ ...frame, method: ['', 'system', 'system.info.x', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'SYSTEM.INFO'][Math.floor(r() * 8)] });
    else if (roll < 0.2) text = JSON.stringify({ ...frame, kind: ['result', 'event', 'error', 'CALL', null, 1][Math.floor(r() * 6)] });
    else if (roll < 0.26) text = JSON.stringify({ ...frame, id: [-1, 1.5, 2 ** 60, '1', null, [], {}][Math.floor(r() * 7)] });
    else text = mutate(frame, r).text;
    s.wsFrames++;
    const reply = await wsSend(text, binary);
    if (reply === 'hang') { s.hangs++; return; }
    if (reply === 'closed') return;
    if (reply['kind'] === 'result') {
      count('ok');
      if (typeof text === 'string' && text.includes('"settings.update"')) s.acceptedSettingsUpdates++;
      return;
    }
    const code = String((reply['error'] as { code?: unknown } | undefined)?.code);
    count(code);
    if (code === 'INTERNAL' || !known.has(code)) s.bad.push(`ws ${code}: ${String((reply['error'] as { message?: unknown }).message).slice(0, 160)} <- ${String(text).slice(0, 160)}`);
  };

  // ---- the HTTP door (OpenAI-compatible API) ----
  const httpSend = (method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; body: string } | 'hang'> =>
    new Promise((done) => {
      const req = request({ host: '127.0.0.1', port: web.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { text += d; });
        res.on('end', () => { clearTimeout(timer); done({ status: res.statusCode ?? 0, body: text }); });
        res.on('error', () => { clearTimeout(timer); done({ status: res.statusCode ?? 0, body: text }); });
      });
      const timer = setTimeout(() => { req.destroy(); done('hang'); }, bound);
      req.on('error', (e) => { clearTimeout(timer); done({ status: 0, body: String(e) }); });
      req.end(body);
    });
  /** Headers that say more body is coming than is sent, then a half-close: the body cut short on the socket. */
  const cutShort = (path: string, body: string): Promise<{ status: number; body: string } | 'hang'> =>
    new Promise((done) => {
      const sock = tcpConnect(web.port, '127.0.0.1');
      let text = '';
      const timer = setTimeout(() => { sock.destroy(); done('hang'); }, bound);
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => { text += d; });
      const end = (): void => {
        clearTimeout(timer);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
        done({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
      };
      sock.on('close', end);
      sock.on('error', () => undefined);
      sock.on('connect', () => {
        const part = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
        sock.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${web.port}\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\nConnection: close\r\n\r\n${part}`);
        sock.end();
      });
    });
  const httpOne = async (): Promise<void> => {
    const seed = HTTP_SEEDS[Math.floor(r() * HTTP_SEEDS.length)]!;
    const roll = r();
    let method = seed.method;
    let path = seed.path;
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    let body = seed.body === undefined ? undefined : JSON.stringify(seed.body);
    s.httpRequests++;
    let reply: { status: number; body: string } | 'hang';
    if (roll < 0.06 && body !== undefined) {
      reply = await cutShort(path, body);
      // Node's HTTP parser answers a body that ends early with a bare 400 before Reckon sees the request
      if (reply !== 'hang' && reply.status === 400 && reply.body === '') {
        s.statuses['400'] = (s.statuses['400'] ?? 0) + 1;
        return count('cut short (HTTP parser 400)');
      }
    } else {
      if (roll < 0.14) method = ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST'][Math.floor(r() * 7)]!;
      else if (roll < 0.18) headers['authorization'] = ['', 'Bearer', `Bearer ${key}x`, `Basic ${key}`, `Bearer ${'k'.repeat(5000)}`][Math.floor(r() * 5)]!;
      else if (roll < 0.22) headers['content-type'] = ['text/plain', 'application/x-www-form-urlencoded', '', 'application/json; charset=latin1'][Math.floor(r() * 4)]!;
      else if (roll < 0.26) path = [`${path}/x`, `${path}?a=%zz`, '/v1/models/%E0%A4%A', `/v1/models/${'m'.repeat(2000)}`, '/v1//models', '/v1/../v1/models'][Math.floor(r() * 6)]!;
      else if (body !== undefined) body = mutate(seed.body!, r).text;
      else if (r() < 0.5) { method = 'POST'; body = mutate({ model: 'reckon-arith' }, r).text; }
      reply = await httpSend(method, path, headers, body);
    }
    if (reply === 'hang') { s.hangs++; return; }
    s.statuses[String(reply.status)] = (s.statuses[String(reply.status)] ?? 0) + 1;
    if (reply.status >= 200 && reply.status < 300) {
      count('ok');
      // a streamed answer that failed part-way says so in an event: that code must be a stable one too
      for (const m of reply.body.matchAll(/"code":"([A-Z_]+)"/g)) if (m[1] === 'INTERNAL' || !known.has(m[1]!)) s.bad.push(`http ${reply.status} stream ${m[1]} <- ${method} ${path}`);
      return;
    }
    if (reply.status === 0) { s.bad.push(`http: no response to ${method} ${path}: ${reply.body.slice(0, 120)}`); return; }
    if (method === 'HEAD' || reply.status === 204) { count(`http ${reply.status}`); return; }
    let code = '';
    try {
      code = String((JSON.parse(reply.body) as { error?: { code?: unknown } }).error?.code);
    } catch {
      s.bad.push(`http ${reply.status}: a body that is not JSON <- ${method} ${path}: ${reply.body.slice(0, 120)}`);
      return;
    }
    count(code);
    if (reply.status >= 500 || code === 'INTERNAL' || !known.has(code)) s.bad.push(`http ${reply.status} ${code}: ${reply.body.slice(0, 200)} <- ${method} ${path} ${String(body).slice(0, 160)}`);
  };

  const health = async (): Promise<void> => {
    const info = await wsSend(JSON.stringify({ kind: 'call', id: nextId++, method: 'system.info' }));
    if (info === 'hang' || info === 'closed' || info['kind'] !== 'result') s.healthFailures.push(`ws system.info: ${JSON.stringify(info).slice(0, 160)}`);
    const models = await httpSend('GET', '/v1/models', { authorization: `Bearer ${key}` }, undefined);
    if (models === 'hang' || models.status !== 200 || !models.body.includes('"data"')) s.healthFailures.push(`GET /v1/models: ${JSON.stringify(models).slice(0, 160)}`);
    const now = await readFile(settingsFile);
    if (!now.equals(settingsBefore)) {
      if (s.acceptedSettingsUpdates === acceptedAtBatchStart) s.healthFailures.push('settings.json changed with no accepted settings.update');
      settingsBefore = now;
    }
    acceptedAtBatchStart = s.acceptedSettingsUpdates;
  };
  let acceptedAtBatchStart = 0;

  try {
    for (let i = 0; i < o.frames; i++) {
      if (i % 2 === 0) await wsOne();
      else await httpOne();
      if ((i + 1) % batch === 0 || i + 1 === o.frames) {
        await health();
        o.onBatch?.(i + 1, s);
      }
    }
    return s;
  } finally {
    (ws as WebSocket | null)?.close();
    await ch.close();
    unwatch();
  }
}

if (isMain(import.meta.url)) {
  const arg = cliArg;
  const frames = Number(arg('frames') ?? 10_000);
  const seed = Number(arg('seed') ?? 1);
  const out = await campaignOutDir('fuzz');
  const started = Date.now();
  const s = await apiFuzzCampaign({ frames, seed, batch: Number(arg('batch') ?? 500), onBatch: (n, x) => process.stderr.write(`${n}/${frames}: bad ${x.bad.length}, host crashes ${x.hostCrashes.length}, hangs ${x.hangs}, health failures ${x.healthFailures.length}\n`) });
  const minutes = (Date.now() - started) / 60_000;
  await writeFile(join(out, 'results.json'), JSON.stringify({ seed, frames, minutes, ...s }, null, 2));
  process.stdout.write(`${JSON.stringify({ seed, frames, minutes: Number(minutes.toFixed(1)), wsFrames: s.wsFrames, httpRequests: s.httpRequests, bad: s.bad.length, hostCrashes: s.hostCrashes.length, hangs: s.hangs, healthFailures: s.healthFailures.length, acceptedSettingsUpdates: s.acceptedSettingsUpdates, socketsClosed: s.socketsClosed, codes: s.codes, statuses: s.statuses })}\n`);
  for (const b of [...s.bad, ...s.hostCrashes, ...s.healthFailures].slice(0, 40)) process.stdout.write(`  ${b}\n`);
  process.stdout.write(`results in ${out}\n`);
  process.exitCode = s.bad.length + s.hostCrashes.length + s.hangs + s.healthFailures.length > 0 ? 1 : 0;
}
