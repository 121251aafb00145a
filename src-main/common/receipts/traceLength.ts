/**
 * How long an honest trace of a question runs, for a model that writes a fixed format (the bundled reckon-arith):
 * its thinking length is close to a linear function of the question's shape (digits, operations, column steps of
 * each product), fitted on honest training traces (models/audit/, realModel.ts fitLength). The auditor compares the
 * signed thinking count with that estimate from the user's side, whatever the issuer opens: an inflation larger than
 * the fitted margin fails whatever the padding looks like (docs/receipts.md "Trace length").
 */
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
