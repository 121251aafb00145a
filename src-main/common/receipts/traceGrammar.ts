/**
 * The trace grammar of a model that writes a fixed reasoning format (the bundled reckon-arith: column-by-column
 * arithmetic, docs/receipts.md "Trace grammar"). The auditor opens windows of consecutive committed thinking tokens
 * around its sampled leaves, decodes them with the head's token pieces and asks this grammar whether each window
 * could come from an honest trace of *this* question: every whole line has a known shape, the lines that name the
 * question or the answer name these ones, column steps add up, their operands are the question's digits at that
 * column, consecutive steps carry into each other, and lines follow each other in the order the format writes them.
 * Which rules are used was fitted on honest training traces (auditHead.ts `trace.rules`): the model errs now and then
 * (a misread digit, a wrong carry), so only rules that together flag at most a small share of honest training traces
 * are used. Pure; no model needed.
 */

/** The rule names, each a way an honest trace of this format never looks (on the training split). */
export const TRACE_RULES = [
  'line-shape', // a whole line of no known shape
  'question-line', // the restated question, or the "So <expr>=" line, names another question
  'answer-line', // "Yes, <n>." names neither the visible answer nor the true result (the "So" line may honestly differ: the check pass can correct it)
  'column-sum', // a column step whose sum, carry or digit is wrong
  'column-operands', // a column step of the question's own sum whose digits are not the question's at that column
  'column-chain', // consecutive column steps that do not carry into each other
  'line-order', // lines in an order the format never writes (e.g. anything after "Yes, n.")
  'segment-start', // a thinking segment that does not open with <think> and the question
  'segment-end', // a thinking segment that does not close with "Yes, <answer>." and </think>
] as const;
export type TraceRule = (typeof TRACE_RULES)[number];

/** One window of decoded consecutive thinking tokens. */
export interface TraceWindow {
  text: string;
  /** The window starts at its segment's first token / ends at its last. */
  atStart: boolean;
  atEnd: boolean;
  /** The user's question and the visible answer (as the export gives them). */
  question: string;
  answer: string;
  /**
   * The question's true result, when the auditor knows it (the canonical trace's): a "Yes" line may name it too, since
   * the model now and then slips on the visible answer after a right check.
   */
  result?: string;
  /**
   * A discarded draft: sampled, and it may lose the vote, so only its shape is judged: it opens with <think> and this
   * question, names no other question, and (at its end) has closed its thinking. Defaults to false.
   */
  draft?: boolean;
}

export interface TraceViolation {
  rule: TraceRule;
  line: string;
}

/** The question's expression without spaces ("What is 37 + 48?" -> "37+48"), or null when there is none. */
export function questionExpression(question: string): string | null {
  const runs = question.match(/\d[\d\s+\-*]*\d|\d/g);
  if (runs === null) return null;
  const best = runs.reduce((a, b) => (b.length > a.length ? b : a));
  const e = best.replace(/\s+/g, '');
  return /[+\-*]/.test(e) ? e : null;
}

/** The last number of the visible answer ("37 + 48 = 85" -> "85"). */
export function answerNumber(answer: string): string | null {
  const m = answer.match(/(-?\d+)(?!.*\d)/s);
  return m === null ? null : m[1]!;
}

const RESTATE = /^[\d+\-*]+$/;
const SO = /^So ([\d+\-*]+)=(-?\d+)\.$/;
const YES = /^Yes, (-?\d+)\.$/;
const WAIT = 'Wait, let me verify.';
const ADD = /^(\d)\+(\d)\+(\d)=(\d+) c(\d) -> (\d+)$/;
const SUB = /^(\d+)-(\d)-(\d)=(\d) b(\d) -> (\d+)$/;
const MULCOL = /^(\d)\*(\d)\+(\d+)=(\d+) c(\d+) -> (\d+)$/;
const HEADER = /^(\d+)([+\-*])(\d+):$/;
const PRODUCT = /^(\d+)\*(\d+)=(\d+)(?:\. Now ([\d+\-*]+))?$/;
const TAIL = /^(?:[cb]\d )?-> (\d+)(?:\. Now ([\d+\-*]+))?$/;
/** An inline step line of compound questions: "0+18: 0+8+0=8 c0 -> 8; 0+1+0=1 c0 -> 18. Now 18". */
const INLINE = /^(\d+)([+-])(\d+): (.+?)(?:\. Now ([\d+\-*]+))?$/;

type Kind = 'restate' | 'so' | 'wait' | 'yes' | 'column' | 'header' | 'product' | 'tail' | 'inline' | 'unknown';
interface Column { op: '+' | '-' | '*'; a: number; b: number; carryIn: number; carryOut: number; digits: string }

/** One column step: its arithmetic, or null when the line is no column step. */
function columnOf(s: string): { c: Column; ok: boolean } | null {
  let m = ADD.exec(s);
  if (m !== null) {
    const [a, b, c, sum, k] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
    return { c: { op: '+', a, b, carryIn: c, carryOut: k, digits: m[6]! }, ok: a + b + c === sum && k === Math.floor(sum / 10) && m[6]![0] === String(sum % 10) };
  }
  m = SUB.exec(s);
  if (m !== null) {
    const [x, b, br, d, k] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
    return { c: { op: '-', a: x % 10, b, carryIn: br, carryOut: k, digits: m[6]! }, ok: x - b - br === d && (k === 1) === (x >= 10) && x < 20 && m[6]![0] === String(d) };
  }
  m = MULCOL.exec(s);
  if (m !== null) {
    const [a, b, c, sum, k] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
    return { c: { op: '*', a, b, carryIn: c, carryOut: k, digits: m[6]! }, ok: a * b + c === sum && k === Math.floor(sum / 10) && m[6]![0] === String(sum % 10) };
  }
  return null;
}

