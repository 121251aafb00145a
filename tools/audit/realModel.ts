/**
 * The attack suite on the real bundled model (issue 5, part 5): honest turns are the model's own greedy traces
 * (node-llama-cpp, explicit threads), fingerprinted with the engine's own embedding reader (TokenEmbeddings:
 * token_embd.weight straight from the GGUF, as real receipts are), and the attacks are built from real traces:
 * splice = another question's trace, adaptive-similar = the trace of the same question with one digit changed.
 * Questions come from models/golden/heldout.jsonl: line index % 3 = 0 for evaluation, the rest train the audit
 * head (models/audit/), so the head never sees an evaluation question.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLlama, type Llama, type LlamaContext, type LlamaModel, type Token } from 'node-llama-cpp';
import type { AuditHead, EmbeddingTable, HiddenSegment } from '../../src-main/common/receipts';
import type { CanonicalLengthModel, TraceLengthModel, TraceRule } from '../../src-main/common/receipts';
import { judgeBlock, bagDistance, blockEmbeddingOf, canonicalTraceIds, isCompound, DEFAULT_BLOCK_SIZE, TRACE_RULES, lengthFeatures, traceViolations } from '../../src-main/common/receipts';
import { TokenEmbeddings } from '../../src-main/engine/receipts/TokenEmbeddings';
import { canonicalIds } from '../../src-main/engine/receipts/ReceiptRows';
import { ranksAfterPrompt } from '../../src-main/engine/receipts/teacherForce';
import { sha256File } from '../../src-main/engine/sha256File';
import type { AwarePadding, SuiteResult, SuiteTurn } from './attackSuite';
import { runAttackSuite } from './attackSuite';
import { seededRandom } from './synthetic';
// The host's own head lookup (beside the model: <dir>/audit/<name>.audit-head.json), so suite and app audit alike.
import { loadAuditHead } from '../../src-main/host/services/ReceiptService';

export interface HeldoutItem { question: string; answer: number; tier: string; line: number }

export function readQuestions(root: string): HeldoutItem[] {
  return readFileSync(join(root, 'models/golden/heldout.jsonl'), 'utf8').trim().split('\n')
    .map((l, line) => ({ ...(JSON.parse(l) as Omit<HeldoutItem, 'line'>), line }));
}

/** Evaluation questions (line % 3 = 0) or training questions (the rest), n per tier, in a seeded order. */
export function questionSplit(all: readonly HeldoutItem[], part: 'eval' | 'train', perTier: number, seed: number): HeldoutItem[] {
  const rnd = seededRandom(seed);
  const pool = all.filter((q) => (q.line % 3 === 0) === (part === 'eval'));
  const byTier = new Map<string, HeldoutItem[]>();
  for (const q of pool) byTier.set(q.tier, [...(byTier.get(q.tier) ?? []), q]);
  const out: HeldoutItem[] = [];
  for (const qs of byTier.values()) {
    const s = [...qs];
    for (let i = s.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [s[i], s[j]] = [s[j]!, s[i]!]; }
    out.push(...s.slice(0, perTier));
  }
  return out;
}

/** The same question with one digit of one number changed (never a leading zero). */
export function similarQuestion(q: string, rnd: () => number): string {
  const nums = [...q.matchAll(/\d+/g)];
  if (nums.length === 0) return q;
  const m = nums[Math.floor(rnd() * nums.length)]!;
  const d = m[0].split('');
  const pos = Math.floor(rnd() * d.length);
  let nd = d[pos]!;
  while (nd === d[pos] || (pos === 0 && nd === '0' && d.length > 1)) nd = String(Math.floor(rnd() * 10));
  d[pos] = nd;
  return q.slice(0, m.index) + d.join('') + q.slice(m.index! + m[0].length);
}

export interface Trace {
  question: string;
  questionTokens: number[];
  /** `<think>` .. `</think>` inclusive: what the ledger bills as thinking for a plain turn. */
  thinking: number[];
  answerTokens: number[];
  answer: string;
}

