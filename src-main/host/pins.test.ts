/** Conversation pins on the host: stored with the conversation, listed first, kept across a restart. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Conversation } from '../common/types';
import type { Host } from './index';
import { hostFixture, type HostFixture } from './testing/hostFixture';

let fx: HostFixture;
let dir: string;

beforeEach(async () => {
  fx = await hostFixture({ prefix: 'reckon-pins-', bundledModel: false, conversations: true, freshEngine: true });
  ({ dir } = fx);
});
afterEach(() => fx.dispose());

/** A restart: closes the host opened last and starts another (with a new engine) on the same folder. */
const open = (): Promise<Host> => fx.reopen();

/** A conversation file as written before pins existed (no `pinned` field). */
async function writeOld(id: string, title: string, updatedAt: string): Promise<void> {
  const c = { id, title, createdAt: updatedAt, updatedAt, messageCount: 0, messages: [] };
  await writeFile(join(dir, 'data', 'conversations', `${id}.json`), JSON.stringify(c));
}

const fileOf = async (id: string): Promise<Conversation> =>
  JSON.parse(await readFile(join(dir, 'data', 'conversations', `${id}.json`), 'utf8')) as Conversation;

describe('conversations.pin', () => {
  it('reads old files without the field, lists pinned first, keeps updatedAt, and survives a restart', async () => {
    await writeOld('11111111-1111-4111-8111-111111111111', 'Old one', '2020-01-01T00:00:00.000Z');
    await writeOld('22222222-2222-4222-8222-222222222222', 'Newer one', '2024-06-01T00:00:00.000Z');
    let h = await open();
    expect((await h.call('conversations.list')).map((c) => [c.title, c.pinned])).toEqual([['Newer one', undefined], ['Old one', undefined]]);

    const pinned = await h.call('conversations.pin', { id: '11111111-1111-4111-8111-111111111111', pinned: true });
    expect(pinned).toMatchObject({ title: 'Old one', pinned: true, updatedAt: '2020-01-01T00:00:00.000Z' });
    expect((await h.call('conversations.list')).map((c) => c.title)).toEqual(['Old one', 'Newer one']);
    expect((await fileOf('11111111-1111-4111-8111-111111111111')).pinned).toBe(true);

    h = await open();
    const listed = await h.call('conversations.list');
    expect(listed.map((c) => [c.title, c.pinned])).toEqual([['Old one', true], ['Newer one', undefined]]);
    await expect(h.call('conversations.list', { query: 'newer' })).resolves.toMatchObject([{ title: 'Newer one' }]);

    await h.call('conversations.pin', { id: '11111111-1111-4111-8111-111111111111', pinned: false });
    expect('pinned' in (await fileOf('11111111-1111-4111-8111-111111111111'))).toBe(false);
    expect((await h.call('conversations.list')).map((c) => c.title)).toEqual(['Newer one', 'Old one']);
  });

  it('an unknown id is CONVERSATION_NOT_FOUND and a non-boolean is BAD_REQUEST naming the field', async () => {
    const h = await open();
    await expect(h.call('conversations.pin', { id: 'nope', pinned: true })).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    const c = await h.call('conversations.create');
    await expect(h.call('conversations.pin', { id: c.id, pinned: 'yes' as unknown as boolean }))
      .rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'conversations.pin: pinned must be true or false.' });
  });
});
