/**
 * Host kill campaign: how much streamed text a host killed with SIGKILL mid-answer loses. Each run starts a host
 * process (src-main/host/testing/streamingHostProcess.ts: the real host and Store in front of the scripted fake
 * engine) streaming one piece every `--step-ms`, kills it at a seeded random moment of the stream, reopens the data
 * folder with a fresh host and compares the stored message with what had streamed. A run fails when the file
 * lacks text that streamed more than `--window-ms` (250) before the kill, lacks a line completed before the kill
 * (every `--line-every` (8) pieces end a line), or the message is not marked interrupted. A piece counts as
 * streamed once the host has received it (the host hands it on to clients at once).
 *   tsx tools/campaigns/hostKill.ts [--runs 30] [--step-ms 5] [--window-ms 250] [--line-every 8] [--seed 1]
 * Loopback and temp folders only; bounded by --runs (each run a few seconds).
 */
import { fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHost } from '../../src-main/host/index';
import { fakeEngine } from '../../src-main/host/testing/fakeEngine';

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const runs = opt('runs', 30);
const stepMs = opt('step-ms', 5);
const windowMs = opt('window-ms', 250);
const lineEvery = opt('line-every', 8);
let seed = opt('seed', 1);
const random = (): number => {
  // mulberry32: a seeded, repeatable sequence of kill moments
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const thoughts = 60;
const answers = 140;
const entry = resolve('src-main/host/testing/streamingHostProcess.ts');

interface Result { streamed: number; onDisk: number; lostChars: number; lostBeyondWindow: number; lostBeyondLine: number; interrupted: boolean; sinceLastWriteMs: number }

async function one(): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'reckon-hostkill-'));
  try {
    await mkdir(join(dir, 'data'));
    await mkdir(join(dir, 'models'));
    await writeFile(join(dir, 'models', 'reckon-arith.gguf'), Buffer.from('GGUF-fake-bundled-model'));
    await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1 }));
    const child = fork(entry, [join(dir, 'data'), join(dir, 'models'), String(thoughts), String(answers), String(stepMs), String(lineEvery)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const pieces: { text: string; at: number }[] = [];
    let conversationId = '';
    const killAfter = Math.floor(random() * (thoughts + answers - 2)) + 1;
    await new Promise<void>((done) => {
      child.on('message', (m: { ready?: true; started?: { conversationId: string }; piece?: string; at?: number }) => {
        if (m.ready) child.send({ send: { text: 'stream please' } });
        if (m.started) conversationId = m.started.conversationId;
        if (m.piece !== undefined) {
          pieces.push({ text: m.piece, at: m.at! });
          if (pieces.length === killAfter) {
            child.kill('SIGKILL');
            done();
          }
        }
      });
    });
    const killedAt = Date.now();
    await new Promise((r) => child.once('exit', r));
    const h = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'cli', spawnEngine: fakeEngine().spawner });
    try {
      const m = (await h.call('conversations.get', { id: conversationId })).messages[1]!;
      const disk = `${m.thinking ?? ''}${m.text}`;
      const streamed = pieces.at(-1)!.text;
      const due = [...pieces].reverse().find((p) => p.at <= killedAt - windowMs)?.text ?? '';
      const onDiskPiece = [...pieces].reverse().find((p) => p.text === disk);
      // everything up to the last line the host had completed before the kill
      const lines = streamed.slice(0, streamed.lastIndexOf('\n') + 1);
      return {
        streamed: streamed.length, onDisk: disk.length, lostChars: streamed.length - disk.length,
        lostBeyondWindow: disk.startsWith(due) ? 0 : Math.max(1, due.length - disk.length),
        lostBeyondLine: disk.startsWith(lines) ? 0 : Math.max(1, lines.length - disk.length),
        interrupted: m.status === 'interrupted',
        sinceLastWriteMs: onDiskPiece ? killedAt - onDiskPiece.at : Number.NaN,
      };
    } finally {
      await h.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const results: Result[] = [];
for (let i = 0; i < runs; i++) {
  const r = await one();
  results.push(r);
  process.stderr.write(`run ${i + 1}/${runs}: streamed ${r.streamed}, on disk ${r.onDisk}, lost ${r.lostChars}${r.lostBeyondWindow > 0 ? ` (${r.lostBeyondWindow} beyond ${windowMs} ms)` : ''}${r.lostBeyondLine > 0 ? ` (${r.lostBeyondLine} of completed lines)` : ''}\n`);
}
const failures = results.filter((r) => r.lostBeyondWindow > 0 || r.lostBeyondLine > 0 || !r.interrupted).length;
const streamed = results.reduce((a, r) => a + r.streamed, 0);
const lost = results.reduce((a, r) => a + r.lostChars, 0);
process.stdout.write(`${JSON.stringify({
  runs, stepMs, windowMs, lineEvery, failures, streamedChars: streamed, lostChars: lost, maxLostChars: Math.max(...results.map((r) => r.lostChars)),
  runsLosingBeyondWindow: results.filter((r) => r.lostBeyondWindow > 0).length, charsBeyondWindow: results.reduce((a, r) => a + r.lostBeyondWindow, 0),
  runsLosingCompletedLines: results.filter((r) => r.lostBeyondLine > 0).length, charsOfCompletedLines: results.reduce((a, r) => a + r.lostBeyondLine, 0),
  notInterrupted: results.filter((r) => !r.interrupted).length,
})}\n`);
process.exitCode = failures > 0 ? 1 : 0;
