import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Conversation, Message } from '../../common/types';
import { ConversationsService } from '../services/ConversationsService';
import { hostFixture, runTurn } from '../testing/hostFixture';
import { Store } from './Store';
import { parseStreamJournal, replayStreamJournal, StreamJournal } from './StreamJournal';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'reckon-journal-')); });
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

const convId = 'c1';
const msgId = 'm1';
const streaming = (thinking = '', text = ''): Message => ({ id: msgId, role: 'assistant', parentId: 'q1', text, thinking, createdAt: '2026-12-01T00:00:00.000Z', modelId: 'x', status: 'streaming' });
const conversation = (m: Message): Conversation => ({
  id: convId, title: 't', createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z', messageCount: 2,
  messages: [{ id: 'q1', role: 'user', text: 'q', createdAt: '2026-12-01T00:00:00.000Z' }, m],
});
const records = (path: string): ReturnType<typeof parseStreamJournal> => parseStreamJournal(readFileSync(path, 'utf8'));

describe('StreamJournal', () => {
  it('a delta that completes a line is on disk when append returns; others wait at most everyMs', () => {
    vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const path = join(dir, 'j.journal');
    const j = new StreamJournal(path, convId, msgId, { thinking: 0, answer: 0 }, { everyMs: 50 });
    j.append('thinking', 'ab');
    expect(records(path).records).toEqual([]);
    // the line ends inside this delta: it and everything waiting before it go out in one write, now
    j.append('thinking', 'c\nd');
    expect(records(path).records).toEqual([{ part: 'thinking', offset: 0, text: 'abc\nd' }]);
    j.append('answer', 'x');
    vi.advanceTimersByTime(49);
    expect(records(path).records).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(records(path).records).toEqual([{ part: 'thinking', offset: 0, text: 'abc\nd' }, { part: 'answer', offset: 0, text: 'x' }]);
    // a stream that never pauses still goes out every everyMs (no timer needed to see it)
    j.append('answer', 'y');
    vi.setSystemTime(120);
    j.append('answer', 'z');
    expect(records(path).records.at(-1)).toEqual({ part: 'answer', offset: 1, text: 'yz' });
    j.close();
  });

  it('sync flushes what waits and reports no error when the journal closes while it runs', async () => {
    const path = join(dir, 'j.journal');
    const errors: unknown[] = [];
    const j = new StreamJournal(path, convId, msgId, { thinking: 0, answer: 0 }, { everyMs: 10_000, onError: (e) => errors.push(e) });
    j.append('thinking', 'no line yet');
    j.sync();
    j.close();
    j.append('answer', 'after close\n');
    expect(records(path).records).toEqual([{ part: 'thinking', offset: 0, text: 'no line yet' }]);
    // the descriptor is closed by the sync's callback: give it its turn
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual([]);
  });

  it('a torn last record is ignored and the records before it replay', () => {
    const path = join(dir, 'j.journal');
    const j = new StreamJournal(path, convId, msgId, { thinking: 0, answer: 0 }, { everyMs: 0 });
    j.append('thinking', 'think ');
    j.append('answer', 'line one\n');
    j.close();
    // what a crash in the middle of an append leaves: half a record, no newline
    appendFileSync(path, `{"m":"${msgId}","p":"a","o":9,"x":"li`);
    const p = records(path);
    expect(p).toMatchObject({ conversationId: convId, messageId: msgId, torn: true, problem: null });
    expect(replayStreamJournal(streaming(), p.records).message).toMatchObject({ thinking: 'think ', text: 'line one\n' });
  });

  it('replay is idempotent: twice is once, and text the last whole-message save already had is not added again', () => {
    const recs = [
      { part: 'answer' as const, offset: 0, text: 'hello ' },
      { part: 'answer' as const, offset: 6, text: 'world' },
      { part: 'thinking' as const, offset: 0, text: 'hm' },
    ];
    const once = replayStreamJournal(streaming(), recs);
    expect(once).toMatchObject({ added: 13, problem: null, message: { text: 'hello world', thinking: 'hm' } });
    expect(replayStreamJournal(once.message, recs)).toMatchObject({ added: 0, message: { text: 'hello world', thinking: 'hm' } });
    // the file was saved mid-record: only the rest of it is added
    expect(replayStreamJournal(streaming('hm', 'hello wo'), recs)).toMatchObject({ added: 3, message: { text: 'hello world' } });
    // a record past the end (one missing before it) is not glued on
    const gap = replayStreamJournal(streaming(), [{ part: 'answer', offset: 3, text: 'lo' }, { part: 'thinking', offset: 0, text: 'ok' }]);
    expect(gap.message).toMatchObject({ text: '', thinking: 'ok' });
    expect(gap.problem).toMatch(/past the 0 characters/);
  });

  it('a damaged line before the end stops the replay there and is reported', () => {
    const text = `{"v":1,"c":"${convId}","m":"${msgId}"}\n{"m":"${msgId}","p":"a","o":0,"x":"kept "}\nnot json\n{"m":"${msgId}","p":"a","o":5,"x":"after"}\n`;
    const p = parseStreamJournal(text);
    expect(p.records).toEqual([{ part: 'answer', offset: 0, text: 'kept ' }]);
    expect(p.problem).toMatch(/line 3/);
    expect(parseStreamJournal('garbage\n').problem).toMatch(/header/);
  });
});

