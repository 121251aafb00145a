/** `changed` events: every call that changes stored state tells the clients what to re-read; a failed call does not. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredChange, TurnEvent } from '../common/events';
import { hostFixture, type HostFixture } from './testing/hostFixture';

let fx: HostFixture;
beforeEach(async () => {
  fx = await hostFixture({ prefix: 'reckon-changes-', bundledModel: false, conversations: true });
});
afterEach(() => fx.dispose());

describe('changed events', () => {
  it('name the conversation and how it changed, the settings or the models, only after the call succeeded', async () => {
    const h = await fx.open();
    const seen: StoredChange[] = [];
    h.onTurnEvent((e: TurnEvent) => {
      if (e.type === 'changed') seen.push(e.change);
    });
    const c = await h.call('conversations.create', { title: 'First' });
    await h.call('conversations.rename', { id: c.id, title: 'Renamed' });
    await h.call('conversations.pin', { id: c.id, pinned: true });
    await h.call('conversations.setSystemPrompt', { id: c.id, systemPrompt: 'Be brief.' });
    await h.call('settings.update', { temperature: 0.3 });
    // Refused calls changed nothing, so nobody is told.
    await expect(h.call('conversations.rename', { id: '99999999-9999-4999-8999-999999999999', title: 'x' })).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    await expect(h.call('models.remove', { id: 'no-such-model' })).rejects.toThrow();
    await h.call('conversations.delete', { id: c.id });
    expect(seen).toEqual([
      { what: 'conversation', id: c.id, how: 'created' },
      { what: 'conversation', id: c.id, how: 'renamed' },
      { what: 'conversation', id: c.id, how: 'pinned' },
      { what: 'conversation', id: c.id, how: 'system-prompt' },
      { what: 'settings' },
      { what: 'conversation', id: c.id, how: 'deleted' },
    ]);
  });
});
