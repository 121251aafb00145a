import { describe, expect, it } from 'vitest';
import { ledgerAddsUp, makeLedger } from '../ledger';
import { defaultControllerSettings, mergeControllerSettings } from './defaults';
import { controllerSettingsError } from '../schemas/controller';
import { paretoFront } from './pareto';
import { budgetForEffort, fallbackDifficulty, makePlan, RunningAverage } from './plan';
import type { DifficultyInfo } from './types';
import { answerKey, distillWorkspace, rankAnswers, summaryPrefix, summaryRequest, summaryWorkspace, vote, workspacePrefix } from './vote';

const diff = (difficulty: DifficultyInfo['difficulty'], expected: number): DifficultyInfo =>
  ({ difficulty, probabilities: null, expectedThinkingTokens: expected, source: 'probe', probeTokens: 0 });

describe('effort and plan arithmetic', () => {
  it('effort is a fraction of the expected thinking length, 0 = answer at once, floors at minBudget', () => {
    expect(budgetForEffort(0.5, 100)).toBe(50);
    expect(budgetForEffort(0.25, 100)).toBe(25);
    expect(budgetForEffort(1, 87)).toBe(87);
    expect(budgetForEffort(0, 100)).toBe(0);
    expect(budgetForEffort(0.01, 100, 4)).toBe(4);
    expect(budgetForEffort(2, 100)).toBe(100);
  });
  it('auto effort uses the class budget fraction; strategies set thresholds and drafts', () => {
    const easy = makePlan({ difficulty: diff('easy', 100), effort: 'auto', strategy: 'auto' });
    expect(easy.strategy).toBe('early-exit');
    expect(easy.thinkingBudget).toBe(100);
    expect(easy.earlyExitThreshold).toBe(0.85);
    expect(makePlan({ difficulty: diff('normal', 100), effort: 'auto', strategy: 'budget' }).thinkingBudget).toBe(125);
    expect(easy.earlyExitStart).toBe(50);
    const hard = makePlan({ difficulty: diff('hard', 100), effort: 0.5, strategy: 'budget' });
    expect(hard.thinkingBudget).toBe(50);
    expect(hard.earlyExitThreshold).toBeNull();
    const long = makePlan({ difficulty: diff('normal', 100), effort: 0.5, strategy: 'long' });
    expect(long.thinkingBudget).toBeNull();
    const mk = makePlan({ difficulty: diff('normal', 80), effort: 'auto', strategy: 'short-m@k' });
    expect(mk.sampling).toEqual({ k: 3, m: 2 });
    expect(mk.temperature).toBeGreaterThan(0);
    const pdr = makePlan({ difficulty: diff('normal', 80), effort: 'auto', strategy: 'pdr' });
    expect(pdr.rounds).toEqual([4, 2, 1]);
    expect(pdr.kappa).toBe(64);
    // Drafts think under twice the class budget (Normal: 1.25 x 80 = 100 -> 200); the other strategies keep it.
    expect(makePlan({ difficulty: diff('normal', 80), effort: 'auto', strategy: 'budget' }).thinkingBudget).toBe(100);
    expect(pdr.thinkingBudget).toBe(200);
  });
  it('budget rises monotonically with effort', () => {
    const b = [0.1, 0.25, 0.5, 0.75, 1].map((e) => makePlan({ difficulty: diff('normal', 90), effort: e, strategy: 'budget' }).thinkingBudget!);
    for (let i = 1; i < b.length; i++) expect(b[i]!).toBeGreaterThanOrEqual(b[i - 1]!);
  });
  it('falls back to Normal with a running average (or the configured constant)', () => {
    expect(fallbackDifficulty(null).expectedThinkingTokens).toBe(defaultControllerSettings.fallbackExpectedThinking);
    const avg = new RunningAverage(4);
    for (const x of [40, 60]) avg.add(x);
    const d = fallbackDifficulty(avg);
    expect(d).toMatchObject({ difficulty: 'normal', source: 'fallback', expectedThinkingTokens: 50 });
  });
  it('settings merge over the defaults and are validated', () => {
    const s = mergeControllerSettings({ strategies: { easy: { budgetFraction: 0.3 } }, pdr: { rounds: [2, 1] } });
    expect(s.strategies.easy.budgetFraction).toBe(0.3);
    expect(s.strategies.easy.earlyExitThreshold).toBe(0.85);
    expect(s.pdr.rounds).toEqual([2, 1]);
    expect(controllerSettingsError(s)).toBeNull();
    expect(controllerSettingsError({ shortMK: { k: 2, m: 3 } })).toMatch(/m <= k/);
    expect(controllerSettingsError({ strategies: { hard: { earlyExitThreshold: 2 } } })).toMatch(/earlyExitThreshold/);
    expect(controllerSettingsError('x')).toMatch(/object/);
  });
});

describe('vote and distillation', () => {
  it('answer keys take the last number after the last =', () => {
    expect(answerKey('37 + 48 = 85')).toBe('85');
    expect(answerKey('The answer is 1,234.')).toBe('1234');
    expect(answerKey('12 - 5 = -3')).toBe('-3');
    expect(answerKey('')).toBe('');
  });
  it('majority wins; ties go to confidence; empty answers never win', () => {
    const v = vote([{ answer: '84', confidence: 0.9 }, { answer: '85', confidence: 0.6 }, { answer: '85', confidence: 0.7 }, { answer: '', confidence: 1 }]);
    expect(v.index).toBe(1);
    expect(v.ranked.map((r) => [r.answer, r.votes])).toEqual([['85', 2], ['84', 1]]);
    expect(vote([{ answer: '1', confidence: 0.4 }, { answer: '2', confidence: 0.8 }]).index).toBe(1);
    expect(rankAnswers([{ answer: '', confidence: 1 }])).toEqual([]);
  });
  it('the workspace is the trained line, ranked, and never exceeds kappa tokens', () => {
    const c = [{ answer: '85', confidence: 0.9 }, { answer: '84', confidence: 0.5 }, { answer: '85', confidence: 0.8 }];
    const chars = (t: string): number => t.length;
    expect(distillWorkspace(c, 100, chars)).toBe(`${workspacePrefix}85, 85, 84`);
    for (const kappa of [0, 10, 40, 43, 45, 47, 60]) {
      const w = distillWorkspace(c, kappa, chars);
      expect(chars(w)).toBeLessThanOrEqual(kappa);
    }
    expect(distillWorkspace(c, workspacePrefix.length + 2, chars)).toBe(`${workspacePrefix}85`);
  });
});