export interface RealModel {
  path: string;
  sha256: string;
  table: TokenEmbeddings;
  thinkOpen: number;
  thinkClose: number;
  trace(question: string): Promise<Trace>;
  tokenize(text: string): number[];
  /** The canonical tokenisation of the text `ids` decode to (what the host's engine answers for audits). */
  canonical(ids: readonly number[]): number[];
  /** A token's text (special tokens as written: "<think>"). */
  piece(id: number): string;
  /** A token spelled one character per token, when the vocabulary can (re-tokenisation inflation); else [id]. */
  split(id: number): number[];
  /** Teacher-forced ranks (top-`topK`) of `tokens` after the prompt trace() gives `question` (replay audit). */
  ranks(question: string, tokens: readonly number[], topK?: number): Promise<number[]>;
  dispose(): Promise<void>;
}

/** Loads a GGUF for greedy traces on the CPU with `threads` threads. */
export async function openModel(path: string, threads: number): Promise<RealModel> {
  const llama: Llama = await getLlama({ gpu: false, build: 'never', maxThreads: threads, logLevel: 'error' as never });
  const model: LlamaModel = await llama.loadModel({ modelPath: path });
  const context: LlamaContext = await model.createContext({ contextSize: 1024, sequences: 1, threads, batchSize: 512 });
  const [table, sha256] = await Promise.all([TokenEmbeddings.open(path), sha256File(path)]);
  const tok = (t: string): number[] => Array.from(model.tokenize(t, true), Number);
  const thinkOpen = tok('<think>')[0]!, thinkClose = tok('</think>')[0]!;
  const promptOf = (question: string): Token[] => model.tokenize(`<|im_start|>user\n${question}<|im_end|>\n<|im_start|>assistant\n`, true);
  return {
    path, sha256, table, thinkOpen, thinkClose,
    tokenize: (t) => Array.from(model.tokenize(t, false), Number),
    canonical: (ids) => canonicalIds(model, ids),
    piece: (id) => model.detokenize([id as Token], true),
    split(id) {
      const text = model.detokenize([id as Token], false);
      const chars = [...text].flatMap((ch) => Array.from(model.tokenize(ch, false), Number));
      return chars.length > 1 && model.detokenize(chars as Token[], false) === text ? chars : [id];
    },
    ranks: (question, tokens, topK = 1) => ranksAfterPrompt(model, threads, promptOf(question), tokens as Token[], topK),
    async trace(question) {
      const prompt = promptOf(question);
      const seq = context.getSequence();
      const gen: number[] = [];
      try {
        for await (const t of seq.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
          if (model.isEogToken(t)) break;
          gen.push(t);
          // Well past the longest honest trace and its answer (~500 tokens), inside the 1,024-token context.
          if (gen.length >= 900) break;
        }
      } finally {
        seq.dispose();
      }
      const end = gen.indexOf(thinkClose);
      const thinking = end >= 0 ? gen.slice(0, end + 1) : gen.slice(0, Math.max(1, gen.length));
      const answer = model.detokenize(gen.slice(end + 1) as Token[], false).trim();
      return { question, questionTokens: Array.from(model.tokenize(question, false), Number), thinking, answerTokens: Array.from(model.tokenize(answer, false), Number), answer };
    },
    async dispose() { await context.dispose(); await model.dispose(); await llama.dispose(); },
  };
}

/** The reasoning inside a thinking segment (tags and the newline after `<think>` dropped). */
export function reasoningOf(m: Pick<RealModel, 'thinkOpen' | 'thinkClose'>, thinking: readonly number[], newline: number): number[] {
  let a = 0, b = thinking.length;
  if (thinking[a] === m.thinkOpen) a++;
  if (thinking[a] === newline) a++;
  if (thinking[b - 1] === m.thinkClose) b--;
  return thinking.slice(a, b);
}

