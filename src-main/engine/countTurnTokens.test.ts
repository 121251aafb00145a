import { describe, expect, it } from 'vitest';
import { countTurnTokens } from './countTurnTokens';

const THINK = 90, END_THINK = 91;
const prompt = [1, 10, 11, 12, 13];

describe('countTurnTokens', () => {
  it('first turn without thinking: all of the prompt is decoded, the end token is visible', () => {
    const after = [...prompt, 20, 21, 22];
    expect(countTurnTokens({ before: [], after, promptLength: 5, sampled: 4, injected: 0, thoughtSeen: false, thoughtSuffix: null, thoughtStreamed: 0 }))
      .toEqual({ cached: 0, prompt: 5, thinking: 0, visible: 4 });
  });

  it('splits thinking (tags included) from the answer', () => {
    const after = [...prompt, THINK, 30, 31, END_THINK, 40, 41];
    expect(countTurnTokens({ before: [], after, promptLength: 5, sampled: 7, injected: 0, thoughtSeen: true, thoughtSuffix: [END_THINK], thoughtStreamed: 2 }))
      .toEqual({ cached: 0, prompt: 5, thinking: 4, visible: 3 });
  });

  it('counts a budget-forced suffix as thinking, not prompt', () => {
    const after = [...prompt, THINK, 30, END_THINK, 40];
    // sampled: THINK, 30, 40, end = 4; END_THINK was injected
    expect(countTurnTokens({ before: [], after, promptLength: 5, sampled: 4, injected: 1, thoughtSeen: true, thoughtSuffix: [END_THINK], thoughtStreamed: 1 }))
      .toEqual({ cached: 0, prompt: 5, thinking: 3, visible: 2 });
  });

  it('reports the reused KV prefix as cached on a later turn', () => {
    const before = [...prompt, 20, 21, 22];
    const prompt2 = [...prompt, 20, 21, 22, 2, 50, 51];
    const after = [...prompt2, 60];
    expect(countTurnTokens({ before, after, promptLength: prompt2.length, sampled: 2, injected: 0, thoughtSeen: false, thoughtSuffix: null, thoughtStreamed: 0 }))
      .toEqual({ cached: 8, prompt: 3, thinking: 0, visible: 2 });
  });

  it('an unclosed thought is all thinking', () => {
    const after = [...prompt, THINK, 30, 31];
    expect(countTurnTokens({ before: [], after, promptLength: 5, sampled: 4, injected: 0, thoughtSeen: true, thoughtSuffix: [END_THINK], thoughtStreamed: 2 }))
      .toEqual({ cached: 0, prompt: 5, thinking: 4, visible: 0 });
  });
});
