/** Voting and distillation over parallel drafts (short-m@k, PDR). Pure. */

/**
 * The comparable answer of an answer text: the last number after the last '=' (or in the whole text when
 * there is no '='); otherwise the normalised text. '' when the text is empty.
 */
export function answerKey(text: string): string {
  const t = text.trim();
  if (t === '') return '';
  const tail = t.includes('=') ? t.slice(t.lastIndexOf('=') + 1) : t;
  const nums = tail.replace(/(\d),(?=\d{3}\b)/g, '$1').match(/(?<![\d.])-?\d+(?:\.\d+)?/g);
  if (nums !== null && nums.length > 0) return String(Number(nums[nums.length - 1]));
  return t.toLowerCase().replace(/\s+/g, ' ').replace(/[.!]+$/, '').slice(0, 200);
}

export interface Candidate {
  /** answerKey of the draft ('' = no answer; never wins while another has one). */
  answer: string;
  /** Mean token probability of the draft's answer tokens, 0..1. */
  confidence: number;
}

export interface RankedAnswer {
  answer: string;
  votes: number;
  /** Mean confidence of the drafts that gave it. */
  confidence: number;
  /** Indices (into the input) of the drafts that gave it, in input order. */
  drafts: number[];
}

/** Candidate answers ranked by votes, then mean confidence, then first appearance. Empty answers are left out. */
export function rankAnswers(cands: readonly Candidate[]): RankedAnswer[] {
  const by = new Map<string, RankedAnswer>();
  cands.forEach((c, i) => {
    if (c.answer === '') return;
    const r = by.get(c.answer) ?? { answer: c.answer, votes: 0, confidence: 0, drafts: [] };
    r.confidence = (r.confidence * r.votes + c.confidence) / (r.votes + 1);
    r.votes++;
    r.drafts.push(i);
    by.set(c.answer, r);
  });
  return [...by.values()].sort((a, b) => b.votes - a.votes || b.confidence - a.confidence || a.drafts[0]! - b.drafts[0]!);
}

/** Majority vote: the index of the winning draft (the first draft with the top answer), or the first draft when none answered. */
export function vote(cands: readonly Candidate[]): { index: number; ranked: RankedAnswer[] } {
  const ranked = rankAnswers(cands);
  return { index: ranked[0]?.drafts[0] ?? 0, ranked };
}

/** The workspace line the bundled model was trained with (appended to the user question). */
export const workspacePrefix = '\nCandidate answers from earlier drafts: ';

/**
 * Distils drafts into a workspace of at most `kappa` tokens: their answers ranked by votes and confidence,
 * each repeated as often as it was voted (the line the bundled model was trained with, e.g.
 * `\nCandidate answers from earlier drafts: 85, 85, 84`), trimmed from the end until it fits.
 * `countTokens` measures a candidate line (the engine passes the model's tokenizer). '' when nothing fits.
 */
export function distillWorkspace(cands: readonly Candidate[], kappa: number, countTokens: (text: string) => number): string {
  return workspaceLines(cands).find((line) => countTokens(line) <= kappa) ?? '';
}

/**
 * distillWorkspace's candidate lines, longest first (every voted answer, then one fewer from the end, ...): an
 * engine whose tokenizer is asynchronous (a remote server) measures them itself and takes the first that fits.
 */
export function workspaceLines(cands: readonly Candidate[]): string[] {
  const list: string[] = [];
  for (const r of rankAnswers(cands)) for (let i = 0; i < r.votes; i++) list.push(r.answer);
  const lines: string[] = [];
  for (let n = list.length; n > 0; n--) lines.push(workspacePrefix + list.slice(0, n).join(', '));
  return lines;
}

/** What precedes a model-written summary in the next round's question (general models). */
export const summaryPrefix = '\nNotes from earlier drafts: ';

/**
 * The request that asks a general model to distil a PDR round (PDR's "distill" step, written by the model): the
 * question and each draft's answer, cut to `perDraftChars`, most-voted first; the model is asked for at most
 * `words` words. The engine sends it as a user turn with thinking closed at once and at most kappa tokens.
 */
export function summaryRequest(question: string, drafts: readonly { text: string; answer: string; confidence: number }[], words: number, perDraftChars = 400): string {
  const ranked = rankAnswers(drafts.map((d) => ({ answer: d.answer, confidence: d.confidence })));
  const order = ranked.flatMap((r) => r.drafts);
  const lines = order.map((i, n) => {
    const t = drafts[i]!.text.trim().replace(/\s+/g, ' ');
    return `Draft ${n + 1}: ${t === '' ? '(no answer)' : t.length > perDraftChars ? `${t.slice(0, perDraftChars)}...` : t}`;
  });
  return `Question: ${question.trim()}\n\n${drafts.length} independent drafts answered:\n${lines.join('\n')}\n\n` +
    `In at most ${words} words, summarise what the drafts found: the best-supported answer and the key steps, ` +
    'and where they disagree. Do not answer anything else.';
}

/**
 * The next round's workspace from a model-written summary: `summaryPrefix` + the summary, cut (by tokens, from the
 * end) so the whole workspace is at most `kappa` tokens; '' when the summary is empty or nothing fits.
 */
export function summaryWorkspace(summary: string, kappa: number, tokenize: (text: string) => readonly number[], detokenize: (tokens: readonly number[]) => string): string {
  const text = summary.trim();
  if (text === '') return '';
  const room = kappa - tokenize(summaryPrefix).length;
  if (room <= 0) return '';
  const ids = tokenize(text);
  for (let keep = Math.min(ids.length, room); keep > 0; keep--) {
    const line = summaryPrefix + (keep === ids.length ? text : detokenize(ids.slice(0, keep)).trimEnd());
    if (tokenize(line).length <= kappa) return line;
  }
  return '';
}
