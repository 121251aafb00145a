/**
 * How long an honest trace of a question runs, for a model that writes a fixed format (the bundled reckon-arith):
 * its thinking length is close to a linear function of the question's shape (digits, operations, column steps of
 * each product), fitted on honest training traces (models/audit/, realModel.ts fitLength). The auditor compares the
 * signed thinking count with that estimate from the user's side, whatever the issuer opens: an inflation larger than
 * the fitted margin fails whatever the padding looks like (docs/receipts.md "Trace length"). When the head has the
 * format's canonical trace (`canonical`), the estimate is exact: the canonical trace's own token count.
 */
import { canonicalTraceIds } from './canonicalTrace';
import { questionExpression } from './traceGrammar';

export interface TraceLengthModel {
  features: 'reckon-arith-1';
  /** Coefficients of lengthFeatures, tokens. */
  coef: number[];
  /** Honest thinking tokens exceed the estimate by at most this factor (on the training split, within its budget). */
  maxRatio: number;
  /** ... and fall short of it by at most this factor (a whole draft is at least this long). */
  minRatio: number;
  /** The traces it was fitted on, the median ratio, the budget. */
  training: Record<string, unknown>;
  /**
   * The canonical trace (canonicalTrace.ts) instead of the regression, for questions it renders: honest greedy
   * traces match it token for token unless the model slips. Absent = the regression only.
   */
  canonical?: CanonicalLengthModel;
}

export interface CanonicalLengthModel {
  format: 'reckon-arith-columns-1';
  /** Honest thinking runs at most this many tokens past the canonical trace (training split, within its budget). */
  maxOver: number;
  /** A whole honest trace is at least this share of the canonical one (it may skip the re-check): a draft's floor. */
  minRatio: number;
  /** The traces it was fitted on, how many matched exactly, the budget. */
  training: Record<string, unknown>;
}

export interface ThinkingBound {
  /** The estimated (regression) or exact (canonical) honest thinking length. */
  expected: number;
  /** Honest thinking runs at most this long, and a whole honest trace at least `floor`. */
  bound: number;
  floor: number;
  /**
   * A discarded draft's thinking runs at most this long: sampled drafts were never fitted, so they keep the
   * regression's looser margin where there is one.
   */
  draftBound: number;
  /** The canonical trace's ids, when the bound comes from it. */
  canonicalIds: number[] | null;
  how: string;
}

/**
 * How long an honest trace of a question runs: from the canonical trace when the model has one for this question
 * (`pieces`: the head's token texts), else from the regression; null when neither applies.
 */
export function thinkingBound(m: TraceLengthModel, question: string, pieces: Readonly<Record<string, string>> | undefined): ThinkingBound | null {
  const ids = m.canonical !== undefined && pieces !== undefined ? canonicalTraceIds(question, pieces) : null;
  if (ids !== null) {
    const c = m.canonical!;
    const pred = predictedThinking(m, question);
    const bound = ids.length + c.maxOver;
    return { expected: ids.length, bound, floor: Math.floor(c.minRatio * ids.length), draftBound: Math.max(bound, pred === null ? 0 : Math.ceil(m.maxRatio * pred)), canonicalIds: ids, how: `the canonical trace of this question is ${ids.length} tokens, honest slips add at most ${c.maxOver} (fitted on honest training traces)` };
  }
  const pred = predictedThinking(m, question);
  if (pred === null) return null;
  const bound = Math.ceil(m.maxRatio * pred);
  return { expected: pred, bound, floor: Math.floor(m.minRatio * pred), draftBound: bound, canonicalIds: null, how: `about ${Math.round(pred)}, margin x${m.maxRatio.toFixed(2)} fitted on honest training traces` };
}

/** [1, digits, +/- operations, '*' operations, Σ digits(a)·digits(b) over products, longest number] of the question. */
export function lengthFeatures(question: string): number[] | null {
  const q = questionExpression(question);
  if (q === null) return null;
  const nums = q.split(/[+\-*]/);
  const ops = q.replace(/\d/g, '');
  let products = 0;
  for (let i = 0; i < ops.length; i++) if (ops[i] === '*') products += nums[i]!.length * nums[i + 1]!.length;
  return [1, nums.reduce((s, n) => s + n.length, 0), [...ops].filter((c) => c !== '*').length, [...ops].filter((c) => c === '*').length, products, Math.max(...nums.map((n) => n.length))];
}

/** The estimated honest thinking length of a question (at least 16 tokens), or null outside the format. */
export function predictedThinking(m: TraceLengthModel, question: string): number | null {
  const f = lengthFeatures(question);
  if (f === null || f.length !== m.coef.length) return null;
  return Math.max(16, f.reduce((s, x, i) => s + x * m.coef[i]!, 0));
}
