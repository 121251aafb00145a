/**
 * A host killed with SIGKILL mid-answer keeps on disk what it had streamed: the host runs in its own process
 * (testing/streamingHostProcess.ts) in front of the scripted engine, whose every piece waits at a gate this test
 * opens. The kill comes once the file shows the pieces streamed so far, with no later piece sent: what is on disk
 * was written by the stream's own timer, not by the end of the turn. No step waits on a wall-clock delay.
 * A kill right after a piece that completes a line comes without looking at the disk at all: the stream journal
 * has the line before the host passes it on, so nothing of it may be lost.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Conversation } from '../common/types';
import { createHost } from './index';
import { fakeEngine } from './testing/fakeEngine';

let dir: string;
let child: ChildProcess | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reckon-streamkill-'));
  await mkdir(join(dir, 'data'));
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'models', 'reckon-arith.gguf'), Buffer.from('GGUF-fake-bundled-model'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1 }));
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
  await rm(dir, { recursive: true, force: true });
});

type FromHost = { ready?: true; reached?: string; streamed?: string; started?: { turnId: string; conversationId: string }; error?: string };

function startHost(thoughts: number, answers: number, lineEvery = 0): { next: (want: (m: FromHost) => boolean) => Promise<FromHost>; exited: Promise<unknown> } {
  const entry = fileURLToPath(new URL('./testing/streamingHostProcess.ts', import.meta.url));
  const c = fork(entry, [join(dir, 'data'), join(dir, 'models'), String(thoughts), String(answers), '-', String(lineEvery)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  child = c;
  const inbox: FromHost[] = [];
  const waiting: { want: (m: FromHost) => boolean; resolve: (m: FromHost) => void }[] = [];
  c.on('message', (m: FromHost) => {
    if (m.error !== undefined) throw new Error(m.error);
    const w = waiting.findIndex((x) => x.want(m));
    if (w >= 0) waiting.splice(w, 1)[0]!.resolve(m);
    else inbox.push(m);
  });
  const exited = new Promise((r) => c.once('exit', r));
  return {
    exited,
    next: (want) => {
      const i = inbox.findIndex(want);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]!);
      return new Promise((resolve) => waiting.push({ want, resolve }));
    },
  };
}

/** The assistant message of the one conversation on disk, once `until` holds for it (polled: a condition, not a delay). */
async function onDisk(until: (m: Conversation['messages'][number]) => boolean): Promise<Conversation> {
  const convDir = join(dir, 'data', 'conversations');
  for (;;) {
    const names = (await readdir(convDir)).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    if (names.length === 1) {
      const c = JSON.parse(await readFile(join(convDir, names[0]!), 'utf8')) as Conversation;
      const m = c.messages.find((x) => x.role === 'assistant');
      if (m && until(m)) return c;
    }
    await new Promise((r) => setImmediate(r));
  }
}

describe('a host killed mid-answer (SIGKILL)', () => {
  it.each([
    ['mid-thinking', 3, 5, 2],
    ['right after the thinking ends', 3, 5, 3],
    ['mid-answer', 3, 5, 6],
  ])('%s: the file holds everything streamed, and the next start marks it interrupted', { timeout: 60_000 }, async (_name, thoughts, answers, streamPieces) => {
    const h = startHost(thoughts, answers);
    await h.next((m) => m.ready === true);
    const { started, streamed } = await streamPiecesOf(h, streamPieces);
    const thinking = streamed.split(' ').filter((w) => w.startsWith('t')).map((w) => `${w} `).join('');
    const answer = streamed.split(' ').filter((w) => w.startsWith('a')).map((w) => `${w} `).join('');
    // nothing more streams (the script waits at the next gate): only the stream's own timer can write this
    const before = await onDisk((m) => m.thinking === thinking && m.text === answer);
    expect(before.id).toBe(started.conversationId);
    expect(before.messages[1]!.status).toBe('streaming');
    child!.kill('SIGKILL');
    await h.exited;

    const engine = fakeEngine();
    const h2 = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'cli', spawnEngine: engine.spawner });
    try {
      const back = await h2.call('conversations.get', { id: started.conversationId });
      expect(back.messages[1]).toMatchObject({ status: 'interrupted', thinking, text: answer });
    } finally {
      await h2.close();
    }
  });
});

describe('a host killed right after a completed line (SIGKILL)', () => {
  // every 2nd piece ends a line: p2 "t2\n", p4 "a1\n" (after the thinking's end), p6 "a3\n"; p5 "a2 " is mid-line
  it.each([
    ['mid-thinking', 2],
    ['in the answer', 4],
    ['later in the answer', 6],
  ])('%s: the next start has every line, with nothing waited for on disk', { timeout: 60_000 }, async (_name, streamPieces) => {
    const h = startHost(3, 5, 2);
    await h.next((m) => m.ready === true);
    const { started, streamed } = await streamPiecesOf(h, streamPieces);
    expect(streamed.endsWith('\n')).toBe(true);
    // the kill comes as soon as the host has handed the piece on: no write of the conversation file is awaited
    child!.kill('SIGKILL');
    await h.exited;

    const h2 = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'cli', spawnEngine: fakeEngine().spawner });
    try {
      const m = (await h2.call('conversations.get', { id: started.conversationId })).messages[1]!;
      expect(m.status).toBe('interrupted');
      expect(`${m.thinking ?? ''}${m.text}`).toBe(streamed);
      const names = await readdir(join(dir, 'data', 'conversations'));
      expect(names.filter((n) => n.includes('.journal'))).toEqual([]);
    } finally {
      await h2.close();
    }
  });
});

/** Asks for a turn and lets it stream `pieces` pieces (each gate opened in turn): the turn's start and what streamed. */
async function streamPiecesOf(h: ReturnType<typeof startHost>, pieces: number): Promise<{ started: NonNullable<FromHost['started']>; streamed: string }> {
  child!.send({ send: { text: 'stream please' } });
  const { started } = await h.next((m) => m.started !== undefined);
  let streamed = '';
  for (let p = 1; p <= pieces; p++) {
    if (p > 1) child!.send({ open: `p${p - 1}` });
    streamed = (await h.next((m) => m.reached === `p${p}`)).streamed!;
  }
  return { started: started!, streamed };
}