/** Which kinds of line may follow which (the format's order); absent = any. The restated question opens the trace. */
const FOLLOWS: Partial<Record<Kind, readonly Kind[]>> = {
  restate: [],
  wait: ['so'],
  yes: ['column', 'tail', 'product', 'inline', 'header'],
  so: ['column', 'tail', 'product', 'inline', 'header', 'restate'],
};
/** Lines that never follow these. */
const NOTHING_AFTER: readonly Kind[] = ['yes'];

/**
 * The violations of one window, by rule. Only whole lines are judged: the window's first and last partial lines
 * (cut by the window edge) are not, unless the window starts or ends its segment.
 */
export function traceViolations(w: TraceWindow): TraceViolation[] {
  const out: TraceViolation[] = [];
  const q = questionExpression(w.question);
  const ans = answerNumber(w.answer);
  let text = w.text;
  if (w.atStart) {
    if (!text.startsWith('<think>\n') || (q !== null && !text.startsWith(`<think>\n${q}\n`) && `<think>\n${q}\n`.length <= text.length)) {
      out.push({ rule: 'segment-start', line: text.slice(0, 40) });
    }
    text = text.replace(/^<think>\n/, '\n');
  }
  if (w.draft === true) {
    // A draft's text runs on past </think> into its own answer: judge the thinking part only.
    const close = text.indexOf('</think>');
    if (w.atEnd && close < 0) out.push({ rule: 'segment-end', line: text.slice(-40) });
    if (close >= 0) text = text.slice(0, close);
    return [...out, ...lineViolations(text, q, null, true)];
  }
  if (w.atEnd) {
    const ends = ans === null ? [] : [ans, ...(w.result !== undefined ? [w.result] : [])].map((n) => `\nYes, ${n}.\n</think>`);
    if (!text.endsWith('</think>') || (ends.length > 0 && !ends.some((e) => text.endsWith(e) || e.length > text.length))) out.push({ rule: 'segment-end', line: text.slice(-40) });
    text = text.replace(/<\/think>$/, '');
  }
  return [...out, ...lineViolations(text, q, ans, false, w.result ?? null)];
}

function lineViolations(text: string, q: string | null, ans: string | null, draft: boolean, result: string | null = null): TraceViolation[] {
  const out: TraceViolation[] = [];
  const parts = text.split('\n');
  // Whole lines: between two newlines of the window (the first and last parts are cut by its edges).
  const lines = parts.slice(1, -1);
  if (draft) return lines.filter((l) => (RESTATE.test(l) && l !== q) || (SO.test(l) && SO.exec(l)![1] !== q)).map((line) => ({ rule: 'question-line', line }));
  const simple = q !== null && /^\d+[+-]\d+$/.test(q) ? q.split(/[+-]/).map((n) => [...n].reverse().map(Number)) : null;
  let prev: { kind: Kind; col: Column | null } | null = null;
  for (const line of lines) {
    let kind: Kind = 'unknown';
    let col: Column | null = null;
    if (line === '') { prev = null; continue; }
    if (RESTATE.test(line)) {
      kind = 'restate';
      if (q !== null && line !== q) out.push({ rule: 'question-line', line });
    } else if (SO.test(line)) {
      kind = 'so';
      const m = SO.exec(line)!;
      if (q !== null && m[1] !== q) out.push({ rule: 'question-line', line });
    } else if (YES.test(line)) {
      kind = 'yes';
      const yes = YES.exec(line)![1];
      if (ans !== null && yes !== ans && yes !== result) out.push({ rule: 'answer-line', line });
    } else if (line === WAIT) kind = 'wait';
    else if (HEADER.test(line)) kind = 'header';
    else if (PRODUCT.test(line)) {
      kind = 'product';
      const m = PRODUCT.exec(line)!;
      if (Number(m[1]) * Number(m[2]) !== Number(m[3])) out.push({ rule: 'column-sum', line });
    } else if (TAIL.test(line)) kind = 'tail';
    else if (INLINE.test(line)) {
      kind = 'inline';
      const m = INLINE.exec(line)!;
      let last: Column | null = null;
      for (const step of m[4]!.split('; ')) {
        const s = columnOf(step);
        if (s === null) { if (!TAIL.test(step)) out.push({ rule: 'line-shape', line }); last = null; continue; }
        if (!s.ok) out.push({ rule: 'column-sum', line });
        if (last !== null && (s.c.carryIn !== last.carryOut || s.c.digits.slice(1) !== last.digits)) out.push({ rule: 'column-chain', line });
        last = s.c;
      }
    } else {
      const s = columnOf(line);
      if (s !== null) {
        kind = 'column';
        col = s.c;
        if (!s.ok) out.push({ rule: 'column-sum', line });
        // A plain sum or difference has no header: its columns are the question's digits, right to left.
        if (simple !== null && col.op !== '*') {
          const i = col.digits.length - 1;
          if (col.a !== (simple[0]![i] ?? 0) || col.b !== (simple[1]![i] ?? 0)) out.push({ rule: 'column-operands', line });
        }
        // A column continues the one before it; a first column (one digit) follows a header, never another column.
        if (prev?.col != null && (col.digits.length === 1 || (prev.col.op === col.op && (col.carryIn !== prev.col.carryOut || col.digits.slice(1) !== prev.col.digits)))) {
          out.push({ rule: 'column-chain', line });
        }
      } else out.push({ rule: 'line-shape', line });
    }
    if (prev !== null) {
      const allowed = FOLLOWS[kind];
      if ((allowed !== undefined && !allowed.includes(prev.kind)) || NOTHING_AFTER.includes(prev.kind)) out.push({ rule: 'line-order', line });
    }
    prev = { kind, col };
  }
  return out;
}