describe('ledger with overhead and Pareto', () => {
  it('billed adds prompt, thinking, every overhead kind and visible; sequential the accepted path', () => {
    const l = makeLedger({ visible: 10, thinking: 50, prompt: 30, cached: 4, overhead: { probe: 41, trial: 12, draft: 300, distill: 20 } });
    expect(l.billed).toBe(30 + 50 + 41 + 12 + 300 + 20 + 10);
    expect(l.sequential).toBe(90);
    expect(ledgerAddsUp(l)).toBe(true);
  });
  it('the front drops dominated points', () => {
    const f = paretoFront([
      { label: 'a', cost: 100, accuracy: 0.9 }, { label: 'b', cost: 50, accuracy: 0.9 },
      { label: 'c', cost: 30, accuracy: 0.5 }, { label: 'd', cost: 200, accuracy: 0.95 }, { label: 'e', cost: 60, accuracy: 0.4 },
    ]);
    expect(f.map((p) => p.label)).toEqual(['c', 'b', 'd']);
  });
});

describe('PDR summary distillation (general models)', () => {
  const chars = (t: string): number[] => [...t].map((c) => c.charCodeAt(0));
  const unchars = (ids: readonly number[]): string => String.fromCharCode(...ids);

  it('asks about the question with the drafts ranked by votes, each cut to a bounded length', () => {
    const req = summaryRequest('What is 2+2?', [
      { text: 'It is 5.', answer: '5', confidence: 0.9 },
      { text: 'The sum is 4.', answer: '4', confidence: 0.6 },
      { text: '2 + 2 = 4', answer: '4', confidence: 0.7 },
      { text: 'x'.repeat(50), answer: 'x', confidence: 0.1 },
    ], 30, 20);
    expect(req).toMatch(/^Question: What is 2\+2\?/);
    expect(req).toMatch(/4 independent drafts/);
    expect(req).toMatch(/at most 30 words/);
    // the two drafts answering 4 come first (2 votes), the 40-char draft is cut
    const lines = req.split('\n').filter((l) => l.startsWith('Draft '));
    expect(lines.map((l) => l.slice(0, 9))).toEqual(['Draft 1: ', 'Draft 2: ', 'Draft 3: ', 'Draft 4: ']);
    expect(lines[0]).toMatch(/2 \+ 2 = 4|The sum is 4/);
    expect(lines[1]).toMatch(/2 \+ 2 = 4|The sum is 4/);
    expect(lines[2]).toBe('Draft 3: It is 5.');
    expect(lines[3]).toBe(`Draft 4: ${'x'.repeat(20)}...`);
  });

  it('keeps the whole workspace within kappa tokens, cutting the summary from the end', () => {
    const kappa = summaryPrefix.length + 10;
    expect(summaryWorkspace('short', kappa, chars, unchars)).toBe(`${summaryPrefix}short`);
    const cut = summaryWorkspace('a summary that is much too long to fit', kappa, chars, unchars);
    expect(cut).toBe(`${summaryPrefix}a summary`);
    expect(chars(cut).length).toBeLessThanOrEqual(kappa);
    expect(summaryWorkspace('   ', kappa, chars, unchars)).toBe('');
    expect(summaryWorkspace('anything', summaryPrefix.length, chars, unchars)).toBe('');
  });
});

describe('fitted early-exit thresholds (probe file)', () => {
  const probed = { difficulty: 'easy' as const, probabilities: { easy: 0.9, normal: 0.05, hard: 0.05 }, expectedThinkingTokens: 100, source: 'probe' as const, probeTokens: 0 };
  it('a fitted threshold for the class wins over the settings; null leaves the settings value', () => {
    expect(makePlan({ difficulty: probed, effort: 'auto', strategy: 'auto', fittedExit: { easy: 0.62, normal: null, hard: null } }).earlyExitThreshold).toBe(0.62);
    expect(makePlan({ difficulty: probed, effort: 'auto', strategy: 'auto', fittedExit: { easy: null, normal: 0.5, hard: 0.5 } }).earlyExitThreshold).toBe(0.85);
    expect(makePlan({ difficulty: probed, effort: 'auto', strategy: 'auto' }).earlyExitThreshold).toBe(0.85);
  });
  it('not for a fallback difficulty (the probe did not choose the class) nor a strategy without early exit', () => {
    const fallback = { ...probed, difficulty: 'normal' as const, source: 'fallback' as const };
    expect(makePlan({ difficulty: fallback, effort: 'auto', strategy: 'auto', fittedExit: { easy: 0.6, normal: 0.6, hard: 0.6 } }).earlyExitThreshold).toBe(0.9);
    expect(makePlan({ difficulty: probed, effort: 'auto', strategy: 'budget', fittedExit: { easy: 0.6, normal: 0.6, hard: 0.6 } }).earlyExitThreshold).toBeNull();
  });
});
