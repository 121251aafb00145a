import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Conversation } from '../../common/types';
import { Store } from './Store';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'reckon-store-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

function conv(id: string, text = 'hello'): Conversation {
  const now = new Date().toISOString();
  return { id, title: `t-${id}`, createdAt: now, updatedAt: now, messageCount: 1, messages: [{ id: 'm1', role: 'user', text, createdAt: now }] };
}

describe('Store', () => {
  it('writes atomically: the file is always a complete JSON document, and the last write wins', async () => {
    const s = await Store.open(dir);
    const c = conv('a');
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      c.messages[0]!.text = `v${i} ${'x'.repeat(2000)}`;
      writes.push(s.writeConversation(structuredClone(c)));
      // Every read in between sees a complete document, never a torn write.
      const raw = await readFile(join(dir, 'conversations', 'a.json'), 'utf8').catch(() => null);
      if (raw !== null) expect(() => JSON.parse(raw)).not.toThrow();
    }
    await Promise.all(writes);
    const back = JSON.parse(await readFile(join(dir, 'conversations', 'a.json'), 'utf8')) as Conversation;
    expect(back.messages[0]!.text.startsWith('v49 ')).toBe(true);
    // No temp files left behind.
    expect((await readdir(join(dir, 'conversations'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('sets a corrupt conversation file aside with a notice and keeps the others', async () => {
    const s = await Store.open(dir);
    await s.writeConversation(conv('good1'));
    await s.writeConversation(conv('good2'));
    await writeFile(join(dir, 'conversations', 'bad.json'), '{"id": "bad", "title": tru');
    await writeFile(join(dir, 'conversations', 'shape.json'), JSON.stringify({ id: 'shape', messages: 'nope' }));
    const s2 = await Store.open(dir);
    const all = await s2.readAllConversations();
    expect(all.map((c) => c.id).sort()).toEqual(['good1', 'good2']);
    const files = await readdir(join(dir, 'conversations'));
    expect(files.some((f) => f.startsWith('bad.json.corrupt-'))).toBe(true);
    expect(files.some((f) => f.startsWith('shape.json.corrupt-'))).toBe(true);
    expect(files).not.toContain('bad.json');
    const notices = s2.notices();
    expect(notices).toHaveLength(2);
    expect(notices[0]!.message).toMatch(/Conversation file bad\.json was unreadable and was set aside .*other conversations are unaffected/);
    // Notices persist until dismissed.
    const s3 = await Store.open(dir);
    expect(s3.notices()).toHaveLength(2);
    await s3.dismissNotice(notices[0]!.id);
    expect((await Store.open(dir)).notices()).toHaveLength(1);
  });

  it('falls back to default settings when settings.json is garbage, and keeps valid fields otherwise', async () => {
    await writeFile(join(dir, 'settings.json'), 'not json');
    const s = await Store.open(dir);
    expect((await s.readSettings()).maxTokens).toBe(1024);
    expect(s.notices()[0]!.message).toMatch(/settings\.json was unreadable/);
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ threads: 1, maxTokens: 'lots', bogus: 1 }));
    const st = await s.readSettings();
    expect(st.threads).toBe(1);
    expect(st.maxTokens).toBe(1024);
  });

  it('rejects conversation ids that could escape the folder', async () => {
    const s = await Store.open(dir);
    expect(() => s.conversationPath('../x')).toThrow(/Invalid conversation id/);
  });
});
