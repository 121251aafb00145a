/**
 * Supervision against the real engine process (out/main/engine.js; build it with `npx electron-vite build`):
 * kill the engine (SIGKILL) mid-generation, the turn ends ENGINE_CRASHED with its partial text on disk and a true
 * message (restarted, the model named, no stale stderr as its reason), the next turn works.
 */
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendParams } from '../common/api';
import type { TurnEvent } from '../common/events';
import { engineCrashMessage, readEngineCrashDetails } from '../common/engineCrash';
import { ledgerAddsUp } from '../common/ledger';
import type { Conversation } from '../common/types';
import { createHost, engineEntryPath, repoRoot, type Host } from './index';

const fixture = resolve(repoRoot(), '../shared/fixtures/gguf/stories260K.gguf');
let dir: string;
let host: Host;

beforeAll(async () => {
  if (!existsSync(engineEntryPath())) throw new Error(`${engineEntryPath()} is missing: run \`npx electron-vite build\` first.`);
  dir = await mkdtemp(join(tmpdir(), 'reckon-sup-'));
  await mkdir(join(dir, 'data'));
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu' }));
  host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'cli' });
});
afterAll(async () => {
  await host?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function runTurn(params: SendParams, onEvent?: (e: TurnEvent) => void): Promise<{ conversationId: string; events: TurnEvent[] }> {
  return new Promise((resolveTurn, reject) => {
    const events: TurnEvent[] = [];
    let id: string | null = null;
    const early: TurnEvent[] = [];
    const handle = (e: TurnEvent, conversationId: string): void => {
      events.push(e);
      onEvent?.(e);
      if (e.type === 'done' || e.type === 'error') { off(); resolveTurn({ conversationId, events }); }
    };
    let conv = '';
    const off = host.onTurnEvent((e) => {
      if (id === null) early.push(e);
      else if (e.turnId === id) handle(e, conv);
    });
    host.call('chat.send', params).then((r) => {
      id = r.turnId;
      conv = r.conversationId;
      for (const e of early) if (e.turnId === id) handle(e, conv);
    }, reject);
  });
}

describe('engine supervision (real engine)', () => {
  it('a kill mid-generation ends the turn ENGINE_CRASHED, keeps the partial text, tells it truly, and the next turn works', async () => {
    let killed = false;
    const first = await runTurn({ text: 'Once upon a time', modelPath: fixture, maxTokens: 4000 }, (e) => {
      if (e.type === 'answer' && !killed) {
        killed = true;
        void host.call('system.info').then((info) => {
          const pid = info.engine.pid;
          if (pid) process.kill(pid, 'SIGKILL');
        });
      }
    });
    const last = first.events.at(-1)!;
    expect(last.type).toBe('error');
    if (last.type !== 'error') return;
    expect(last.error.code).toBe('ENGINE_CRASHED');
    // a kill writes nothing to stderr: no reason, and none left over from the engine's start-up logs
    // "restarted" once the fresh engine answered; on a machine slow enough to start it past the host's wait,
    // "restarting" - true either way, and the message is the one its details make
    const details = readEngineCrashDetails(last.error.details)!;
    expect(details).toMatchObject({ how: 'signal SIGKILL', signal: 'SIGKILL', model: expect.any(String) });
    expect(['restarting', 'restarted']).toContain(details.restart);
    expect(last.error.message).toBe(engineCrashMessage(details));
    expect(last.error.message).toMatch(/^The engine running \S.* stopped unexpectedly \(signal SIGKILL\)\. (It has been restarted|Reckon is restarting it); your conversation is safe/);
    expect(details).not.toHaveProperty('reason');
    expect(details).not.toHaveProperty('modelBroken');
    const file = join(dir, 'data', 'conversations', `${first.conversationId}.json`);
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as Conversation;
    expect(onDisk.messages).toHaveLength(2);
    expect(onDisk.messages[1]).toMatchObject({ role: 'assistant', status: 'error', error: { code: 'ENGINE_CRASHED' } });
    expect(onDisk.messages[1]!.text.length).toBeGreaterThan(0);

    const second = await runTurn({ conversationId: first.conversationId, text: 'Once upon a time', modelPath: fixture, maxTokens: 24 });
    const done = second.events.at(-1)!;
    expect(done).toMatchObject({ type: 'done', status: 'done' });
    if (done.type !== 'done') return;
    expect(done.message.text.length).toBeGreaterThan(0);
    expect(ledgerAddsUp(done.message.ledger!)).toBe(true);
    const info = await host.call('system.info');
    expect(info.engine.lastCrash).toMatchObject({ restart: 'restarted', how: 'signal SIGKILL' });
    expect(info.engine.state).toBe('ready');
    expect(info.engine.restarts).toBe(1);
    expect(info.backend?.threads).toBe(1);
  });

  it('chat.stop aborts the generation: the message ends stopped with its partial text', async () => {
    let stopped = false;
    const t = await runTurn({ text: 'Once upon a time', modelPath: fixture, maxTokens: 4000 }, (e) => {
      if (e.type === 'answer' && !stopped) {
        stopped = true;
        void host.call('chat.stop', { turnId: e.turnId });
      }
    });
    const last = t.events.at(-1)!;
    expect(last).toMatchObject({ type: 'done', status: 'stopped' });
    if (last.type !== 'done') return;
    expect(last.message.text.length).toBeGreaterThan(0);
    expect(last.message.ledger!.visible).toBeLessThan(4000);
    const conv = await host.call('conversations.get', { id: t.conversationId });
    expect(conv.messages[1]!.status).toBe('stopped');
  });
});

describe('a killed front door', () => {
  it('keeps what it streamed: the file has the streamed text, and the next start marks it interrupted', async () => {
    const home = join(dir, 'killed');
    await mkdir(home);
    await writeFile(join(home, 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu' }));
    const cli = join(repoRoot(), 'out', 'main', 'cli.js');
    if (!existsSync(cli)) throw new Error('out/main/cli.js is missing: run `npx electron-vite build` first.');
    const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'reckon.mjs'), 'ask', 'Once upon a time', '--model', fixture, '--max-tokens', '100000'], {
      env: { ...process.env, RECKON_HOME: home }, stdio: ['ignore', 'pipe', 'ignore'],
    });
    let streamed = '';
    child.stdout.on('data', (d: Buffer) => { streamed += d.toString(); });
    // Kill it hard once it has streamed for a while (well past one 200 ms persistence interval).
    await new Promise<void>((r) => {
      const t = setInterval(() => {
        if (streamed.length > 0) {
          clearInterval(t);
          setTimeout(() => { child.kill('SIGKILL'); r(); }, 1200);
        }
      }, 20);
    });
    await new Promise((r) => child.once('exit', r));
    const convDir = join(home, 'conversations');
    const [name] = (await readdir(convDir)).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    const onDisk = JSON.parse(await readFile(join(convDir, name!), 'utf8')) as Conversation;
    expect(onDisk.messages[1]!.status).toBe('streaming');
    expect(onDisk.messages[1]!.text.length).toBeGreaterThan(0);
    expect(streamed.startsWith(onDisk.messages[1]!.text)).toBe(true);

    const h2 = await createHost({ userDataDir: home, modelsDir: join(dir, 'models'), shell: 'cli' });
    try {
      const back = await h2.call('conversations.get', { id: onDisk.id });
      expect(back.messages[1]!.status).toBe('interrupted');
      // The stream journal may hold text streamed after the file's last save (and a delta written to it just
      // before the kill that stdout never carried): what comes back holds the file's text and agrees with what
      // streamed as far as both go.
      const recovered = back.messages[1]!.text;
      expect(recovered.startsWith(onDisk.messages[1]!.text)).toBe(true);
      const both = Math.min(recovered.length, streamed.length);
      expect(recovered.slice(0, both)).toBe(streamed.slice(0, both));
    } finally {
      await h2.close();
    }
  });
});
