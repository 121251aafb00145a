import type { EarlyExitRecord, Plan } from '$common/controller/types';

/**
 * The thinking budget bar: spent vs budget thinking tokens of a controlled turn (docs/controller.md).
 * Live, the spent count is estimated from `thought` deltas (one per decoded token, except that the host
 * holds whitespace back and sends it with the next token); `thought-end` then gives the exact count.
 */

/**
 * Tokens one `thought` delta stands for: the engine sends one delta per token, but whitespace is held back
 * and glued to the next token's text (DeltaTrimmer), so each leading whitespace character of a delta after
 * the first counts as one more token (exact for the bundled model's character vocabulary; an estimate otherwise).
 */
export function thoughtDeltaTokens(text: string, first: boolean): number {
  if (text === '') return 0;
  if (first) return 1;
  const lead = /^\s*/.exec(text)?.[0].length ?? 0;
  return lead >= text.length ? lead : 1 + lead;
}

/**
 * Thinking content tokens (what the budget counts) from the thinking count of `thought-end` / the ledger:
 * the ledger counts `<think>` and `</think>` too, the budget only what is between them.
 */
export function thinkingContentTokens(thinkingTokens: number): number {
  return Math.max(0, thinkingTokens - 2);
}

export type BudgetMarkKind = 'trials-start' | 'early-exit' | 'forced' | 'answer-now';

export interface BudgetMark {
  kind: BudgetMarkKind;
  /** Position in tokens (thinking content). */
  at: number;
  /** Position on the bar, 0..1 of the budget. */
  fraction: number;
  label: string;
}

export interface BudgetBar {
  budget: number;
  /** Thinking content tokens spent (estimated while live, exact once thinking closed). */
  spent: number;
  /** spent / budget, clamped to 0..1 (a budget of 0 reads as full). */
  fraction: number;
  /** Whether `spent` is the exact count (thinking closed) rather than the live estimate. */
  exact: boolean;
  /** How the thinking ended: still running, closed by the model, by budget forcing, or by early exit. */
  outcome: 'thinking' | 'natural' | 'forced' | 'early-exit' | 'answer-now' | 'none';
  marks: BudgetMark[];
  /** "31 / 48", the bar's readout. */
  readout: string;
  /** One sentence for the tooltip / screen readers. */
  summary: string;
}

export interface BudgetBarInput {
  plan: Plan | undefined;
  /** Live estimate (sum of thoughtDeltaTokens). */
  liveTokens?: number;
  /** Exact thinking tokens once thinking closed (thought-end / ledger), `<think>` and `</think>` included. */
  thinkingTokens?: number;
  earlyExit?: EarlyExitRecord;
  /** The user's "Answer now" closed the thinking after this many content tokens. */
  answeredNow?: { atThinkingTokens: number };
  /** True once the message is settled (done / stopped / error). */
  final: boolean;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/**
 * The bar of one message, or null when the turn has no thinking budget (no controller, strategy `long`,
 * or a class without a budget).
 */
export function budgetBar(i: BudgetBarInput): BudgetBar | null {
  const plan = i.plan;
  if (!plan || plan.thinkingBudget === null || plan.strategy === 'long') return null;
  const budget = Math.max(0, plan.thinkingBudget);
  const exact = i.thinkingTokens !== undefined;
  const raw = exact ? thinkingContentTokens(i.thinkingTokens!) : Math.max(0, Math.round(i.liveTokens ?? 0));
  const spent = Math.min(raw, budget);
  const fraction = budget === 0 ? 1 : clamp01(spent / budget);
  const marks: BudgetMark[] = [];
  const ee = i.earlyExit;
  if (plan.strategy === 'early-exit' && plan.earlyExitThreshold !== null && budget > 0 && plan.earlyExitStart < budget) {
    marks.push({ kind: 'trials-start', at: plan.earlyExitStart, fraction: clamp01(plan.earlyExitStart / budget), label: `early-exit trials from ${plan.earlyExitStart}` });
  }
  let outcome: BudgetBar['outcome'] = 'thinking';
  if (budget === 0) outcome = 'none';
  else if (ee?.fired) {
    outcome = 'early-exit';
    const at = Math.min(ee.atThinkingTokens, budget);
    marks.push({ kind: 'early-exit', at, fraction: clamp01(at / budget), label: `early exit @ ${ee.atThinkingTokens} (confidence ${ee.confidence.toFixed(2)})` });
  } else if (i.answeredNow) {
    outcome = 'answer-now';
    const at = Math.min(i.answeredNow.atThinkingTokens, budget);
    marks.push({ kind: 'answer-now', at, fraction: clamp01(at / budget), label: `answered now @ ${i.answeredNow.atThinkingTokens}` });
  } else if (exact) {
    if (spent >= budget) {
      outcome = 'forced';
      marks.push({ kind: 'forced', at: budget, fraction: 1, label: `budget forcing closed thinking at ${budget}` });
    } else outcome = 'natural';
  } else if (i.final) outcome = 'natural';

  const readout = `${spent} / ${budget}`;
  const trials = ee && !ee.fired && ee.trials > 0 ? `; ${ee.trials} early-exit ${ee.trials === 1 ? 'trial' : 'trials'} rolled back (best ${ee.confidence.toFixed(2)})` : '';
  const perDraft = plan.strategy === 'short-m@k' || plan.strategy === 'pdr' ? ' per draft (winning draft shown)' : '';
  const summary =
    outcome === 'none'
      ? `Thinking budget 0${perDraft}: answered at once`
      : `${exact ? '' : '≈'}${spent} of ${budget} thinking tokens${perDraft}` +
        (outcome === 'early-exit' ? `; early exit fired at ${ee!.atThinkingTokens} (confidence ${ee!.confidence.toFixed(2)})` : '') +
        (outcome === 'forced' ? '; budget forcing closed the thinking' : '') +
        (outcome === 'answer-now' ? `; you closed the thinking at ${i.answeredNow!.atThinkingTokens} ("Answer now"), every token so far billed` : '') +
        (outcome === 'natural' ? '; the model closed its thinking on its own' : '') +
        trials;
  return { budget, spent, fraction, exact, outcome, marks, readout, summary };
}
