/**
 * The attack suite: honest turns against inflated and forged receipts (issue 5, part 5). Every attack here is a
 * dishonest provider that holds the real signing key and the real embedding table and answers challenges as
 * well as it can; only forgeries lack the key.
 */
import type { AuditHead, AuditOptions, AuditResponse, AuditThresholds, EmbeddingSpec, EmbeddingTable, HiddenSegment, Receipt, ReceiptProvider, SecurityParameter } from '../../src-main/common/receipts';
import { ReceiptIssuer, auditReceipt, fingerprintSegments, generateReceiptKeyPair, makeEmbeddingSpec } from '../../src-main/common/receipts';
import type { ArithmeticProblem } from './synthetic';
import { honestTurn, randomProblem, seededRandom, similarProblem, tokenize, traceText } from './synthetic';

/** One honest turn of the suite: what the auditor holds (question, answer) and what the provider committed. */
export interface SuiteTurn {
  turnId: string;
  questionTokens: number[];
  answerTokens: number[];
  /** The honest hidden segments (thinking last). */
  segments: HiddenSegment[];
  /** Synthetic turns: the problem, for splice and similar padding made from the synthetic trace generator. */
  problem?: ArithmeticProblem;
  /** Real turns: the reasoning of a similar but different question (adaptive-similar padding). */
  similarReasoning?: number[];
}
type HonestTurn = SuiteTurn;

/** Where real-model padding comes from (otherwise the synthetic generator). */
export interface PaddingSources {
  /** Reasoning of another question (splice). */
  otherReasoning: (turn: SuiteTurn, rnd: () => number) => number[];
  /** A random token for filler-random. */
  randomToken: (rnd: () => number) => number;
  /** Tokens filler-repeat picks its one token from. */
  repeatTokens: readonly number[];
  /**
   * Token that closes the thinking segment (`</think>`): padding put into the thinking goes before it, as a
   * careful provider would do, so the last leaf still looks right.
   */
  closeToken?: number;
}

export const INFLATION_SIZES = [0.05, 0.1, 0.25, 0.5] as const;

export const ATTACKS = [
  'count-only', // counts and tree size raised with no tokens behind them
  'duplicate-blocks', // existing blocks copied verbatim
  'splice', // reasoning from another question's trace
  'filler-repeat', // one token repeated
  'filler-random', // random tokens
  'adaptive-similar', // plausible reasoning for a similar but different question
  'adaptive-paraphrase', // duplicated blocks with a few tokens changed
] as const;
export type Attack = (typeof ATTACKS)[number];

export const FORGERIES = ['tampered-root', 'edited-counts', 'spliced-proofs', 'wrong-key'] as const;
export type Forgery = (typeof FORGERIES)[number];

/** Padding tokens for an attack: about `inflation` × the honest hidden count. */
export function paddingFor(attack: Exclude<Attack, 'count-only'>, turn: HonestTurn, inflation: number, rnd: () => number, blockSize: number, sources?: PaddingSources): number[] {
  const honest = turn.segments.flatMap((s) => s.tokens);
  const want = Math.max(1, Math.round(inflation * honest.length));
  const thinking = turn.segments.find((s) => s.kind === 'thinking')!.tokens;
  const out: number[] = [];
  const fill = (src: () => number[]): void => { while (out.length < want) out.push(...src()); };
  switch (attack) {
    case 'duplicate-blocks': {
      // copy whole blocks of the thinking segment, block-aligned, so they fingerprint identically
      const blocks = Math.ceil(thinking.length / blockSize);
      fill(() => { const b = Math.floor(rnd() * Math.max(1, blocks - 1)); return thinking.slice(b * blockSize, (b + 1) * blockSize); });
      break;
    }
    case 'adaptive-paraphrase': {
      const blocks = Math.ceil(thinking.length / blockSize);
      fill(() => {
        const b = Math.floor(rnd() * Math.max(1, blocks - 1));
        const copy = thinking.slice(b * blockSize, (b + 1) * blockSize);
        for (let k = 0; k < 3; k++) copy[Math.floor(rnd() * copy.length)] = copy[Math.floor(rnd() * copy.length)]!;
        return copy;
      });
      break;
    }
    case 'splice':
      fill(() => sources !== undefined ? sources.otherReasoning(turn, rnd) : tokenize(traceText(randomProblem(rnd))));
      break;
    case 'adaptive-similar':
      fill(() => turn.similarReasoning ?? tokenize(traceText(similarProblem(turn.problem!, rnd))));
      break;
    case 'filler-repeat': {
      const from = sources?.repeatTokens ?? tokenize('. ');
      const t = from[Math.floor(rnd() * from.length)]!;
      fill(() => [t]);
      break;
    }
    case 'filler-random':
      fill(() => [sources !== undefined ? sources.randomToken(rnd) : 7 + Math.floor(rnd() * 95)]);
      break;
  }
  // Whole blocks for the block-aligned attacks; the others are cut to size.
  return attack === 'duplicate-blocks' || attack === 'adaptive-paraphrase' ? out : out.slice(0, want);
}

