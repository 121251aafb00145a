/**
 * What writing streamed text costs (issue 15 "no lost answers"): one stream-journal append (store/StreamJournal.ts:
 * one write() to an open file) against one whole-conversation save (Store.writeConversation: JSON, temp file,
 * fsync, rename), on a conversation of typical size, in a temp folder on the data folder's usual disk (the
 * system temp dir). Then the streaming loop the host runs per token (the turn reducer, the event as a client gets
 * it, the journal's append by its default rule, the StreamFlusher's bookkeeping with its whole-message saves in
 * the background) and the share of that loop's main-thread time the journal takes.
 * Run: npx tsx tools/bench/streamWrites.bench.ts   (BENCH_APPENDS=2000, BENCH_SAVES=100, BENCH_TOKENS=4000)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TurnEvent } from '../../src-main/common/events';
import { applyTurnEvent } from '../../src-main/common/turn/applyTurnEvent';
import type { Conversation, Message } from '../../src-main/common/types';
import { StreamFlusher } from '../../src-main/host/services/StreamFlusher';
import { Store } from '../../src-main/host/store/Store';

const appends = Number(process.env['BENCH_APPENDS'] ?? 2000);
const saves = Number(process.env['BENCH_SAVES'] ?? 100);
const tokens = Number(process.env['BENCH_TOKENS'] ?? 4000);

const stats = (xs: number[]): { mean: number; p50: number; p99: number; max: number } => {
  const s = [...xs].sort((a, b) => a - b);
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, p50: s[Math.floor(s.length / 2)]!, p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!, max: s.at(-1)! };
};
const word = (i: number): string => `w${(i * 7919) % 1000}${i % 12 === 11 ? '\n' : ' '}`;
const text = (chars: number): string => {
  let s = '';
  for (let i = 0; s.length < chars; i++) s += word(i);
  return s.slice(0, chars);
};

// A typical conversation: four answered turns before this one (1.5 kB of thinking, 1 kB of answer each) and the
// streaming message at the same size: the file a save rewrites whole.
const now = '2026-12-02T00:00:00.000Z';
const conv: Conversation = { id: 'bench', title: 'bench', createdAt: now, updatedAt: now, messageCount: 0, messages: [] };
for (let t = 0; t < 5; t++) {
  conv.messages.push({ id: `q${t}`, role: 'user', text: text(200), createdAt: now });
  conv.messages.push({ id: `a${t}`, role: 'assistant', parentId: `q${t}`, text: text(1000), thinking: text(1500), createdAt: now, modelId: 'm', status: t === 4 ? 'streaming' : 'done' });
}
conv.messageCount = conv.messages.length;
const fileBytes = Buffer.byteLength(JSON.stringify(conv, null, 2));

const dir = await mkdtemp(join(tmpdir(), 'reckon-bench-writes-'));
try {
  const store = await Store.open(dir);

  // One append: a 4-character token written at once (everyMs 0: every append is one write()).
  const j = store.openStreamJournal('bench', 'a4', { thinking: 0, answer: 0 }, { everyMs: 0 });
  const appendUs: number[] = [];
  for (let i = 0; i < appends; i++) {
    const t0 = performance.now();
    j.append('answer', word(i));
    appendUs.push((performance.now() - t0) * 1000);
  }
  j.close();
  await store.removeStreamJournal('bench', 'a4');

  // One whole-conversation save, awaited (its wall time: what bounded a crash's loss before the journal), and
  // the part of it on the main thread (serialising, until the write is handed to the thread pool).
  const saveMs: number[] = [];
  const saveMainMs: number[] = [];
  for (let i = 0; i < saves; i++) {
    const t0 = performance.now();
    const p = store.writeConversation(conv);
    saveMainMs.push(performance.now() - t0);
    await p;
    saveMs.push(performance.now() - t0);
  }

  // The streaming loop: tokens as fast as the host can take them, the journal by its default rule (a line at once,
  // else within 50 ms), the whole-message saves every second in the background.
  let message: Message = { ...conv.messages.at(-1)!, text: '', thinking: '' };
  const convLive: Conversation = { ...conv, messages: [...conv.messages.slice(0, -1), message] };
  const flusher = new StreamFlusher({ save: () => store.writeConversation(convLive) });
  const journal = store.openStreamJournal('bench', 'a4', { thinking: 0, answer: 0 });
  let inJournal = 0;
  let sent = 0;
  const loop0 = performance.now();
  for (let i = 0; i < tokens; i++) {
    const e: TurnEvent = { type: 'answer', turnId: 't', text: word(i) };
    message = applyTurnEvent(message, e);
    convLive.messages[convLive.messages.length - 1] = message;
    const t0 = performance.now();
    journal.append('answer', e.text);
    inJournal += performance.now() - t0;
    sent += JSON.stringify(e).length;
    flusher.delta();
    // one turn of the event loop per token, as tokens arrive one message at a time
    if (i % 8 === 7) await new Promise((r) => setImmediate(r));
  }
  const loopMs = performance.now() - loop0;
  await flusher.close();
  journal.close();
  await store.removeStreamJournal('bench', 'a4');

  // The same at a real model's pace: one token every BENCH_TOKEN_MS (default 2: the bundled model's ~1.5 ms a
  // token, rounded up to a timer's resolution), the share of the stream's wall time the journal holds the thread.
  const tokenMs = Number(process.env['BENCH_TOKEN_MS'] ?? 2);
  const paced = Math.min(tokens, 1000);
  const journal2 = store.openStreamJournal('bench', 'a4', { thinking: 0, answer: 0 });
  const flusher2 = new StreamFlusher({ save: () => store.writeConversation(convLive) });
  let inJournal2 = 0;
  const paced0 = performance.now();
  for (let i = 0; i < paced; i++) {
    const t0 = performance.now();
    journal2.append('answer', word(i));
    inJournal2 += performance.now() - t0;
    flusher2.delta();
    await new Promise((r) => setTimeout(r, tokenMs));
  }
  const pacedMs = performance.now() - paced0;
  await flusher2.close();
  journal2.close();
  await store.removeStreamJournal('bench', 'a4');

  const a = stats(appendUs);
  const s = stats(saveMs);
  const sm = stats(saveMainMs);
  console.log(`conversation file: ${(fileBytes / 1024).toFixed(1)} KiB (5 turns, the streaming message 2.5 kB)`);
  console.log(`journal append (one write() of a 4-char token): mean ${a.mean.toFixed(1)} us, p50 ${a.p50.toFixed(1)} us, p99 ${a.p99.toFixed(1)} us, max ${a.max.toFixed(0)} us (${appends} appends)`);
  console.log(`whole-conversation save (JSON + temp file + fsync + rename), awaited: mean ${s.mean.toFixed(2)} ms, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(1)} ms (${saves} saves)`);
  console.log(`  of it on the main thread (serialising): mean ${sm.mean.toFixed(2)} ms, p99 ${sm.p99.toFixed(2)} ms`);
  console.log(`streaming loop: ${tokens} tokens in ${loopMs.toFixed(1)} ms (${(loopMs * 1000 / tokens).toFixed(1)} us a token, ${sent} bytes of events); journal appends ${inJournal.toFixed(1)} ms = ${(100 * inJournal / loopMs).toFixed(1)} % of the loop`);
  console.log(`paced stream: ${paced} tokens, one every ${tokenMs} ms, ${pacedMs.toFixed(0)} ms; journal appends ${inJournal2.toFixed(1)} ms = ${(100 * inJournal2 / pacedMs).toFixed(2)} % of the stream's time`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