describe('stream journals on open (ConversationsService.open)', () => {
  it('replays the journal onto the interrupted message, saves it and removes the journal', async () => {
    const store = await Store.open(dir);
    // the last whole-message save had part of the answer; the journal has all of it
    await store.writeConversation(conversation(streaming('why ', 'four')));
    const j = store.openStreamJournal(convId, msgId, { thinking: 0, answer: 0 }, { everyMs: 0 });
    j.append('thinking', 'why ');
    j.append('answer', 'four\n');
    j.append('answer', 'done');
    j.close();
    const conversations = new ConversationsService(store);
    await conversations.open();
    expect(conversations.get(convId).messages[1]).toMatchObject({ status: 'interrupted', thinking: 'why ', text: 'four\ndone' });
    expect(existsSync(j.path)).toBe(false);
    const onDisk = JSON.parse(readFileSync(store.conversationPath(convId), 'utf8')) as Conversation;
    expect(onDisk.messages[1]).toMatchObject({ status: 'interrupted', text: 'four\ndone' });
  });

  it('a journal whose conversation was deleted, or whose message ended, is dropped and changes nothing', async () => {
    const store = await Store.open(dir);
    await store.writeConversation(conversation(streaming()));
    const gone = store.openStreamJournal(convId, msgId, { thinking: 0, answer: 0 }, { everyMs: 0 });
    gone.append('answer', 'lost with its conversation');
    gone.close();
    await unlink(store.conversationPath(convId));
    const ended = { ...streaming('', 'final'), id: 'm2', status: 'done' as const };
    await store.writeConversation({ ...conversation(ended), id: 'c2' });
    const late = store.openStreamJournal('c2', 'm2', { thinking: 0, answer: 0 }, { everyMs: 0 });
    late.append('answer', 'stream');
    late.close();
    const conversations = new ConversationsService(store);
    await conversations.open();
    expect(conversations.list().map((c) => c.id)).toEqual(['c2']);
    expect(conversations.get('c2').messages[1]).toMatchObject({ status: 'done', text: 'final' });
    expect(readdirSync(store.conversationsDir).filter((n) => n.includes('.journal'))).toEqual([]);
    expect(existsSync(store.conversationPath(convId))).toBe(false);
  });

  it('a journal whose conversation file was unreadable is set aside beside it, not dropped', async () => {
    const store = await Store.open(dir);
    await writeFile(store.conversationPath(convId), '{ not json');
    const j = store.openStreamJournal(convId, msgId, { thinking: 0, answer: 0 }, { everyMs: 0 });
    j.append('answer', 'the only copy\n');
    j.close();
    await new ConversationsService(store).open();
    const names = readdirSync(store.conversationsDir);
    expect(names.filter((n) => n.startsWith(`${convId}.json.corrupt-`))).toHaveLength(1);
    expect(names.filter((n) => n.startsWith(`${convId}.${msgId}.journal.corrupt-`))).toHaveLength(1);
    expect(existsSync(j.path)).toBe(false);
  });

  it('a damaged journal: the text before the damage is kept, the file set aside with a notice, the conversation intact', async () => {
    const store = await Store.open(dir);
    await store.writeConversation(conversation(streaming()));
    const path = store.streamJournalPath(convId, msgId);
    await writeFile(path, `{"v":1,"c":"${convId}","m":"${msgId}"}\n{"m":"${msgId}","p":"a","o":0,"x":"kept "}\n{"m":"other","p":"a","o":5,"x":"x"}\n`);
    const conversations = new ConversationsService(store);
    await conversations.open();
    expect(conversations.get(convId).messages[1]).toMatchObject({ status: 'interrupted', text: 'kept ' });
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(store.conversationsDir).filter((n) => n.includes('.journal.corrupt-'))).toHaveLength(1);
    expect(store.notices().at(-1)?.message).toMatch(/stream journal .* could not be replayed whole \(line 3/);
  });
});

describe('a turn and its journal', () => {
  it('each line is in the journal before a client sees it, and the journal is gone before done', async () => {
    const f = await hostFixture({ prefix: 'reckon-journal-turn-' });
    try {
      f.engine.thought = ['think\n'];
      f.engine.answer = ['line 1\n', 'line 2\n'];
      const h = await f.open();
      const convDir = join(f.data, 'conversations');
      const journalFiles = (): string[] => readdirSync(convDir).filter((n) => n.endsWith('.journal'));
      const seen: { answer: string; journaled: string | null }[] = [];
      let journalAtDone: string[] | null = null;
      let answer = '';
      const off = h.onTurnEvent((e) => {
        if (e.type === 'answer') {
          answer += e.text;
          const [name] = journalFiles();
          const recs = name === undefined ? null : parseStreamJournal(readFileSync(join(convDir, name), 'utf8')).records;
          seen.push({ answer, journaled: recs === null ? null : replayStreamJournal(streaming(), recs).message.text });
        }
        if (e.type === 'done') journalAtDone = journalFiles();
      });
      const r = await runTurn(h, () => h.call('chat.send', { text: 'q' }));
      off();
      expect(r.events.at(-1)?.type).toBe('done');
      expect(seen).toEqual([{ answer: 'line 1\n', journaled: 'line 1\n' }, { answer: 'line 1\nline 2\n', journaled: 'line 1\nline 2\n' }]);
      expect(journalAtDone).toEqual([]);
      expect((await h.call('conversations.get', { id: r.conversationId })).messages[1]).toMatchObject({ status: 'done', text: 'line 1\nline 2\n' });
    } finally {
      await f.dispose();
    }
  });
});