export interface SuiteOptions {
  table: EmbeddingTable;
  /** Honest turns to run. Defaults to 20. */
  turns?: number;
  /** Inflation sizes. Defaults to INFLATION_SIZES. */
  sizes?: readonly number[];
  /** Audits per (turn, attack, size): fresh random challenges. Defaults to 1. */
  trials?: number;
  seed?: number;
  security?: Partial<SecurityParameter>;
  thresholds?: Partial<AuditThresholds>;
  blockSize?: number;
  /** Honest turn generator; defaults to synthetic arithmetic (3 terms of 5 digits). */
  makeTurn?: (i: number, rnd: () => number) => HonestTurn | Promise<HonestTurn>;
  /** Real-model padding (otherwise synthetic). */
  padding?: PaddingSources;
  /** sha256 the receipts name (the real model's); defaults to a placeholder for synthetic tables. */
  modelSha256?: string;
  /** The model's audit head (bag-of-tokens checks). */
  head?: AuditHead;
  /** Called after each honest turn with its index. */
  onTurn?: (i: number) => void;
}

export interface SuiteResult {
  sampleSize: number;
  turns: number;
  honest: { audits: number; falsePositives: number; rate: number; failedChecks: Record<string, number> };
  /** detection[attack][size] = detected / audits. */
  detection: Record<string, Record<string, number>>;
  /** The same split by where the padding went: extra thinking, or a claimed discarded draft. */
  detectionByPlacement: Record<'thinking' | 'draft', Record<string, Record<string, number>>>;
  forgeries: Record<Forgery, { audits: number; rejected: number }>;
  /** Mean detection over the attacks at inflation >= 10 %. */
  meanDetectionAt10Plus: number;
}

const MODEL = 'ab'.repeat(32);

