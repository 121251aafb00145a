/**
 * A scripted stand-in for the host, for UI states the real model cannot produce on demand (slow thinking,
 * an engine crash mid-turn, a dropped connection). It serves the built renderer and speaks the same
 * ClientFrame/ServerFrame protocol; replies follow common/api.ts. The real host is covered by the other specs.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientFrame, ServerFrame } from '../src-main/common/api';
import type { TurnEvent } from '../src-main/common/events';
import { makeLedger } from '../src-main/common/ledger';
import { defaultSettings, type Conversation, type Message, type Settings } from '../src-main/common/types';
import { controllerSteps, isControllerScript } from './fakeControllerTurn';
import { repoRoot } from './server';

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf' };

export interface FakeHost {
  url: string;
  /** Drops every socket and refuses new ones until resume(). */
  drop(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startFakeHost(port = 0): Promise<FakeHost> {
  const root = join(repoRoot, 'out', 'renderer');
  let refusing = false;
  const sockets = new Set<WebSocket>();
  let settings: Settings = { ...defaultSettings, threads: 1 };
  const convs = new Map<string, Conversation>();
  const timers = new Map<string, ReturnType<typeof setTimeout>[]>();
  let seq = 0;
  const now = () => new Date().toISOString();

  const http: Server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^([/\\])+/, '');
    const file = join(root, path === '' ? 'index.html' : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  const wss = new WebSocketServer({ server: http, path: '/api' });
  const broadcast = (event: TurnEvent) => {
    for (const s of sockets) s.send(JSON.stringify({ kind: 'event', event } satisfies ServerFrame));
  };

  function runTurn(conv: Conversation, text: string): string {
    const turnId = `turn-${++seq}`;
    const user: Message = { id: `u-${seq}`, role: 'user', text, createdAt: now() };
    const assistant: Message = { id: `a-${seq}`, role: 'assistant', text: '', thinking: '', createdAt: now(), status: 'streaming' };
    conv.messages.push(user, assistant);
    conv.messageCount = conv.messages.length;
    if (conv.title === 'New chat') conv.title = text.slice(0, 40);
    const steps: [number, () => void][] = [];
    let t = 50;
    const at = (ms: number, f: () => void) => steps.push([(t += ms), f]);
    at(0, () => broadcast({ type: 'start', turnId, conversationId: conv.id, userMessage: user, assistantMessageId: assistant.id, modelId: 'fake' }));
    if (isControllerScript(text)) {
      // controller views: a slow early-exit turn, live PDR drafts (fakeControllerTurn.ts)
      for (const [ms, f] of controllerSteps(turnId, text, assistant, broadcast)) at(ms, f);
      timers.set(turnId, steps.map(([ms, f]) => setTimeout(f, ms)));
      return turnId;
    }
    at(0, () => broadcast({ type: 'difficulty', turnId, difficulty: { difficulty: 'easy', probabilities: { easy: 0.91, normal: 0.07, hard: 0.02 }, expectedThinkingTokens: 40, source: 'probe', probeTokens: 25 } }));
    const thoughts = ['Add column by column.\n', 'ones: 7 + 8 = 15, write 5, carry 1\n', 'tens: 3 + 4 + 1 = 8, write 8\n', 'so 37 + 48 = 85\n'];
    for (const th of thoughts) at(250, () => { assistant.thinking += th; broadcast({ type: 'thought', turnId, text: th }); });
    if (text.includes('crash')) {
      at(200, () => {
        assistant.status = 'error';
        assistant.error = { code: 'ENGINE_CRASHED', message: 'The engine process exited with SIGABRT while generating.' };
        broadcast({ type: 'error', turnId, error: assistant.error, message: { ...assistant } });
      });
    } else {
      at(100, () => broadcast({ type: 'thought-end', turnId, ms: 1000, tokens: 42 }));
      for (const a of ['37 + 48 ', '= **85**']) at(150, () => { assistant.text += a; broadcast({ type: 'answer', turnId, text: a }); });
      at(50, () => {
        assistant.status = 'done';
        assistant.thinkingMs = 1000;
        assistant.ledger = makeLedger({ visible: 8, thinking: 42, prompt: 25, cached: 0 });
        assistant.difficulty = { difficulty: 'easy', probabilities: { easy: 0.91, normal: 0.07, hard: 0.02 }, expectedThinkingTokens: 40, source: 'probe', probeTokens: 25 };
        assistant.receipt = { treeSize: 42, root: 'c0ffee'.repeat(10) + 'abcd' } as unknown as Message['receipt'];
        broadcast({ type: 'ledger', turnId, ledger: assistant.ledger });
        broadcast({ type: 'done', turnId, status: 'done', message: { ...assistant } });
      });
    }
    timers.set(turnId, steps.map(([ms, f]) => setTimeout(f, ms)));
    (runTurn as unknown as { stop: Map<string, () => void> }).stop ??= new Map();
    (runTurn as unknown as { stop: Map<string, () => void> }).stop.set(turnId, () => {
      for (const h of timers.get(turnId) ?? []) clearTimeout(h);
      assistant.status = 'stopped';
      broadcast({ type: 'done', turnId, status: 'stopped', message: { ...assistant } });
    });
    return turnId;
  }

  async function handle(f: ClientFrame): Promise<unknown> {
    const p = (f.params ?? {}) as Record<string, string>;
    const summary = (c: Conversation) => ({ id: c.id, title: c.title, createdAt: c.createdAt, updatedAt: c.updatedAt, messageCount: c.messageCount });
    switch (f.method) {
      case 'system.info':
        return { version: '0.0.0-fake', shell: 'browser', backend: { requested: settings.backend, active: 'cpu', buildType: 'prebuilt', deviceNames: [], vram: null, threads: 1, threadsSource: 'settings', cpuCores: 2, ...(settings.backend === 'cuda' ? { fallbackReason: 'CUDA is not available on this machine (no CUDA binary); using CPU.' } : {}) }, model: null, engine: { state: 'ready', pid: 4242, restarts: 0 }, userDataDir: '/tmp/fake' };
      case 'system.notices':
        return [{ id: 'n1', level: 'warning', message: 'conversations/abc.json could not be read and was set aside.', createdAt: now() }];
      case 'system.dismissNotice':
      case 'models.remove':
        return undefined;
      case 'settings.get':
        return settings;
      case 'settings.update':
        settings = { ...settings, ...(f.params as Partial<Settings>) };
        return settings;
      case 'models.list':
        return [{ id: 'fake', name: 'Reckon Arith (fake)', path: '/x.gguf', bundled: true, sizeBytes: 3_600_000, sha256: 'x', architecture: 'llama', parameters: 900_000, quantization: 'F16', contextLength: 512, chatTemplate: 'chatml-think', thinking: true, addedAt: now() }];
      case 'conversations.list':
        return [...convs.values()].filter((c) => !p['query'] || c.title.toLowerCase().includes(p['query'].toLowerCase())).map(summary);
      case 'conversations.create': {
        const c: Conversation = { id: `c-${++seq}`, title: p['title'] ?? 'New chat', createdAt: now(), updatedAt: now(), messageCount: 0, messages: [] };
        convs.set(c.id, c);
        return summary(c);
      }
      case 'conversations.get': {
        const c = convs.get(p['id'] ?? '');
        if (!c) throw { code: 'CONVERSATION_NOT_FOUND', message: 'no such conversation' };
        return c;
      }
      case 'chat.send': {
        const c = convs.get(p['conversationId'] ?? '');
        if (!c) throw { code: 'CONVERSATION_NOT_FOUND', message: 'no such conversation' };
        return { turnId: runTurn(c, p['text'] ?? ''), conversationId: c.id };
      }
      case 'chat.stop':
        (runTurn as unknown as { stop?: Map<string, () => void> }).stop?.get(p['turnId'] ?? '')?.();
        return undefined;
      default:
        throw { code: 'BAD_REQUEST', message: `not faked: ${f.method}` };
    }
  }

  wss.on('connection', (ws) => {
    if (refusing) return ws.close(1011);
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', async (data) => {
      const f = JSON.parse(String(data)) as ClientFrame;
      try {
        ws.send(JSON.stringify({ kind: 'result', id: f.id, result: await handle(f) } satisfies ServerFrame));
      } catch (err) {
        ws.send(JSON.stringify({ kind: 'error', id: f.id, error: err as { code: 'INTERNAL'; message: string } } satisfies ServerFrame));
      }
    });
  });
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', r));
  const addr = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}/?token=fake`,
    drop() {
      refusing = true;
      for (const s of sockets) s.terminate();
    },
    resume() {
      refusing = false;
    },
    async close() {
      for (const s of sockets) s.terminate();
      wss.close();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
