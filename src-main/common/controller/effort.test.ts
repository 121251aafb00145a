import { describe, expect, it } from 'vitest';
import { mergeControllerSettings } from './defaults';
import { applyEffortPrompt, effortControlFor, formatEffort, parseEffort, type EffortControl, type ManifestEffort } from './effort';
import { makePlan } from './plan';
import type { DifficultyInfo, Effort, StrategyName } from './types';
import { manifestEffortSchema } from '../schemas/stored';
import { effortSchema } from '../schemas/primitives';
import { controllerSettingsError } from '../schemas/controller';

/** reckon-arith v2's manifest effort block, as the lead measured it. */
const v2: ManifestEffort = {
  levels: {
    low: { systemLine: 'Reasoning effort: low' },
    medium: { systemLine: 'Reasoning effort: medium' },
    high: { systemLine: 'Reasoning effort: high' },
  },
  default: 'high',
  thinkingShare: { low: 0.3, medium: 0.55, high: 1.0 },
};
const manifest: EffortControl = { source: 'manifest', manifest: v2 };
const diff = (difficulty: DifficultyInfo['difficulty'], expected = 100): DifficultyInfo =>
  ({ difficulty, probabilities: null, expectedThinkingTokens: expected, source: 'probe', probeTokens: 0 });
const plan = (effort: Effort, o: { control?: EffortControl | null; difficulty?: DifficultyInfo['difficulty']; strategy?: StrategyName } = {}) =>
  makePlan({ difficulty: diff(o.difficulty ?? 'normal'), effort, strategy: o.strategy ?? 'auto', control: o.control === undefined ? manifest : o.control });

describe('effort levels in the plan', () => {
  it('a fraction picks the smallest level whose thinking share reaches it, and caps at fraction x expected', () => {
    const rows = [0, 0.1, 0.25, 0.3, 0.31, 0.5, 0.55, 0.56, 0.75, 1].map((f) => {
      const p = plan(f, { strategy: 'budget' });
      return [f, p.effortLevel, p.thinkingBudget];
    });
    expect(rows).toEqual([
      [0, 'low', 0], [0.1, 'low', 10], [0.25, 'low', 25], [0.3, 'low', 30], [0.31, 'medium', 31],
      [0.5, 'medium', 50], [0.55, 'medium', 55], [0.56, 'high', 56], [0.75, 'high', 75], [1, 'high', 100],
    ]);
    // The level's own expected length (early exit starts at half of it).
    expect(plan(0.5, { strategy: 'budget' }).expectedThinkingTokens).toBe(55);
  });

  it('Auto asks each class for its level and budgets a fraction of that level\'s length', () => {
    const easy = plan('auto', { difficulty: 'easy' });
    const normal = plan('auto', { difficulty: 'normal' });
    const hard = plan('auto', { difficulty: 'hard' });
    expect([easy.effortLevel, normal.effortLevel, hard.effortLevel]).toEqual(['low', 'medium', 'high']);
    expect([easy.thinkingBudget, normal.thinkingBudget, hard.thinkingBudget]).toEqual([30, 69, 150]);
    expect(easy.effortControl).toBe('manifest');
    expect(easy.earlyExitStart).toBe(15);
  });

  it('"100 %" and Auto measure from the same length: the expected thinking at high effort', () => {
    const full = plan(1, { difficulty: 'hard', strategy: 'budget' });
    const auto = plan('auto', { difficulty: 'hard', strategy: 'budget' });
    expect(full.effortLevel).toBe('high');
    expect(auto.effortLevel).toBe('high');
    expect(full.expectedThinkingTokens).toBe(auto.expectedThinkingTokens);
    expect(full.thinkingBudget).toBe(100);
    // Hard's class budget is 1.5 x that same length.
    expect(auto.thinkingBudget).toBe(150);
  });

  it('the class levels are editable in the strategy settings', () => {
    const settings = mergeControllerSettings({ strategies: { easy: { effortLevel: 'high' } } });
    expect(makePlan({ difficulty: diff('easy'), effort: 'auto', strategy: 'auto', settings, control: manifest }).effortLevel).toBe('high');
    expect(controllerSettingsError({ strategies: { easy: { effortLevel: 'max' } } })).toMatch(/strategies\.easy\.effortLevel must be one of low, medium, high/);
  });

  it('an explicit level is used as given; a level the model lacks becomes the next higher one', () => {
    expect(plan('low', { difficulty: 'hard' }).effortLevel).toBe('low');
    expect(plan('low', { difficulty: 'hard' }).thinkingBudget).toBe(45); // Hard's 1.5 x low's 30
    const noMedium: EffortControl = { source: 'manifest', manifest: { ...v2, levels: { low: v2.levels.low!, high: v2.levels.high! }, thinkingShare: { low: 0.3, high: 1 } } };
    expect(plan('medium', { control: noMedium }).effortLevel).toBe('high');
    expect(plan('auto', { control: noMedium, difficulty: 'normal' }).effortLevel).toBe('high');
  });

  it('long CoT runs at the model\'s default level unless a level is asked for', () => {
    expect(plan(0.25, { strategy: 'long' })).toMatchObject({ effortLevel: 'high', thinkingBudget: null });
    expect(plan('auto', { strategy: 'long', difficulty: 'easy' }).effortLevel).toBe('high');
    expect(plan('low', { strategy: 'long' })).toMatchObject({ effortLevel: 'low', thinkingBudget: null });
  });

  it('a model without levels: a level is a fraction of the budget (the old reasoning_effort mapping), no level in the plan', () => {
    const rows = (['low', 'medium', 'high'] as const).map((l) => plan(l, { control: null, strategy: 'budget' }));
    expect(rows.map((p) => p.thinkingBudget)).toEqual([25, 50, 100]);
    expect(rows.map((p) => p.effortLevel)).toEqual([null, null, null]);
    expect(plan('auto', { control: null, difficulty: 'easy' })).toMatchObject({ effortLevel: null, effortControl: null, thinkingBudget: 100 });
  });

  it('Qwen3: thinking off for low or no thinking asked for, on otherwise; Auto never switches it off', () => {
    const qwen: EffortControl = { source: 'qwen3' };
    expect(plan('low', { control: qwen }).effortLevel).toBe('low');
    expect(plan(0, { control: qwen, strategy: 'budget' }).effortLevel).toBe('low');
    expect(plan(0.5, { control: qwen, strategy: 'budget' })).toMatchObject({ effortLevel: 'high', thinkingBudget: 50 });
    expect(plan('medium', { control: qwen }).effortLevel).toBe('high');
    expect(plan('auto', { control: qwen, difficulty: 'easy' })).toMatchObject({ effortLevel: 'high', thinkingBudget: 100 });
  });

  it('gpt-oss: levels without measured shares, so a fraction stays at high with the budget as the cut', () => {
    const oss: EffortControl = { source: 'gpt-oss' };
    expect(plan(0.3, { control: oss, strategy: 'budget' })).toMatchObject({ effortLevel: 'high', thinkingBudget: 30, effortControl: 'gpt-oss' });
    expect(plan('auto', { control: oss, difficulty: 'easy' })).toMatchObject({ effortLevel: 'low', thinkingBudget: 100 });
    expect(plan('medium', { control: oss }).effortLevel).toBe('medium');
  });
});

