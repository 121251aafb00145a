/** Message actions on the host: regenerate, edit-and-resend (branches), switch, delete, export, answer now. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activePath, variantsOf } from '../common/branches';
import type { Conversation } from '../common/types';
import type { Host } from './index';
import type { FakeEngineControl } from './testing/fakeEngine';
import { hostFixture, runTurn as run, type HostFixture } from './testing/hostFixture';

let fx: HostFixture;
let dir: string;
let engine: FakeEngineControl;

beforeEach(async () => {
  fx = await hostFixture({ prefix: 'reckon-branches-', conversations: true });
  ({ dir, engine } = fx);
});
afterEach(() => fx.dispose());

const open = (): Promise<Host> => fx.open();

const texts = (c: Conversation): string[] => activePath(c).map((m) => `${m.role}:${m.text}`);
const lastGenerate = (): Record<string, unknown> => engine.calls.filter((c) => c.method === 'generate').at(-1)!.params as Record<string, unknown>;

describe('message actions', () => {
  it('regenerate adds a variant under the same question with the chosen strategy; both stay reachable', async () => {
    const h = await open();
    const first = await run(h, () => h.call('chat.send', { text: 'What is 1+1?' }));
    const conversationId = first.conversationId;
    await run(h, () => h.call('chat.send', { conversationId, text: 'What is 2+2?' }));
    let c = await h.call('conversations.get', { id: conversationId });
    const [q1, a1, q2, a2] = activePath(c);
    engine.answer = ['Four, again.'];
    const again = await run(h, () => h.call('chat.regenerate', { conversationId, messageId: a2!.id, strategy: 'long', effort: 0.5 }));
    // the start event names the existing question; the history is the branch above it, not the old answer
    expect(again.events[0]).toMatchObject({ type: 'start', userMessage: { id: q2!.id } });
    expect(lastGenerate()).toMatchObject({ strategy: 'long', effort: 0.5, question: 'What is 2+2?', history: [{ role: 'user', text: 'What is 1+1?' }, { role: 'assistant', text: a1!.text }] });
    c = await h.call('conversations.get', { id: conversationId });
    expect(texts(c)).toEqual([`user:What is 1+1?`, `assistant:${a1!.text}`, 'user:What is 2+2?', 'assistant:Four, again.']);
    const v = variantsOf(c.messages, c.leafId!);
    expect(v).toEqual({ index: 1, ids: [a2!.id, c.leafId] });

    // back to the first answer: the old branch is shown again, and it survives a restart
    c = await h.call('conversations.switchBranch', { id: conversationId, messageId: a2!.id });
    expect(activePath(c).at(-1)!.id).toBe(a2!.id);
    await h.close();
    const h2 = await open();
    c = await h2.call('conversations.get', { id: conversationId });
    expect(activePath(c).map((m) => m.id)).toEqual([q1!.id, a1!.id, q2!.id, a2!.id]);
    expect(c.messages).toHaveLength(5);
  });

  it('edit-and-resend branches at the question; the next question follows the new branch', async () => {
    const h = await open();
    const first = await run(h, () => h.call('chat.send', { text: 'What is 1+1?' }));
    const conversationId = first.conversationId;
    await run(h, () => h.call('chat.send', { conversationId, text: 'What is 2+2?' }));
    let c = await h.call('conversations.get', { id: conversationId });
    const [, a1, q2] = activePath(c);
    await run(h, () => h.call('chat.send', { conversationId, text: 'What is 3+3?', parentId: q2!.parentId! }));
    expect(lastGenerate()).toMatchObject({ question: 'What is 3+3?', history: [{ role: 'user', text: 'What is 1+1?' }, { role: 'assistant', text: a1!.text }] });
    c = await h.call('conversations.get', { id: conversationId });
    const path = activePath(c);
    expect(path.map((m) => m.text).slice(0, 3)).toEqual(['What is 1+1?', a1!.text, 'What is 3+3?']);
    expect(variantsOf(c.messages, path[2]!.id)).toEqual({ index: 1, ids: [q2!.id, path[2]!.id] });

    // editing the very first question: parentId null starts a second root
    await run(h, () => h.call('chat.send', { conversationId, text: 'What is 9+9?', parentId: null }));
    c = await h.call('conversations.get', { id: conversationId });
    expect(activePath(c).map((m) => m.text)[0]).toBe('What is 9+9?');
    expect(lastGenerate()['history']).toEqual([]);

    await run(h, () => h.call('chat.send', { conversationId, text: 'And 5+5?' }));
    c = await h.call('conversations.get', { id: conversationId });
    expect(activePath(c).map((m) => m.text).filter((_, i) => i % 2 === 0)).toEqual(['What is 9+9?', 'And 5+5?']);
    await expect(h.call('chat.send', { conversationId, text: 'x', parentId: 'no-such-message' })).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
  });

  it('retry replaces a failed answer instead of keeping it as a variant', async () => {
    const h = await open();
    engine.stepMs = 20;
    let crashed = false;
    const off = h.onTurnEvent((e) => { if (e.type === 'thought' && !crashed) { crashed = true; engine.crash(); } });
    const t = await run(h, () => h.call('chat.send', { text: 'What is 37+48?' }));
    off();
    expect(t.events.at(-1)).toMatchObject({ type: 'error', error: { code: 'ENGINE_CRASHED' } });
    let c = await h.call('conversations.get', { id: t.conversationId });
    const failed = activePath(c)[1]!;
    await run(h, () => h.call('chat.regenerate', { conversationId: t.conversationId, messageId: failed.id }));
    c = await h.call('conversations.get', { id: t.conversationId });
    expect(c.messages).toHaveLength(2);
    expect(c.messages.some((m) => m.id === failed.id)).toBe(false);
    expect(activePath(c)[1]).toMatchObject({ status: 'done', text: 'The answer is 85.' });
    await expect(h.call('chat.regenerate', { conversationId: t.conversationId, messageId: c.messages[0]!.id })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('deleteMessage removes the message and what follows it; the branch moves to a sibling; BUSY while a turn runs', async () => {
    const h = await open();
    const first = await run(h, () => h.call('chat.send', { text: 'What is 1+1?' }));
    const conversationId = first.conversationId;
    await run(h, () => h.call('chat.send', { conversationId, text: 'What is 2+2?' }));
    let c = await h.call('conversations.get', { id: conversationId });
    const [q1, a1] = activePath(c);
    await run(h, () => h.call('chat.regenerate', { conversationId, messageId: a1!.id }));
    c = await h.call('conversations.get', { id: conversationId });
    const a1b = activePath(c)[1]!;
    expect(a1b.id).not.toBe(a1!.id);
    // deleting the variant shown falls back to the other answer and its follow-up question
    c = await h.call('conversations.deleteMessage', { id: conversationId, messageId: a1b.id });
    expect(activePath(c).map((m) => m.text)).toEqual(['What is 1+1?', a1!.text, 'What is 2+2?', expect.any(String)]);
    // deleting the first answer takes the question after it along
    c = await h.call('conversations.deleteMessage', { id: conversationId, messageId: a1!.id });
    expect(c.messages.map((m) => m.id)).toEqual([q1!.id]);
    const onDisk = JSON.parse(await readFile(join(dir, 'data', 'conversations', `${conversationId}.json`), 'utf8')) as Conversation;
    expect(onDisk.messages.map((m) => m.id)).toEqual([q1!.id]);
    await expect(h.call('conversations.deleteMessage', { id: conversationId, messageId: a1!.id })).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' });

    engine.stepMs = 30;
    const busy = await h.call('chat.send', { conversationId, text: 'What is 3+3?' });
    await expect(h.call('conversations.deleteMessage', { id: conversationId, messageId: q1!.id })).rejects.toMatchObject({ code: 'BUSY' });
    await h.call('chat.stop', { turnId: busy.turnId });
  });

  it('a file from before branches (no parentId, no leafId) reads as one branch and can be branched', async () => {
    const now = new Date().toISOString();
    const legacy: Conversation = {
      id: 'old', title: 'Old', createdAt: now, updatedAt: now, messageCount: 2,
      messages: [
        { id: 'u1', role: 'user', text: 'What is 1+1?', createdAt: now },
        { id: 'a1', role: 'assistant', text: '2', createdAt: now, status: 'done' },
      ],
    };
    await writeFile(join(dir, 'data', 'conversations', 'old.json'), JSON.stringify(legacy));
    const h = await open();
    await run(h, () => h.call('chat.regenerate', { conversationId: 'old', messageId: 'a1' }));
    const c = await h.call('conversations.get', { id: 'old' });
    expect(activePath(c).map((m) => m.id)[0]).toBe('u1');
    expect(variantsOf(c.messages, c.leafId!).ids).toEqual(['a1', c.leafId]);
    const after = await h.call('conversations.deleteMessage', { id: 'old', messageId: c.leafId! });
    expect(activePath(after).map((m) => m.id)).toEqual(['u1', 'a1']);
  });

  it('exports Markdown (the branch shown, thinking folded and escaped) and JSON (every branch)', async () => {
    const h = await open();
    engine.thought = ['a <b> & </details> c'];
    const t = await run(h, () => h.call('chat.send', { text: 'What is 1+1?' }));
    const answerId = (await h.call('conversations.get', { id: t.conversationId })).messages[1]!.id;
    await run(h, () => h.call('chat.regenerate', { conversationId: t.conversationId, messageId: answerId }));
    const md = await h.call('conversations.export', { id: t.conversationId, format: 'markdown' });
    expect(md).toMatchObject({ filename: 'What-is-1-1.md', mimeType: 'text/markdown' });
    expect(md.text).toContain('# What is 1+1?');
    expect(md.text).toContain('## You\n\nWhat is 1+1?');
    expect(md.text).toContain('<pre>a &lt;b&gt; &amp; &lt;/details&gt; c</pre>');
    expect(md.text.match(/## Reckon/g)).toHaveLength(1);
    const json = await h.call('conversations.export', { id: t.conversationId, format: 'json' });
    const parsed = JSON.parse(json.text) as { format: string; version: number; conversation: Conversation };
    expect(parsed).toMatchObject({ format: 'reckon.conversation', version: 1 });
    expect(parsed.conversation.messages).toHaveLength(3);
    await expect(h.call('conversations.export', { id: t.conversationId, format: 'pdf' as 'json' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('answer now', () => {
  it('closes the thought of the running turn; the message records where; a finished turn answers applied false', async () => {
    const h = await open();
    engine.stepMs = 15;
    engine.thought = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    let asked: Promise<{ applied: boolean }> | null = null;
    const off = h.onTurnEvent((e) => { if (e.type === 'thought' && asked === null) asked = h.call('chat.answerNow', { turnId: e.turnId }); });
    const t = await run(h, () => h.call('chat.send', { text: 'What is 1+1?' }));
    off();
    expect(await asked).toEqual({ applied: true });
    const at = t.events.find((e) => e.type === 'answer-now');
    expect(at).toBeDefined();
    const types = t.events.map((e) => e.type);
    expect(types.indexOf('answer-now')).toBeLessThan(types.indexOf('thought-end'));
    const c = await h.call('conversations.get', { id: t.conversationId });
    const m = activePath(c)[1]!;
    expect(m.answeredNow).toEqual({ atThinkingTokens: m.thinking!.length });
    expect(m.thinking!.length).toBeLessThan(8);
    expect(m).toMatchObject({ status: 'done', text: 'The answer is 85.' });
    expect(await h.call('chat.answerNow', { turnId: t.turnId })).toEqual({ applied: false });
  });
});

describe('status', () => {
  it('system.info names the thread count measured on this machine (null until measured)', async () => {
    await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: null }));
    engine.measuredThreads = 3;
    const h = await open();
    expect((await h.call('system.info')).measuredThreads).toBeNull();
    await run(h, () => h.call('chat.send', { text: 'What is 1+1?' }));
    await expect.poll(async () => (await h.call('system.info')).measuredThreads?.threads).toBe(3);
    // a fixed override keeps the measurement beside it
    await h.call('settings.update', { threads: 1 });
    const info = await h.call('system.info');
    expect(info.measuredThreads).toMatchObject({ threads: 3, tokensPerSecond: { 1: 10, 3: 20 } });
    expect(info.backend).toMatchObject({ threads: 1, threadsSource: 'settings' });
  });
});