/**
 * Trains a head on honest traces of training questions: the support is every token they use; each threshold sits
 * a fixed margin above the most extreme honest block (residual x1.5, repetition +0.05, foreign numbers +0.5,
 * duplicate L1 x0.9 below the closest honest pair). No attack data is used, so nothing is tuned on attacks either.
 */
export function trainHead(o: { traces: readonly Trace[]; table: EmbeddingTable; sha256: string; modelName: string; tokenize: (t: string) => number[]; blockSize?: number; minBagLength?: number }): AuditHead {
  const bs = o.blockSize ?? DEFAULT_BLOCK_SIZE;
  const minBag = o.minBagLength ?? 8;
  const support = [...new Set(o.traces.flatMap((t) => t.thinking))].sort((a, b) => a - b);
  const digits = [...'0123456789'].map((c) => o.tokenize(c)[0]!);
  const head: AuditHead = {
    version: 1, modelSha256: o.sha256, modelName: o.modelName, support, numberTokens: digits,
    commonNumberTokens: [...'012'].map((c) => o.tokenize(c)[0]!),
    operatorTokens: [...'+-'].map((c) => o.tokenize(c)[0]!), compoundTokens: [o.tokenize('*')[0]!],
    thresholds: { residual: 0, repetition: 0, foreignPlain: 0, foreignCompound: 0, duplicateL1: 0, minBagLength: minBag },
    training: {},
  };
  let res = 0, rep = 0, fp = 0, fc = 0, dup = Infinity, blocks = 0;
  for (const t of o.traces) {
    const qa = [...t.questionTokens, ...t.answerTokens];
    const compound = isCompound(head, t.questionTokens);
    const js = [];
    for (let s = 0; s < t.thinking.length; s += bs) {
      const ids = t.thinking.slice(s, s + bs);
      const j = judgeBlock(head, o.table, blockEmbeddingOf(ids, o.table), ids.length, qa);
      js.push(j);
      blocks++;
      res = Math.max(res, j.residual);
      if (j.length >= minBag) rep = Math.max(rep, j.repetition);
      if (compound) fc = Math.max(fc, j.foreign); else fp = Math.max(fp, j.foreign);
    }
    const long = js.filter((j) => j.length >= minBag);
    for (const a of long) for (const b of long) if (a !== b) dup = Math.min(dup, bagDistance(a.bag, b.bag, a.length));
  }
  head.thresholds = {
    residual: res * 1.5, repetition: Math.min(0.99, rep + 0.05), foreignPlain: fp + 0.5, foreignCompound: fc + 0.5,
    duplicateL1: Number.isFinite(dup) ? dup * 0.9 : 0, minBagLength: minBag,
  };
  head.training = {
    questions: o.traces.length, blocks, split: 'models/golden/heldout.jsonl lines with index % 3 != 0',
    honestMax: { residual: res, repetition: rep, foreignPlain: fp, foreignCompound: fc, duplicateL1Min: dup },
    date: new Date().toISOString(),
  };
  return head;
}

/**
 * Fits the trace grammar (traceGrammar.ts) on honest traces of training questions: each whole trace is read as one
 * window from its first to its last token (a window sees a subset of what the whole trace shows), and rules are
 * taken, fewest honest breaks first, while the traces they flag together stay within `budget` (defaults to 0.5 %,
 * half the 1 % false-positive target). No attack data is used. The pieces are the text of every token the traces use.
 */
