import { describe, expect, it } from 'vitest';
import { makeLedger } from '../common/ledger';
import type { GenerateResult } from '../common/engineProtocol';
import { timingsOf } from './turnTimings';

const result = (thinking: number, visible: number, prompt: number, probe = 0): GenerateResult => ({
  answer: '', thinking: '', thinkingMs: 0, stopReason: 'eos', ledger: makeLedger({ thinking, visible, prompt, cached: 0, overhead: { probe } }),
});

describe('timingsOf', () => {
  it('splits load, time to first token and decoding; tokens/s counts what was decoded after the first token', () => {
    // 1000 loaded, first token at 1300, end at 3300: 2 s decoding 40 + 61 tokens after the first
    expect(timingsOf(result(40, 62, 500, 25), 0, 1000, 1300, 3300)).toEqual({ loadMs: 1000, timeToFirstTokenMs: 300, decodeMs: 2000, tokensPerSecond: 50.5 });
  });
  it('a turn that streamed nothing has no decode time and no speed', () => {
    expect(timingsOf(result(0, 0, 10), 5, 5, null, 905)).toEqual({ loadMs: 0, timeToFirstTokenMs: 900, decodeMs: 0, tokensPerSecond: 0 });
  });
});
