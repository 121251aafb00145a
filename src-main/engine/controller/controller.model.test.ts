/**
 * The controller on the bundled model (models/reckon-arith.gguf) through the real engine process, 1 thread.
 * Assertions are about mechanics (budgets, trials, drafts, ledger sums), not accuracy, so they hold for any checkpoint.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeControllerSettings } from '../../common/controller/defaults';
import { statesResult } from '../../common/controller/earlyExit';
import { firstArithmeticSlip } from '../../common/controller/traceReading';
import { engineEventRequestId, type EngineEvent, type GenerateParams, type GenerateResult } from '../../common/engineProtocol';
import { ledgerAddsUp } from '../../common/ledger';
import { startTestEngine, type TestEngineClient, type TestEngineSession } from '../../host/testing/testEngineClient';

const bundled = resolve(__dirname, '../../../models/reckon-arith.gguf');
let session: TestEngineSession;
let engine: TestEngineClient;
let n = 0;

function gen(p: Partial<GenerateParams>): Promise<GenerateResult & { requestId: string }> {
  const requestId = `ctl-${n++}`;
  const params = {
    requestId, chatKey: requestId, modelPath: bundled, systemPrompt: '', history: [], question: 'What is 37+48?',
    maxTokens: 300, temperature: 0, thinkingBudget: null, seed: 7, ...p,
  };
  return engine.call('generate', params).then((r) => ({ ...r, requestId }));
}
const eventsOf = (id: string): EngineEvent[] => engine.events.filter((e) => engineEventRequestId(e) === id);

beforeAll(async () => {
  if (!existsSync(bundled)) throw new Error(`The bundled model is missing: ${bundled}`);
  session = await startTestEngine({ tmpPrefix: 'reckon-ctl-' });
  ({ engine } = session);
});
afterAll(() => session?.close());

describe('controller on the bundled model', () => {
  it('budget forcing closes thinking within 2 tokens of the budget and an answer follows', async () => {
    const long = await gen({ strategy: 'long', question: 'What is 4821+3977?' });
    for (const budget of [8, 20]) {
      const expected = 40;
      const r = await gen({ strategy: 'budget', effort: budget / expected, question: 'What is 4821+3977?', difficulty: { difficulty: 'normal', probabilities: null, expectedThinkingTokens: expected, source: 'fallback', probeTokens: 0 } });
      expect(r.plan?.thinkingBudget).toBe(budget);
      if (long.ledger.thinking > budget + 2) expect(r.ledger.thinking).toBeLessThanOrEqual(budget + 2);
      expect(r.ledger.thinking).toBeGreaterThanOrEqual(Math.min(budget, long.ledger.thinking - 2));
      expect(r.answer.length).toBeGreaterThan(0);
      expect(ledgerAddsUp(r.ledger)).toBe(true);
      const types = eventsOf(r.requestId).map((e) => e.type);
      expect(types.slice(0, 2)).toEqual(['difficulty', 'plan']);
      expect(types.indexOf('thought-end')).toBeLessThan(types.indexOf('answer'));
    }
  });

  it("a manifest's effort level is decoded as the system message's line, on the controller's path and on long CoT", async () => {
    const manifestEffort = {
      levels: { low: { systemLine: 'Reasoning effort: low' }, high: { systemLine: 'Reasoning effort: high' } },
      default: 'high' as const,
      thinkingShare: { low: 0.3, high: 1 },
    };
    const line = 'Reasoning effort: low'.length; // a character-level vocabulary: one token per character at least
    const difficulty = { difficulty: 'normal' as const, probabilities: null, expectedThinkingTokens: 40, source: 'fallback' as const, probeTokens: 0 };
    const bare = await gen({ strategy: 'budget', effort: 0.25, difficulty });
    const low = await gen({ strategy: 'budget', effort: 0.25, difficulty, manifestEffort });
    expect(bare.plan).toMatchObject({ effortLevel: null, thinkingBudget: 10 });
    expect(low.plan).toMatchObject({ effortLevel: 'low', effortControl: 'manifest', thinkingBudget: 10 });
    expect(low.ledger.prompt - bare.ledger.prompt).toBeGreaterThanOrEqual(line);
    const longBare = await gen({ strategy: 'long', difficulty });
    const longHigh = await gen({ strategy: 'long', difficulty, manifestEffort });
    expect(longHigh.plan).toMatchObject({ effortLevel: 'high', thinkingBudget: null });
    expect(longHigh.ledger.prompt - longBare.ledger.prompt).toBeGreaterThanOrEqual('Reasoning effort: high'.length);
  });

  it('early exit: an unreachable threshold rolls every trial back (overhead), threshold 0 commits the first trial', async () => {
    // Budgets stay inside what the API accepts (budgetFraction <= 10): 10 x 40 tokens is far above the long path.
    const base = { question: 'What is 37+48?', difficulty: { difficulty: 'easy' as const, probabilities: null, expectedThinkingTokens: 40, source: 'fallback' as const, probeTokens: 0 } };
    const long = await gen({ ...base, strategy: 'long' });
    const never = await gen({ ...base, strategy: 'early-exit', controller: mergeControllerSettings({ strategies: { easy: { earlyExitThreshold: 1, budgetFraction: 10 } }, earlyExit: { startFraction: 0 } }) });
    expect(never.earlyExit?.fired).toBe(false);
    expect(never.earlyExit?.trials).toBeGreaterThan(0);
    expect(never.ledger.overhead.trial).toBeGreaterThan(0);
    // Rolled back exactly: the accepted path is the greedy long path.
    expect(never.thinking).toBe(long.thinking);
    expect(never.answer).toBe(long.answer);
    expect(ledgerAddsUp(never.ledger)).toBe(true);
    const fire = await gen({ ...base, strategy: 'early-exit', controller: mergeControllerSettings({ strategies: { easy: { earlyExitThreshold: 0, budgetFraction: 10 } }, earlyExit: { startFraction: 0 } }) });
    expect(fire.earlyExit?.fired).toBe(true);
    expect(fire.ledger.thinking).toBeLessThan(long.ledger.thinking);
    expect(fire.answer.length).toBeGreaterThan(0);
    expect(fire.ledger.overhead.trial).toBe(0);
    expect(eventsOf(fire.requestId).some((e) => e.type === 'early-exit')).toBe(true);
  });

  it("early exit at 'result' tries only once a result line is written; at 'step' it tries mid-column", async () => {
    const base = { question: 'What is 37+48?', strategy: 'early-exit' as const, difficulty: { difficulty: 'easy' as const, probabilities: null, expectedThinkingTokens: 40, source: 'fallback' as const, probeTokens: 0 } };
    const at = (where: 'step' | 'result', threshold: number) => gen({ ...base, controller: mergeControllerSettings({ strategies: { easy: { earlyExitThreshold: threshold, budgetFraction: 10 } }, earlyExit: { startFraction: 0, at: where } }) });
    // Threshold 0 commits the first trial: where it ran is where the accepted thinking ends.
    const result = await at('result', 0);
    const step = await at('step', 0);
    expect(result.plan?.earlyExitAt).toBe('result');
    expect(result.earlyExit).toMatchObject({ fired: true, trials: 1 });
    expect(statesResult(result.thinking.trim().split('\n').at(-1)!)).not.toBeNull();
    expect(step.earlyExit).toMatchObject({ fired: true, trials: 1 });
    expect(step.earlyExit!.atThinkingTokens).toBeLessThan(result.earlyExit!.atThinkingTokens);
    expect(statesResult(step.thinking.trim().split('\n').at(-1)!)).toBeNull();
    // An unreachable threshold: fewer trials, and fewer trial tokens, at 'result'.
    const never = { result: await at('result', 1), step: await at('step', 1) };
    expect(never.result.earlyExit!.trials).toBeGreaterThan(0);
    expect(never.result.earlyExit!.trials).toBeLessThan(never.step.earlyExit!.trials);
    expect(never.result.ledger.overhead.trial).toBeLessThan(never.step.ledger.overhead.trial);
    expect(never.result.thinking).toBe(never.step.thinking);
  });

  it("early exit at 'result' runs no trial on a trace whose column does not hold: the re-check is thought out", async () => {
    // The bundled model slips a borrow on this question (2-3-0=9) and corrects it in its re-check.
    const base = { question: 'What is 62244 - 50300?', maxTokens: 400, difficulty: { difficulty: 'easy' as const, probabilities: null, expectedThinkingTokens: 100, source: 'fallback' as const, probeTokens: 0 } };
    const long = await gen({ ...base, strategy: 'long' });
    const firstPass = long.thinking.slice(0, long.thinking.indexOf('Wait'));
    expect(firstArithmeticSlip(firstPass)).not.toBeNull();
    // Threshold 0 would commit the first trial; none runs, so the accepted path is the long path.
    const held = await gen({ ...base, strategy: 'early-exit', controller: mergeControllerSettings({ strategies: { easy: { earlyExitThreshold: 0, budgetFraction: 10 } }, earlyExit: { startFraction: 0, at: 'result' } }) });
    expect(held.earlyExit ?? null).toBeNull();
    expect(held.ledger.overhead.trial).toBe(0);
    expect(held.thinking).toBe(long.thinking);
    expect(held.answer).toBe(long.answer);
    // At 'step' nothing is held: the first trial commits mid-column.
    const step = await gen({ ...base, strategy: 'early-exit', controller: mergeControllerSettings({ strategies: { easy: { earlyExitThreshold: 0, budgetFraction: 10 } }, earlyExit: { startFraction: 0, at: 'step' } }) });
    expect(step.earlyExit).toMatchObject({ fired: true, trials: 1 });
  });

  it('short-m@k with k=3, m=2 returns a voted answer and bills the other drafts as overhead', async () => {
    const r = await gen({ strategy: 'short-m@k', controller: mergeControllerSettings({ shortMK: { k: 3, m: 2 } }) });
    expect(r.drafts).toHaveLength(3);
    const winner = r.drafts!.filter((d) => d.winner);
    expect(winner).toHaveLength(1);
    expect(r.answer).toBe(winner[0]!.text);
    expect(r.drafts!.filter((d) => d.finished).length).toBeGreaterThanOrEqual(Math.min(2, r.drafts!.length));
    expect(r.ledger.overhead.draft).toBeGreaterThan(0);
    expect(ledgerAddsUp(r.ledger)).toBe(true);
    expect(eventsOf(r.requestId).filter((e) => e.type === 'draft-end')).toHaveLength(3);
  });

  it('PDR runs 2 rounds (2 drafts, then 1 on the workspace) and the ledger adds up', async () => {
    const r = await gen({ strategy: 'pdr', pdrWorkspace: 'candidates', controller: mergeControllerSettings({ pdr: { rounds: [2, 1], kappa: 64 } }) });
    expect(r.drafts?.map((d) => d.round)).toEqual([0, 0, 1]);
    expect(r.drafts?.[2]?.winner).toBe(true);
    const ws = eventsOf(r.requestId).filter((e) => e.type === 'workspace');
    expect(ws).toHaveLength(1);
    if (ws[0]?.type === 'workspace' && ws[0].tokens > 0) {
      expect(ws[0].tokens).toBeLessThanOrEqual(64);
      expect(r.ledger.overhead.distill).toBeGreaterThan(0);
    }
    expect(r.ledger.overhead.draft).toBeGreaterThan(0);
    expect(ledgerAddsUp(r.ledger)).toBe(true);
    expect(r.latencyTokens).toBeGreaterThan(0);
  });

  it('PDR with a model-written workspace: the model summarises round 1 within kappa, billed as distill and committed', async () => {
    const kappa = 48;
    const params = { strategy: 'pdr' as const, question: 'What is 4821+3977?', controller: mergeControllerSettings({ pdr: { rounds: [2, 1], kappa } }) };
    const summary = await gen({ ...params, pdrWorkspace: 'summary' });
    const candidates = await gen({ ...params, pdrWorkspace: 'candidates' });
    const ws = eventsOf(summary.requestId).filter((e) => e.type === 'workspace');
    expect(ws).toHaveLength(1);
    const w = ws[0]!;
    if (w.type !== 'workspace') throw new Error('not a workspace event');
    // The arithmetic model writes a poor summary (that is why its manifest asks for candidates), but it writes one.
    expect(w.tokens).toBeGreaterThan(0);
    expect(w.tokens).toBeLessThanOrEqual(kappa);
    expect(w.text).toMatch(/^Notes from earlier drafts: \S/);
    expect(w.text).not.toMatch(/Candidate answers/);
    // The summary pass (its prompt with the question and both drafts, and its reply) is distill overhead: far more
    // than the workspace lines the candidates mode bills.
    expect(summary.ledger.overhead.distill!).toBeGreaterThan(candidates.ledger.overhead.distill! + 30);
    expect(summary.drafts?.map((d) => d.round)).toEqual([0, 0, 1]);
    expect(ledgerAddsUp(summary.ledger)).toBe(true);
    // Every billed hidden token is in the receipt's stream, the summary pass included.
    const hiddenCount = (summary.hidden ?? []).reduce((a, s) => a + s.tokens.length, 0);
    const o = summary.ledger.overhead;
    expect(hiddenCount).toBe(summary.ledger.thinking + (o.trial ?? 0) + (o.draft ?? 0) + (o.distill ?? 0) + (o.probe ?? 0));
  });
});

describe('answer now on the bundled model', () => {
  it('closes the thought where it is: asked before the first thought, it closes at once; billed and evented', async () => {
    const question = 'What is 4821+3977?';
    const difficulty = { difficulty: 'normal' as const, probabilities: null, expectedThinkingTokens: 200, source: 'fallback' as const, probeTokens: 0 };
    const full = await gen({ strategy: 'budget', question, difficulty });
    expect(full.ledger.thinking).toBeGreaterThan(4);
    // the engine's own clock: a speed and a time to first token on every turn
    expect(full.timings!.tokensPerSecond).toBeGreaterThan(0);
    expect(full.timings!.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    expect(full.timings!.decodeMs).toBeGreaterThan(0);
    const requestId = `ctl-${n++}`;
    const running = engine.call('generate', {
      requestId, chatKey: requestId, modelPath: bundled, systemPrompt: '', history: [], question,
      maxTokens: 300, temperature: 0, thinkingBudget: null, seed: 7, strategy: 'budget', difficulty,
    });
    // The engine handles its calls in order: the request is registered before this arrives, the thought not yet open.
    expect(await engine.call('answerNow', { requestId })).toEqual({ applied: true });
    const r = await running;
    const ev = eventsOf(requestId);
    expect(ev.find((e) => e.type === 'answer-now')).toMatchObject({ atThinkingTokens: 0 });
    // <think> and the injected </think>: billed as thinking, nothing in between
    expect(r.ledger.thinking).toBe(2);
    expect(r.answer.length).toBeGreaterThan(0);
    expect(ledgerAddsUp(r.ledger)).toBe(true);
    const types = ev.map((e) => e.type);
    expect(types.indexOf('answer-now')).toBeLessThan(types.indexOf('thought-end'));
    expect(await engine.call('answerNow', { requestId })).toEqual({ applied: false });
  });
});
