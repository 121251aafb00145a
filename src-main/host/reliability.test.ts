/**
 * The reliability signal reaches the stored assistant message (and the turn's done event) for a controlled turn,
 * and stays off plain turns. Runs the real host in front of the scripted engine.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makePlan } from '../common/controller/plan';
import type { DifficultyInfo, DraftRecord } from '../common/controller/types';
import type { Conversation, Message } from '../common/types';
import type { Host } from './index';
import type { FakeEngineControl } from './testing/fakeEngine';
import { hostFixture, runTurn, type HostFixture } from './testing/hostFixture';

let fx: HostFixture;
let data: string;
let host: Host;
let engine: FakeEngineControl;

beforeEach(async () => {
  fx = await hostFixture({ prefix: 'reckon-reliability-', stepMs: 1 });
  ({ data, engine } = fx);
  host = await fx.open();
});
afterEach(() => fx.dispose());

/** Runs one turn to its end; returns its done event's message and the conversation file as written. */
async function turn(h: Host, text: string): Promise<{ done: Message; file: Conversation }> {
  const { conversationId, events } = await runTurn(h, () => h.call('chat.send', { text, strategy: 'short-m@k' }));
  const done = events.find((e) => e.type === 'done');
  if (done?.type !== 'done') throw new Error(`the turn did not finish: ${JSON.stringify(events.at(-1))}`);
  const file = JSON.parse(await readFile(join(data, 'conversations', `${conversationId}.json`), 'utf8')) as Conversation;
  return { done: done.message, file };
}

const hard: DifficultyInfo = { difficulty: 'hard', probabilities: null, expectedThinkingTokens: 100, source: 'probe', probeTokens: 0 };
const draft = (index: number, answer: string, winner: boolean): DraftRecord =>
  ({ round: 0, index, answer, text: `= ${answer}`, tokens: 20, finished: true, confidence: 1, winner });

describe('reliability on the stored message', () => {
  it('a controlled turn whose drafts disagree is stored unsure, with its reasons', async () => {
    const plan = makePlan({ difficulty: hard, effort: 'auto', strategy: 'short-m@k' });
    engine.editResult = (r) => ({ ...r, difficulty: hard, plan, drafts: [draft(0, '85', true), draft(1, '85', false), draft(2, '75', false)] });
    const { done, file } = await turn(host, 'What is 37+48?');
    const expected = {
      level: 'unsure',
      reasons: ['the drafts disagree: 2 different answers among 3 drafts (2 gave the winning answer)'],
    };
    expect(done.reliability).toEqual(expected);
    const stored = file.messages.find((m) => m.role === 'assistant')!;
    expect(stored.reliability).toEqual(expected);
    // Read back through the API as well (the stored-shape schema keeps the field).
    const got = await host.call('conversations.get', { id: file.id });
    expect(got.messages.find((m) => m.role === 'assistant')!.reliability).toEqual(expected);
  });

  it('a controlled turn that nothing flags is stored reliable; a turn without a plan carries no signal', async () => {
    const easy: DifficultyInfo = { ...hard, difficulty: 'easy' };
    const plan = makePlan({ difficulty: easy, effort: 'auto', strategy: 'auto' });
    const fired = { trials: 1, fired: true, atThinkingTokens: 10, confidence: 0.95 };
    engine.editResult = (r) => ({ ...r, difficulty: easy, plan, earlyExit: fired, thinking: '2+2\nSo 2+2=4.', answer: '2 + 2 = 4' });
    const controlled = await turn(host, 'What is 2+2?');
    expect(controlled.file.messages.find((m) => m.role === 'assistant')!.reliability).toEqual({ level: 'reliable', reasons: [] });
    // The rule reads the question the turn answered: the same thinking under another question is unsure.
    const other = await turn(host, 'What is 2+5?');
    expect(other.done.reliability).toEqual({ level: 'unsure', reasons: ['the thinking never uses 5 from the question'] });

    engine.editResult = undefined;
    const plain = await turn(host, 'What is 3+3?');
    expect(plain.done.reliability).toBeUndefined();
    expect('reliability' in plain.file.messages.find((m) => m.role === 'assistant')!).toBe(false);
  });
});