/** Runs the suite; pure apart from WebCrypto. */
export async function runAttackSuite(o: SuiteOptions): Promise<SuiteResult> {
  const rnd = seededRandom(o.seed ?? 1);
  const turns = o.turns ?? 20;
  const sizes = o.sizes ?? INFLATION_SIZES;
  const trials = o.trials ?? 1;
  const model = o.modelSha256 ?? MODEL;
  const spec: EmbeddingSpec = makeEmbeddingSpec({ modelSha256: model, dims: o.table.dims, vocabSize: o.table.vocabSize, blockSize: o.blockSize });
  const keys = await generateReceiptKeyPair();
  const otherKeys = await generateReceiptKeyPair();
  const issuer = new ReceiptIssuer(keys);
  const publicKey = await issuer.publicKey();
  const makeTurn = o.makeTurn ?? ((i: number, r: () => number) => honestTurn(`turn-${i}`, randomProblem(r)));

  const audit = (t: HonestTurn, receipt: unknown, respond: AuditOptions['respond']) => auditReceipt({
    receipt, respond, table: o.table, questionTokens: t.questionTokens, answerTokens: t.answerTokens,
    modelSha256: model, trustedPublicKey: publicKey, security: o.security, thresholds: o.thresholds, head: o.head,
  });

  const result: SuiteResult = {
    sampleSize: 0,
    turns,
    honest: { audits: 0, falsePositives: 0, rate: 0, failedChecks: {} },
    detection: {},
    detectionByPlacement: { thinking: {}, draft: {} },
    forgeries: { 'tampered-root': { audits: 0, rejected: 0 }, 'edited-counts': { audits: 0, rejected: 0 }, 'spliced-proofs': { audits: 0, rejected: 0 }, 'wrong-key': { audits: 0, rejected: 0 } },
    meanDetectionAt10Plus: 0,
  };
  const hits: Record<string, Record<string, [number, number]>> = {};
  const placed: Record<'thinking' | 'draft', Record<string, Record<string, [number, number]>>> = { thinking: {}, draft: {} };
  const tally = (a: string, s: number, detected: boolean, where?: 'thinking' | 'draft'): void => {
    for (const h of where === undefined ? [hits] : [hits, placed[where]]) {
      const cell = ((h[a] ??= {})[String(s)] ??= [0, 0]);
      cell[0] += detected ? 1 : 0; cell[1]++;
    }
  };

  let previous: { receipt: Receipt; provider: ReceiptProvider } | null = null;
  for (let i = 0; i < turns; i++) {
    const turn = await makeTurn(i, rnd);
    const honest = await issuer.issue({ turnId: turn.turnId, spec, segments: turn.segments, table: o.table });
    const respond = (c: Parameters<ReceiptProvider['respond']>[0]): AuditResponse => honest.provider.respond(c);
    for (let k = 0; k < trials; k++) {
      const v = await audit(turn, honest.receipt, respond);
      result.sampleSize = v.sampleSize;
      result.honest.audits++;
      if (!v.ok) {
        result.honest.falsePositives++;
        for (const c of v.checks) if (!c.passed) result.honest.failedChecks[c.name] = (result.honest.failedChecks[c.name] ?? 0) + 1;
      }
    }

    for (const size of sizes) {
      for (const attack of ATTACKS) {
        for (let k = 0; k < trials; k++) {
          if (attack === 'count-only') {
            const extra = Math.max(1, Math.round(size * honest.receipt.treeSize));
            const fp = fingerprintSegments(spec, turn.segments, o.table);
            // (a) counts raised but tree size honest; (b) both raised over the same leaves, answered as well as possible
            const a = await issuer.issueFromFingerprints({ turnId: turn.turnId, spec, fingerprints: fp, counts: { ...fp.counts, thinking: fp.counts.thinking + extra, hidden: fp.counts.hidden + extra } });
            const va = await audit(turn, a.receipt, (c) => a.provider.respond(c));
            const b = await issuer.issueFromFingerprints({ turnId: turn.turnId, spec, fingerprints: fp, counts: { ...fp.counts, thinking: fp.counts.thinking + extra, hidden: fp.counts.hidden + extra }, treeSize: fp.counts.hidden + extra });
            const vb = await audit(turn, b.receipt, (c) => b.provider.respond(c));
            tally(attack, size, !va.ok && !vb.ok);
            continue;
          }
          const pad = paddingFor(attack, turn, size, rnd, spec.blockSize, o.padding);
          // Padding goes in as extra thinking (before the closing tag when there is one) or as a claimed discarded draft.
          const asDraft = rnd() < 0.5;
          const close = o.padding?.closeToken;
          const into = (tokens: readonly number[]): number[] => close !== undefined && tokens[tokens.length - 1] === close
            ? [...tokens.slice(0, -1), ...pad, close] : [...tokens, ...pad];
          const segs: HiddenSegment[] = asDraft
            ? [...turn.segments, { kind: 'draft', tokens: pad }]
            : turn.segments.map((s) => (s.kind === 'thinking' ? { kind: s.kind, tokens: into(s.tokens) } : s));
          if (attack === 'duplicate-blocks' || attack === 'adaptive-paraphrase') {
            // block-aligned: a separate segment, so every copied block fingerprints exactly as a whole block
            segs.splice(0, segs.length, ...turn.segments, { kind: asDraft ? 'draft' : 'thinking', tokens: pad });
          }
          const att = await issuer.issue({ turnId: turn.turnId, spec, segments: segs, table: o.table });
          const v = await audit(turn, att.receipt, (c) => att.provider.respond(c));
          tally(attack, size, !v.ok, asDraft ? 'draft' : 'thinking');
        }
      }
    }

    // Forgeries: each must be rejected every time.
    const forged: Record<Forgery, { receipt: unknown; respond: AuditOptions['respond'] }> = {
      'tampered-root': { receipt: { ...honest.receipt, root: flipHex(honest.receipt.root) }, respond },
      'edited-counts': { receipt: { ...honest.receipt, counts: { ...honest.receipt.counts, thinking: honest.receipt.counts.thinking + 10, hidden: honest.receipt.counts.hidden + 10 }, treeSize: honest.receipt.treeSize + 10 }, respond },
      'spliced-proofs': {
        receipt: honest.receipt,
        respond: (c) => {
          const r = respond(c);
          if (previous === null) return { ...r, openings: r.openings.map((x, j) => ({ ...x, proof: r.openings[(j + 1) % r.openings.length]!.proof })) };
          const prevProvider = previous.provider;
          const other = prevProvider.respond({ ...c, turnId: previous.receipt.turnId, root: previous.receipt.root, indices: c.indices.filter((x) => x < previous!.receipt.treeSize) });
          return { ...r, openings: r.openings.map((x, j) => ({ ...x, proof: other.openings[j]?.proof ?? x.proof.slice(1) })) };
        },
      },
      'wrong-key': { receipt: (await new ReceiptIssuer(otherKeys).issue({ turnId: turn.turnId, spec, segments: turn.segments, table: o.table })).receipt, respond },
    };
    for (const f of FORGERIES) {
      const v = await audit(turn, forged[f].receipt, forged[f].respond);
      result.forgeries[f].audits++;
      if (!v.ok) result.forgeries[f].rejected++;
    }
    previous = { receipt: honest.receipt, provider: honest.provider };
    o.onTurn?.(i);
  }

  result.honest.rate = result.honest.falsePositives / Math.max(1, result.honest.audits);
  let sum = 0, cells = 0;
  for (const [a, bySize] of Object.entries(hits)) {
    result.detection[a] = {};
    for (const [s, [d, n]] of Object.entries(bySize)) {
      result.detection[a]![s] = d / n;
      if (Number(s) >= 0.1) { sum += d / n; cells++; }
    }
  }
  result.meanDetectionAt10Plus = cells === 0 ? 0 : sum / cells;
  for (const where of ['thinking', 'draft'] as const) {
    for (const [a, bySize] of Object.entries(placed[where])) {
      result.detectionByPlacement[where][a] = Object.fromEntries(Object.entries(bySize).map(([s, [d, n]]) => [s, d / n]));
    }
  }
  return result;
}

function flipHex(h: string): string {
  return (h[0] === '0' ? '1' : '0') + h.slice(1);
}

/** A plain-text table of a suite result (for docs/eval and the CLI). */
export function formatSuiteTable(r: SuiteResult): string {
  const sizes = Object.keys(Object.values(r.detection)[0] ?? {});
  const lines = [`sample size ${r.sampleSize}; honest turns ${r.honest.audits}, false positives ${r.honest.falsePositives} (${(100 * r.honest.rate).toFixed(1)} %)`];
  lines.push(`| attack | ${sizes.map((s) => `${Math.round(Number(s) * 100)} %`).join(' | ')} |`);
  lines.push(`|---|${sizes.map(() => '---').join('|')}|`);
  for (const [a, bySize] of Object.entries(r.detection)) lines.push(`| ${a} | ${sizes.map((s) => `${Math.round(100 * bySize[s]!)} %`).join(' | ')} |`);
  lines.push(`mean detection at >= 10 %: ${(100 * r.meanDetectionAt10Plus).toFixed(1)} %`);
  for (const [f, x] of Object.entries(r.forgeries)) lines.push(`forgery ${f}: rejected ${x.rejected}/${x.audits}`);
  return lines.join('\n');
}
