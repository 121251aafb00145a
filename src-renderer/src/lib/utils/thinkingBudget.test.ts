import { describe, expect, it } from 'vitest';
import type { Plan } from '$common/controller/types';
import { budgetBar, thinkingContentTokens, thoughtDeltaTokens } from './thinkingBudget';

function plan(p: Partial<Plan> = {}): Plan {
  return {
    requested: 'auto', strategy: 'budget', difficulty: 'normal', effort: 0.25, effortLevel: null, effortControl: null, expectedThinkingTokens: 160,
    thinkingBudget: 40, systemPrompt: '', temperature: 0, earlyExitThreshold: null, trialTokens: 48, earlyExitStart: 80,
    sampling: null, rounds: null, kappa: null, ...p,
  };
}

describe('thoughtDeltaTokens', () => {
  it('counts one token per delta, plus the whitespace the host held back and glued on', () => {
    expect(thoughtDeltaTokens('7', true)).toBe(1);
    expect(thoughtDeltaTokens('+', false)).toBe(1);
    expect(thoughtDeltaTokens('\n3', false)).toBe(2);
    expect(thoughtDeltaTokens(' \n4', false)).toBe(3);
    expect(thoughtDeltaTokens('', false)).toBe(0);
    // the first delta's leading whitespace was dropped, not held
    expect(thoughtDeltaTokens('Add', true)).toBe(1);
  });
  it('thinking content excludes <think> and </think>', () => {
    expect(thinkingContentTokens(42)).toBe(40);
    expect(thinkingContentTokens(2)).toBe(0);
    expect(thinkingContentTokens(0)).toBe(0);
  });
});

describe('budgetBar', () => {
  it('is null without a budget (no controller, strategy long, class without budget)', () => {
    expect(budgetBar({ plan: undefined, final: false })).toBeNull();
    expect(budgetBar({ plan: plan({ strategy: 'long', thinkingBudget: null }), final: false })).toBeNull();
    expect(budgetBar({ plan: plan({ thinkingBudget: null }), final: true })).toBeNull();
  });

  it('fills from the live estimate, clamped to the budget', () => {
    const b = budgetBar({ plan: plan(), liveTokens: 10, final: false })!;
    expect(b).toMatchObject({ budget: 40, spent: 10, fraction: 0.25, exact: false, outcome: 'thinking', readout: '10 / 40' });
    expect(b.summary).toMatch(/^≈10 of 40/);
    expect(budgetBar({ plan: plan(), liveTokens: 55, final: false })!.fraction).toBe(1);
  });

  it('"Answer now" is its own outcome with a mark where the user closed the thinking, not budget forcing', () => {
    const b = budgetBar({ plan: plan({ thinkingBudget: 400 }), thinkingTokens: 32, answeredNow: { atThinkingTokens: 30 }, final: true })!;
    expect(b.outcome).toBe('answer-now');
    expect(b.marks).toContainEqual(expect.objectContaining({ kind: 'answer-now', at: 30, fraction: 30 / 400 }));
    expect(b.summary).toContain('you closed the thinking at 30');
  });

  it('marks budget forcing when the exact count reaches the budget', () => {
    const b = budgetBar({ plan: plan(), liveTokens: 38, thinkingTokens: 42, final: false })!;
    expect(b).toMatchObject({ spent: 40, exact: true, outcome: 'forced', fraction: 1 });
    expect(b.marks).toEqual([expect.objectContaining({ kind: 'forced', at: 40, fraction: 1 })]);
    expect(b.summary).toContain('budget forcing closed');
  });

  it('a thought closed below the budget is natural', () => {
    const b = budgetBar({ plan: plan(), thinkingTokens: 22, final: true })!;
    expect(b).toMatchObject({ spent: 20, fraction: 0.5, outcome: 'natural', marks: [] });
  });

  it('marks where early-exit trials start and where early exit fired', () => {
    const p = plan({ strategy: 'early-exit', earlyExitThreshold: 0.9, thinkingBudget: 100, earlyExitStart: 50 });
    const b = budgetBar({ plan: p, thinkingTokens: 63, earlyExit: { trials: 2, fired: true, atThinkingTokens: 61, confidence: 0.97 }, final: true })!;
    expect(b.outcome).toBe('early-exit');
    expect(b.marks.map((m) => [m.kind, m.at, m.fraction])).toEqual([
      ['trials-start', 50, 0.5],
      ['early-exit', 61, 0.61],
    ]);
    expect(b.summary).toContain('early exit fired at 61');
  });

  it('rolled-back trials are mentioned; a budget of 0 reads as "answered at once"', () => {
    const p = plan({ strategy: 'early-exit', earlyExitThreshold: 0.9, thinkingBudget: 100, earlyExitStart: 50 });
    const b = budgetBar({ plan: p, thinkingTokens: 82, earlyExit: { trials: 3, fired: false, atThinkingTokens: 80, confidence: 0.5 }, final: true })!;
    expect(b.outcome).toBe('natural');
    expect(b.summary).toContain('3 early-exit trials rolled back');
    const z = budgetBar({ plan: plan({ thinkingBudget: 0, effort: 0 }), thinkingTokens: 2, final: true })!;
    expect(z).toMatchObject({ budget: 0, spent: 0, fraction: 1, outcome: 'none' });
  });

  it('says the budget is per draft for parallel strategies', () => {
    const b = budgetBar({ plan: plan({ strategy: 'pdr', rounds: [4, 2, 1], kappa: 64 }), thinkingTokens: 30, final: true })!;
    expect(b.summary).toContain('per draft');
  });
});