describe('effort controls and prompts', () => {
  it('the manifest comes first, then the family\'s native control, else none', () => {
    expect(effortControlFor(v2, 'qwen', true)).toEqual({ source: 'manifest', manifest: v2 });
    expect(effortControlFor(null, 'gpt-oss', true)).toEqual({ source: 'gpt-oss' });
    expect(effortControlFor(null, 'qwen', true)).toEqual({ source: 'qwen3' });
    expect(effortControlFor(null, 'qwen', false)).toBeNull(); // Qwen2: no thinking to switch
    expect(effortControlFor(null, 'deepseek-r1', true)).toBeNull();
    expect(effortControlFor(undefined, 'chatml-think', true)).toBeNull();
  });

  it('a manifest line is the system message\'s last line, or the whole message', () => {
    expect(applyEffortPrompt(manifest, 'low', { systemPrompt: '', question: 'q' })).toEqual({ systemPrompt: 'Reasoning effort: low', question: 'q', reasoningEffort: null });
    expect(applyEffortPrompt(manifest, 'medium', { systemPrompt: 'Be brief.\n', question: 'q' }).systemPrompt).toBe('Be brief.\nReasoning effort: medium');
    expect(applyEffortPrompt({ source: 'qwen3' }, 'low', { systemPrompt: 's', question: 'What is 2+2? ' })).toEqual({ systemPrompt: 's', question: 'What is 2+2? /no_think', reasoningEffort: null });
    expect(applyEffortPrompt({ source: 'qwen3' }, 'high', { systemPrompt: 's', question: 'q' }).question).toBe('q');
    expect(applyEffortPrompt({ source: 'gpt-oss' }, 'low', { systemPrompt: 's', question: 'q' })).toEqual({ systemPrompt: 's', question: 'q', reasoningEffort: 'low' });
    expect(applyEffortPrompt(null, 'low', { systemPrompt: 's', question: 'q' })).toEqual({ systemPrompt: 's', question: 'q', reasoningEffort: null });
  });

  it('reads efforts as people type them and prints them back', () => {
    expect(['auto', 'LOW', ' medium ', 'high', '0.5', '.25', '50%', '100 %', '0', '1'].map(parseEffort)).toEqual(['auto', 'low', 'medium', 'high', 0.5, 0.25, 0.5, 1, 0, 1]);
    expect(['', 'max', '1.5', '-0.1', '120%', '0x1', '1e-1', 'NaN'].map(parseEffort)).toEqual([null, null, null, null, null, null, null, null]);
    expect([formatEffort('auto'), formatEffort('low'), formatEffort(0.25)]).toEqual(['auto', 'low', '25%']);
    expect(effortSchema.safeParse('medium').success).toBe(true);
    expect(effortSchema.safeParse('extreme').success).toBe(false);
  });

  it('validates a manifest\'s effort block', () => {
    expect(manifestEffortSchema.parse(v2)).toEqual(v2);
    expect(manifestEffortSchema.safeParse({ ...v2, default: 'medium', levels: { high: v2.levels.high } }).success).toBe(false);
    expect(manifestEffortSchema.safeParse({ ...v2, thinkingShare: { low: 1.5 } }).success).toBe(false);
    expect(manifestEffortSchema.safeParse({ ...v2, levels: {} }).success).toBe(false);
    expect(manifestEffortSchema.safeParse({ ...v2, levels: { low: { systemLine: '' } }, default: 'low' }).success).toBe(false);
    expect(manifestEffortSchema.safeParse({ ...v2, levels: { high: v2.levels.high }, thinkingShare: { low: 0.3 }, default: 'high' }).success).toBe(false);
  });
});
