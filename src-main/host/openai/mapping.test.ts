import { describe, expect, it } from 'vitest';
import { makeLedger } from '../../common/ledger';
import { parseChatCompletionRequest, parseResponsesRequest } from '../../common/schemas/openai';
import type { Message } from '../../common/types';
import { chatUsage, effortFor, finishReasonOf, reckonObject, responsesUsage, sendParamsForChat, sendParamsForResponses, turnInputOf, usageOf } from './mapping';
import { cutAtStop, StopFilter } from './StopFilter';

const ledger = makeLedger({ visible: 10, thinking: 40, prompt: 20, cached: 5, overhead: { probe: 7, trial: 3, draft: 11, distill: 2 } });

describe('OpenAI mapping', () => {
  it('maps reasoning_effort onto the effort knob; none is a zero budget, auto the default', () => {
    expect([effortFor('none'), effortFor('low'), effortFor('medium'), effortFor('high'), effortFor('auto'), effortFor(undefined)]).toEqual([0, 'low', 'medium', 'high', 'auto', 'auto']);
  });

  it('usage comes from the ledger: probe as input, generated overhead as output, reasoning = thinking, total = billed + cached', () => {
    const u = usageOf(ledger);
    expect(u).toEqual({ prompt: 20 + 5 + 7, cached: 5, completion: 10 + 40 + 3 + 11 + 2, reasoning: 40, total: ledger.billed + ledger.cached });
    expect(chatUsage(ledger)).toMatchObject({ prompt_tokens: 32, completion_tokens: 66, total_tokens: 98, prompt_tokens_details: { cached_tokens: 5 }, completion_tokens_details: { reasoning_tokens: 40 } });
    expect(responsesUsage(ledger)).toMatchObject({ input_tokens: 32, output_tokens: 66, total_tokens: 98, output_tokens_details: { reasoning_tokens: 40 } });
  });

  it('splits messages into system prompt, history and question; the question must be the user\'s', () => {
    expect(turnInputOf([
      { role: 'developer', content: 'A' }, { role: 'user', content: [{ type: 'text', text: 'q1' }] },
      { role: 'assistant', content: 'a1' }, { role: 'system', content: 'B' }, { role: 'user', content: 'q2' },
    ])).toEqual({ systemPrompt: 'A\n\nB', history: [{ role: 'user', text: 'q1' }, { role: 'assistant', text: 'a1' }], text: 'q2' });
    expect(() => turnInputOf([{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }])).toThrow(/user's question/);
    expect(() => turnInputOf([{ role: 'system', content: 'only' }])).toThrow(/user's question/);
  });

  it('builds chat.send params from both request kinds', () => {
    const chat = parseChatCompletionRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50, max_completion_tokens: 60, seed: 3, temperature: 0.5, top_p: 0.8, reasoning_effort: 'none', thinking_budget_tokens: 9, reckon: { strategy: 'pdr' }, user: 'dropped' });
    expect(chat.ok).toBe(true);
    if (!chat.ok) return;
    expect(sendParamsForChat(chat.value, 'id1')).toEqual({ text: 'hi', modelId: 'id1', origin: 'api', effort: 0, strategy: 'pdr', seed: 3, temperature: 0.5, topP: 0.8, thinkingBudget: 9, maxTokens: 60 });
    const resp = parseResponsesRequest({ input: 'hello', instructions: 'Be terse.', reasoning: { effort: 'high' }, max_output_tokens: 12 });
    expect(resp.ok).toBe(true);
    if (!resp.ok) return;
    expect(sendParamsForResponses(resp.value, undefined)).toEqual({ text: 'hello', systemPrompt: 'Be terse.', origin: 'api', effort: 'high', maxTokens: 12 });
  });

  it('refuses what it cannot honour, naming the field', () => {
    expect(parseChatCompletionRequest({ messages: [{ role: 'user', content: 'q' }], n: 2 })).toMatchObject({ ok: false, message: expect.stringContaining('n other than 1') as string });
    expect(parseChatCompletionRequest({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] })).toMatchObject({ ok: false, message: expect.stringContaining('messages[0].content') as string });
    expect(parseChatCompletionRequest({ messages: [{ role: 'user', content: 'q' }], reckon: { strategy: 'fast' } })).toMatchObject({ ok: false, message: expect.stringContaining('reckon.strategy') as string });
    expect(parseChatCompletionRequest({ messages: [] })).toMatchObject({ ok: false });
  });

  it('finish_reason is length only at the token limit', () => {
    const m = (stopReason: Message['stopReason']): Message => ({ id: 'x', role: 'assistant', text: '', createdAt: '', ...(stopReason ? { stopReason } : {}) });
    expect([finishReasonOf(m('maxTokens'), false), finishReasonOf(m('eos'), false), finishReasonOf(m('maxTokens'), true), finishReasonOf(m(undefined), false)]).toEqual(['length', 'stop', 'stop', 'stop']);
  });
});

describe('the reckon object', () => {
  it('carries the reliability signal of a controlled turn, null on a plain one', () => {
    const m: Message = { id: 'a1', role: 'assistant', text: '85', createdAt: '2026-01-01T00:00:00.000Z', status: 'done', ledger };
    const reliability = { level: 'unsure', reasons: ['the answer stopped at the token limit'] } satisfies Message['reliability'];
    expect(reckonObject({ ...m, reliability }, 'c1').reliability).toEqual(reliability);
    expect(reckonObject(m, 'c1').reliability).toBeNull();
  });
});

describe('stop sequences', () => {
  it('holds back a possible start of a stop sequence and cuts before it across pieces', () => {
    const f = new StopFilter(['</s>', 'END']);
    expect(f.push('abc<')).toBe('abc');
    expect(f.push('/')).toBe('');
    expect(f.push('x EN')).toBe('</x ');
    expect(f.push('D tail')).toBe('');
    expect(f.hit).toBe(true);
    expect(f.push('more')).toBe('');
    expect(f.flush()).toBe('');
  });

  it('passes everything through without stop sequences, and flushes a held tail at the end', () => {
    expect(new StopFilter([]).push('a</')).toBe('a</');
    const f = new StopFilter(['</s>']);
    expect(f.push('a</')).toBe('a');
    expect(f.flush()).toBe('</');
    expect(cutAtStop('one. two', ['. '])).toEqual({ text: 'one', hit: true });
    expect(cutAtStop('one', ['. '])).toEqual({ text: 'one', hit: false });
  });
});