export function fitTrace(o: { traces: readonly Trace[]; piece: (id: number) => string; budget?: number }): NonNullable<AuditHead['trace']> {
  const ids = [...new Set(o.traces.flatMap((t) => t.thinking))].sort((a, b) => a - b);
  const pieces = Object.fromEntries(ids.map((id) => [String(id), o.piece(id)]));
  const broken: Partial<Record<TraceRule, number>> = {};
  const examples: Partial<Record<TraceRule, string>> = {};
  const brokenTraces = new Map<TraceRule, number[]>();
  const budget = o.budget ?? 0.005;
  for (const [k, t] of o.traces.entries()) {
    const text = t.thinking.map((id) => pieces[String(id)]!).join('');
    const seen = new Set<TraceRule>();
    for (const v of traceViolations({ text, atStart: true, atEnd: true, question: t.question, answer: t.answer })) {
      if (!seen.has(v.rule)) { broken[v.rule] = (broken[v.rule] ?? 0) + 1; brokenTraces.set(v.rule, [...(brokenTraces.get(v.rule) ?? []), k]); }
      seen.add(v.rule);
      examples[v.rule] ??= `${t.question} | ${v.line}`;
    }
  }
  // Rules in order of how few honest traces break them, added while the traces any of them flags stay within budget.
  const rules: TraceRule[] = [];
  const flaggedBy = new Set<number>();
  for (const r of [...TRACE_RULES].sort((a, b) => (broken[a] ?? 0) - (broken[b] ?? 0))) {
    const next = new Set([...flaggedBy, ...(brokenTraces.get(r) ?? [])]);
    if (next.size > budget * o.traces.length) continue;
    rules.push(r);
    for (const t of next) flaggedBy.add(t);
  }
  return {
    format: 'reckon-arith-columns-1', pieces, rules,
    training: {
      traces: o.traces.length, split: 'models/golden/heldout.jsonl lines with index % 3 != 0', budget, honestFlagged: flaggedBy.size,
      brokenBy: broken, examples, date: new Date().toISOString(),
    },
  };
}

/** The trace's lines, split at the check pass: [restate?, work..., So, Wait, check work..., Yes]. */
function linesOf(m: Pick<RealModel, 'piece'>, ids: readonly number[]): string[] {
  return ids.map((id) => m.piece(id)).join('').split('\n');
}

/**
 * The aware attackers of the real suite (attackSuite.ts AwarePadding), written from the decoded traces: column work
 * of other questions without any line that names them, or the turn's own check pass repeated, both inserted as
 * whole lines before the closing "Yes" line.
 */
function awarePadding(m: RealModel, turns: readonly SuiteTurn[], reasoning: readonly number[][]): AwarePadding {
  const work = (l: string): boolean => l !== '' && !/^[\d+\-*]+$/.test(l) && !l.startsWith('So ') && !l.startsWith('Yes, ') && !l.startsWith('Wait');
  const ids = (text: string): number[] => m.tokenize(text);
  const own = (t: SuiteTurn): string[] => linesOf(m, t.segments.find((x) => x.kind === 'thinking')!.tokens.filter((id) => id !== m.thinkOpen && id !== m.thinkClose));
  return {
    splice(t, rnd) {
      let k = Math.floor(rnd() * reasoning.length);
      if (turns[k] === t) k = (k + 1) % reasoning.length;
      const lines = linesOf(m, reasoning[k]!);
      const wait = lines.indexOf('Wait, let me verify.');
      return ids(`${lines.slice(0, wait < 0 ? lines.length : wait).filter(work).join('\n')}\n`);
    },
    reverify(t) {
      const lines = own(t);
      const so = lines.find((l) => l.startsWith('So ')) ?? '';
      const wait = lines.indexOf('Wait, let me verify.');
      const check = lines.slice(wait + 1).filter(work);
      return ids(`${so}\nWait, let me verify.\n${check.join('\n')}\n`);
    },
    insertAt(t) {
      const thinking = t.segments.find((x) => x.kind === 'thinking')!.tokens;
      const text = thinking.map((id) => m.piece(id));
      let at = text.length;
      // the start of the last line that begins "Yes, "
      for (let i = text.length - 1, acc = ''; i >= 0; i--) {
        acc = text[i]! + acc;
        if (acc.startsWith('Yes, ') && (i === 0 || text[i - 1]!.endsWith('\n'))) { at = i; break; }
      }
      return at;
    },
    draft(t, pad) {
      const yes = own(t).find((l) => l.startsWith('Yes, ')) ?? '';
      const q = own(t).find((l) => /^[\d+\-*]+$/.test(l)) ?? '';
      return [m.thinkOpen, ...ids(`\n${q}\n`), ...pad, ...ids(`${yes}\n`), m.thinkClose, ...ids('\n'), ...t.answerTokens];
    },
  };
}

