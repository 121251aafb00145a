/**
 * The canonical trace of the bundled model's format (reckon-arith v1, models/recipe/datagen.py `full_trace` with the
 * re-check): the column-by-column work is fully determined by the question, so the auditor can render the trace an
 * honest greedy turn writes and count its tokens exactly (docs/receipts.md "Trace length"). Pure; no model needed.
 */
import { questionExpression } from './traceGrammar';

function addLines(a: bigint, b: bigint): { lines: string[]; result: bigint } {
  const n = Math.max(String(a).length, String(b).length);
  const sa = String(a).padStart(n, '0'), sb = String(b).padStart(n, '0');
  let carry = 0, digits = '';
  const lines: string[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const x = Number(sa[i]), y = Number(sb[i]), s = x + y + carry;
    digits = String(s % 10) + digits;
    lines.push(`${x}+${y}+${carry}=${s} c${Math.floor(s / 10)} -> ${digits}`);
    carry = Math.floor(s / 10);
  }
  if (carry > 0) lines.push(`c1 -> 1${digits}`);
  return { lines, result: a + b };
}

function subLines(a: bigint, b: bigint): { lines: string[]; result: bigint } {
  const sa = String(a), sb = String(b).padStart(sa.length, '0');
  let borrow = 0, digits = '';
  const lines: string[] = [];
  for (let i = sa.length - 1; i >= 0; i--) {
    const x = Number(sa[i]), y = Number(sb[i]), d = x - y - borrow;
    if (d < 0) {
      lines.push(`${x + 10}-${y}-${borrow}=${d + 10} b1 -> ${String(d + 10) + digits}`);
      digits = String(d + 10) + digits; borrow = 1;
    } else {
      lines.push(`${x}-${y}-${borrow}=${d} b0 -> ${String(d) + digits}`);
      digits = String(d) + digits; borrow = 0;
    }
  }
  const stripped = digits.replace(/^0+/, '') || '0';
  if (stripped !== digits) lines.push(`-> ${stripped}`);
  return { lines, result: a - b };
}

function mul1Lines(a: bigint, d: number): { lines: string[]; result: bigint } {
  if (a < 10n) return { lines: [`${a}*${d}=${a * BigInt(d)}`], result: a * BigInt(d) };
  const sa = String(a);
  let carry = 0, digits = '';
  const lines: string[] = [];
  for (let i = sa.length - 1; i >= 0; i--) {
    const p = Number(sa[i]) * d + carry;
    digits = String(p % 10) + digits;
    lines.push(`${sa[i]}*${d}+${carry}=${p} c${Math.floor(p / 10)} -> ${digits}`);
    carry = Math.floor(p / 10);
  }
  if (carry > 0) { digits = String(carry) + digits; lines.push(`c${carry} -> ${digits}`); }
  return { lines, result: a * BigInt(d) };
}

/** a * b for b below 100 (the format's products); null beyond it. */
function mulLines(a: bigint, b: bigint): { lines: string[]; result: bigint } | null {
  if (b < 10n) return mul1Lines(a, Number(b));
  if (b >= 100n) return null;
  const ones = Number(b % 10n), tens = Number(b / 10n);
  const l1 = mul1Lines(a, ones), l2 = mul1Lines(a, tens);
  const la = addLines(l1.result, l2.result * 10n);
  return { lines: [`${a}*${ones}:`, ...l1.lines, `${a}*${tens}:`, ...l2.lines, `${l2.result}*10=${l2.result * 10n}`, `${l1.result}+${l2.result * 10n}:`, ...la.lines], result: la.result };
}

function opLines(a: bigint, op: string, b: bigint): { lines: string[]; result: bigint } | null {
  if (op === '+') return addLines(a, b);
  if (op === '-') return a < b ? null : subLines(a, b);
  return mulLines(a, b);
}

const expr = (nums: readonly bigint[], ops: readonly string[]): string => nums.map((n, i) => `${n}${ops[i] ?? ''}`).join('');

/**
 * The canonical thinking text of a question, "<think>\n" .. "\n</think>" (restated question, column work, "So", the
 * re-check, "Yes"), or null when the question is outside the format (no expression, a negative intermediate, a
 * product by 100 or more).
 */
export function canonicalTraceText(question: string): string | null {
  const q = questionExpression(question);
  if (q === null || !/^\d+([+\-*]\d+)+$/.test(q)) return null;
  const nums = q.split(/[+\-*]/).map((x) => BigInt(x));
  const ops = q.replace(/\d/g, '').split('');
  const canonical = expr(nums, ops);
  let work: string[];
  let again: string[];
  let result: bigint;
  if (ops.length === 1) {
    const r = opLines(nums[0]!, ops[0]!, nums[1]!);
    if (r === null) return null;
    work = r.lines; again = r.lines; result = r.result;
  } else {
    // One operation per line: every '*' first (left to right), then + and - left to right.
    const ns = [...nums], os = [...ops];
    work = [];
    while (os.length > 0) {
      const i = os.includes('*') ? os.indexOf('*') : 0;
      const a = ns[i]!, op = os[i]!, b = ns[i + 1]!;
      const r = opLines(a, op, b);
      if (r === null) return null;
      ns.splice(i, 2, r.result);
      os.splice(i, 1);
      const rest = os.length > 0 ? expr(ns, os) : String(r.result);
      const one = r.lines.length === 1 && r.lines[0]!.includes('=') && !r.lines[0]!.includes(' c');
      work.push(one ? `${r.lines[0]}. Now ${rest}` : `${a}${op}${b}: ${r.lines.join('; ')}. Now ${rest}`);
    }
    again = work.slice(-1); result = ns[0]!;
  }
  const lines = [canonical, ...work, `So ${canonical}=${result}.`, 'Wait, let me verify.', ...again, `Yes, ${result}.`];
  return `<think>\n${lines.join('\n')}\n</think>`;
}

/**
 * The canonical trace as token ids, for a model whose reasoning tokens are single characters plus the think tags
 * (`pieces`: token id -> text, the head's). Null when the question is outside the format or a character has no token.
 */
export function canonicalTraceIds(question: string, pieces: Readonly<Record<string, string>>): number[] | null {
  const text = canonicalTraceText(question);
  if (text === null) return null;
  const byText = new Map<string, number>();
  for (const [id, p] of Object.entries(pieces)) if (!byText.has(p)) byText.set(p, Number(id));
  const open = byText.get('<think>'), close = byText.get('</think>');
  if (open === undefined || close === undefined) return null;
  const ids: number[] = [open];
  for (const ch of text.slice('<think>'.length, -'</think>'.length)) {
    const id = byText.get(ch);
    if (id === undefined) return null;
    ids.push(id);
  }
  ids.push(close);
  return ids;
}

/** The question's true result as the canonical trace's "Yes" line names it, or null outside the format. */
export function canonicalResult(question: string): string | null {
  const t = canonicalTraceText(question);
  return t === null ? null : /\nYes, (\d+)\.\n<\/think>$/.exec(t)![1]!;
}
