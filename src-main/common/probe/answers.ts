/** Final-answer extraction and comparison for calibration (answer-key and label-free modes). */
import type { AnswerKind, CalibrationQuestion } from './types';

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** Numbers in text, in order; a minus counts only when it does not follow a digit ("5-3" is 5 and 3). */
export function numbersIn(text: string): number[] {
  const out: number[] = [];
  for (const m of text.replace(/(\d),(?=\d{3}\b)/g, '$1').matchAll(/(?<![\d.])-?\d+(?:\.\d+)?/g)) {
    const v = Number(m[0]);
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

function kindOf(q: Pick<CalibrationQuestion, 'answer' | 'kind'>): AnswerKind {
  if (q.kind !== undefined) return q.kind;
  return q.answer !== null && /^-?\d+(\.\d+)?$/.test(q.answer.trim()) ? 'number' : 'text';
}

/**
 * The comparable final answer of a model's visible answer text, normalised: for numbers the last
 * number (after the last '=' when there is one), for lists the last k numbers, for words the last
 * vocabulary word, otherwise the trimmed lower-case text. '' when nothing was found.
 */
export function extractAnswer(text: string, q: Pick<CalibrationQuestion, 'answer' | 'kind'>): string {
  const kind = kindOf(q);
  const t = text.trim();
  if (kind === 'number') {
    const tail = t.includes('=') ? t.slice(t.lastIndexOf('=')) : t;
    const nums = numbersIn(tail);
    return nums.length === 0 ? '' : String(nums[nums.length - 1]);
  }
  if (kind === 'list') {
    const k = q.answer === null ? numbersIn(t).length : numbersIn(q.answer).length;
    const nums = numbersIn(t);
    return nums.length < k || k === 0 ? '' : nums.slice(-k).join(',');
  }
  if (kind === 'word') {
    const vocab = q.answer !== null && !(WEEKDAYS as readonly string[]).includes(q.answer.toLowerCase()) ? [q.answer.toLowerCase()] : WEEKDAYS;
    const words = t.toLowerCase().match(/[a-z]+/g) ?? [];
    for (let i = words.length - 1; i >= 0; i--) if ((vocab as readonly string[]).includes(words[i] as string)) return words[i] as string;
    return '';
  }
  return t.toLowerCase().replace(/\s+/g, ' ').replace(/[.!]+$/, '').slice(0, 200);
}

/** The normalised form of an answer key, comparable with extractAnswer's output. */
export function normaliseKey(q: Pick<CalibrationQuestion, 'answer' | 'kind'>): string {
  if (q.answer === null) return '';
  return extractAnswer(q.answer, q);
}

/** Whether the model's answer text matches the question's key; null without a key. */
export function isCorrect(text: string, q: Pick<CalibrationQuestion, 'answer' | 'kind'>): boolean | null {
  if (q.answer === null) return null;
  const got = extractAnswer(text, q);
  return got !== '' && got === normaliseKey(q);
}

/** Share of samples that gave the most common non-empty answer (0 when none gave any). */
export function agreement(answers: readonly string[]): number {
  if (answers.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const a of answers) if (a !== '') counts.set(a, (counts.get(a) ?? 0) + 1);
  return Math.max(0, ...counts.values()) / answers.length;
}