/**
 * Fits the length model (traceLength.ts) on honest training traces: least squares of the thinking length on the
 * question's features, then the ratios actual / estimate that all but `budget` (defaults to 0.5 %) of them stay under
 * (maxRatio) and above (minRatio).
 */
export function fitLength(o: { traces: readonly Trace[]; budget?: number }): TraceLengthModel {
  const rows = o.traces.map((t) => ({ f: lengthFeatures(t.question), y: t.thinking.length })).filter((r): r is { f: number[]; y: number } => r.f !== null);
  const k = rows[0]!.f.length;
  // Normal equations (k x k, small), with a tiny ridge so an unused feature cannot make them singular.
  const a = Array.from({ length: k }, (_, i) => Array.from({ length: k + 1 }, (_, j) => (j === i ? 1e-6 : 0)));
  for (const { f, y } of rows) for (let i = 0; i < k; i++) { for (let j = 0; j < k; j++) a[i]![j]! += f[i]! * f[j]!; a[i]![k]! += f[i]! * y; }
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const m = a[r]![c]! / a[c]![c]!;
      for (let j = c; j <= k; j++) a[r]![j]! -= m * a[c]![j]!;
    }
  }
  const coef = a.map((row, i) => row[k]! / row[i]!);
  const model: TraceLengthModel = { features: 'reckon-arith-1', coef, maxRatio: 1, minRatio: 1, training: {} };
  // The same estimate as the auditor's (predictedThinking), over the features already computed.
  const sorted = rows.map((r) => r.y / Math.max(16, r.f.reduce((s, x, i) => s + x * coef[i]!, 0))).sort((x, y) => x - y);
  const budget = o.budget ?? 0.005;
  model.maxRatio = sorted[Math.min(sorted.length - 1, Math.ceil((1 - budget) * sorted.length) - 1)]!;
  model.minRatio = sorted[Math.floor(budget * sorted.length)]!;
  model.training = {
    traces: rows.length, split: 'models/golden/heldout.jsonl lines with index % 3 != 0', budget,
    medianRatio: sorted[Math.floor(sorted.length / 2)], maxRatioSeen: sorted.at(-1), date: new Date().toISOString(),
  };
  return model;
}

/**
 * Fits the canonical length bound (traceLength.ts `canonical`) on honest training traces: how many tokens past the
 * canonical trace (canonicalTrace.ts) all but `budget` (defaults to 0.5 %) of them run, and the share of it that all
 * but `budget` reach (traces that skip the re-check are shorter).
 */
export function fitCanonicalLength(o: { traces: readonly Trace[]; pieces: Readonly<Record<string, string>>; budget?: number }): CanonicalLengthModel {
  const budget = o.budget ?? 0.005;
  const rows = o.traces.flatMap((t) => {
    const c = canonicalTraceIds(t.question, o.pieces);
    return c === null ? [] : [{ n: t.thinking.length, c: c.length, exact: c.length === t.thinking.length && c.every((x, i) => x === t.thinking[i]) }];
  });
  const over = rows.map((r) => r.n - r.c).sort((a, b) => a - b);
  const ratio = rows.map((r) => r.n / r.c).sort((a, b) => a - b);
  return {
    format: 'reckon-arith-columns-1',
    maxOver: Math.max(0, over[Math.min(over.length - 1, Math.ceil((1 - budget) * over.length) - 1)]!),
    minRatio: ratio[Math.floor(budget * ratio.length)]!,
    training: {
      traces: rows.length, split: 'models/golden/heldout.jsonl lines with index % 3 != 0', budget, exact: rows.filter((r) => r.exact).length,
      longer: over.filter((x) => x > 0).length, shorter: over.filter((x) => x < 0).length, maxOverSeen: over.at(-1), minRatioSeen: ratio[0], date: new Date().toISOString(),
    },
  };
}

export interface RealSuiteOptions {
  root: string;
  modelPath: string;
  threads: number;
  /** Evaluation questions per tier (9 tiers). */
  perTier: number;
  seed: number;
  sizes?: readonly number[];
  head?: AuditHead | null;
  /** Also run the replay audit (re-execution + teacher forcing with this model) on every receipt. Defaults to true. */
  replay?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface RealSuiteResult extends SuiteResult {
  modelSha256: string;
  modelPath: string;
  seed: number;
  questions: number;
  head: { used: boolean; trainedOn?: unknown };
  ms: number;
}

/** Generates the evaluation traces and runs the attack suite on them. */
export async function runRealSuite(o: RealSuiteOptions): Promise<RealSuiteResult> {
  const t0 = performance.now();
  const m = await openModel(o.modelPath, o.threads);
  try {
    const head = o.head === null ? undefined : o.head ?? (await loadAuditHead({ path: o.modelPath, sha256: m.sha256 }));
    const qs = questionSplit(readQuestions(o.root), 'eval', o.perTier, o.seed);
    const newline = m.tokenize('\n')[0]!;
    const rnd = seededRandom(o.seed * 7919 + 1);
    const turns: SuiteTurn[] = [];
    const reasoning: number[][] = [];
    for (const [i, q] of qs.entries()) {
      const t = await m.trace(q.question);
      const sim = await m.trace(similarQuestion(q.question, rnd));
      const segments: HiddenSegment[] = [{ kind: 'thinking', tokens: t.thinking }];
      turns.push({ turnId: `turn-${i}`, question: q.question, answer: t.answer, questionTokens: t.questionTokens, answerTokens: t.answerTokens, segments, similarReasoning: reasoningOf(m, sim.thinking, newline) });
      reasoning.push(reasoningOf(m, t.thinking, newline));
      o.onProgress?.(i + 1, qs.length * 2);
    }
    const printable = [...Array(95).keys()].map((k) => m.tokenize(String.fromCharCode(32 + k))[0]!).filter((x) => x !== undefined);
    const r = await runAttackSuite({
      table: m.table, turns: turns.length, sizes: o.sizes, seed: o.seed, modelSha256: m.sha256, head,
      tokenizer: { canonical: (ids) => m.canonical(ids), split: (id) => m.split(id) },
      makeTurn: (i) => turns[i]!,
      padding: {
        otherReasoning: (turn, rr) => {
          const self = turns.indexOf(turn);
          let k = Math.floor(rr() * reasoning.length);
          if (k === self) k = (k + 1) % reasoning.length;
          return reasoning[k]!;
        },
        randomToken: (rr) => printable[Math.floor(rr() * printable.length)]!,
        repeatTokens: m.tokenize('. 0'),
        closeToken: m.thinkClose,
        aware: awarePadding(m, turns, reasoning),
      },
      ...(o.replay === false ? {} : {
        replay: {
          // The auditor re-runs the greedy trace itself (same model file, same backend) rather than reuse the suite's.
          reexecute: async (turn) => [{ kind: 'thinking', tokens: (await m.trace(turn.question!)).thinking }],
          ranks: (turn, tokens) => m.ranks(turn.question!, tokens),
          closeToken: m.thinkClose,
        },
      }),
      onTurn: (i) => o.onProgress?.(qs.length + i + 1, qs.length * 2),
    });
    return {
      ...r, modelSha256: m.sha256, modelPath: o.modelPath, seed: o.seed, questions: qs.length,
      head: { used: head !== undefined, ...(head !== undefined ? { trainedOn: head.training } : {}) },
      ms: Math.round(performance.now() - t0),
    };
  } finally {
    await m.dispose();
  }
}
