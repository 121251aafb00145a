/**
 * The attack suite: honest turns against inflated and forged receipts (issue 5, part 5). Every attack here is a
 * dishonest provider that holds the real signing key and the real embedding table and answers challenges as
 * well as it can; only forgeries lack the key.
 */
import type { AuditHead, AuditOptions, CanonicalTokenizer, ReceiptBinding, AuditResponse, AuditThresholds, EmbeddingSpec, EmbeddingTable, HiddenSegment, Receipt, ReceiptProvider, ReceiptStore, ReplayOutcome, SecurityParameter } from '../../src-main/common/receipts';
import {
  ReceiptIssuer, auditReceipt, committedSegments, countDifferences, decideReplay, divergenceOf, fingerprintSegments, generateReceiptKeyPair,
  bindingProblems, makeEmbeddingSpec, rootOfLeaves, storeMatchesRoot, verifyReceipt,
} from '../../src-main/common/receipts';
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
  /** Real turns: the question text the model was asked (what a replay re-executes). */
  question?: string;
  /** Real turns: the visible answer text. */
  answer?: string;
}

/**
 * The model side of the replay audit (docs/receipts.md "Replay audit"), for SuiteOptions.replay: the auditor holds
 * the same model file, re-executes the committed plan and teacher-forces the committed thinking tokens.
 */
export interface SuiteReplay {
  /** Re-executes the turn (greedy, as its signed plan says): the hidden segments the model produces. */
  reexecute(turn: SuiteTurn): Promise<HiddenSegment[]>;
  /** Teacher-forced greedy ranks of the committed thinking tokens after the turn's prompt (0 = top choice, -1 = not). */
  ranks(turn: SuiteTurn, tokens: readonly number[]): Promise<number[]>;
  /** `</think>`: a committed run that ends with it may have had it forced (budget), so that one position is exempt. */
  closeToken?: number;
}

/** Strategies whose turn is one decoding path (teacher forcing follows it), as the host's ReplayService. */
const SINGLE_PATH = new Set(['budget', 'early-exit']);
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
  /** The aware attackers' padding (they know the trace grammar); without it those rows are not run. */
  aware?: AwarePadding;
}

/** An attacker that knows the trace grammar (traceGrammar.ts) and writes padding to pass it. */
export interface AwarePadding {
  /** Column work of other questions: only step lines, so no line names another question or answer. */
  splice(turn: SuiteTurn, rnd: () => number): number[];
  /** "So <q>=<a>.\nWait, let me verify.\n" and the turn's own check work again: every line legal where it stands. */
  reverify(turn: SuiteTurn): number[];
  /** Where the padding goes in the thinking tokens: the start of the closing "Yes, <a>." line. */
  insertAt(turn: SuiteTurn): number;
  /** The padding as a whole claimed draft: "<think>\n<q>\n" + padding + "Yes, <a>.\n</think>\n" + the answer. */
  draft(turn: SuiteTurn, pad: readonly number[]): number[];
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
  'aware-splice', // knows the trace grammar: another question's column work, no line naming its question, at a line boundary
  'aware-reverify', // knows the trace grammar: a second "So ... Wait, let me verify." pass of the turn's own work
] as const;
export type Attack = (typeof ATTACKS)[number];

/**
 * Forgeries: someone without the issuer's private key (holding its exports) tries to pass off a receipt. Each is
 * audited locally (against the forged store) and as `--remote` (against the genuine issuer, trusted on first use).
 */
export const FORGERIES = [
  'tampered-root', 'edited-counts', 'spliced-proofs', 'wrong-key',
  'identity-key', // public key = identity point, signature 01 00..00 (verifies anything under permissive Ed25519)
  'resigned-fresh-key', // the genuine body re-signed with a fresh key
  'spliced-leaves', // own leaves plus another turn's, renumbered and re-signed
  'drafts-copy', // the turn's own leaves copied again, labelled as discarded drafts, re-signed
  'other-answer', // another answer's genuine receipt and store put under this answer
  'question-swap', 'answer-swap', 'messageid-swap', // one bound part of the export replaced
] as const;
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
    // Whole lines, so the padding is never cut mid-line.
    case 'aware-splice':
      fill(() => sources!.aware!.splice(turn, rnd));
      return out;
    case 'aware-reverify':
      fill(() => sources!.aware!.reverify(turn));
      return out;
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
  /** The model's tokenizer (canonical tokenisation) and a way to spell a token in more tokens: the re-tokenisation row. */
  tokenizer?: CanonicalTokenizer & { split(id: number): number[] };
  /** Also run every honest turn, inflation and forgery through the replay audit (SuiteResult.replay). */
  replay?: SuiteReplay;
  /** Called after each honest turn with its index. */
  onTurn?: (i: number) => void;
}

/** The replay column of a suite run (SuiteOptions.replay). */
export interface ReplayColumn {
  honest: { audits: number; falsePositives: number; rate: number; outcomes: Partial<Record<ReplayOutcome, number>> };
  /** detection[attack][size] = not passed / audits. */
  detection: Record<string, Record<string, number>>;
  /** How the inflations were caught: outcome -> audits (unverifiable = claimed drafts without a seed cannot be re-run). */
  outcomes: Partial<Record<ReplayOutcome, number>>;
  forgeries: Record<Forgery, { audits: number; rejected: number }>;
  /** Mean detection over the attacks at inflation >= 10 %. */
  meanDetectionAt10Plus: number;
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
  /** The same forgeries audited as `--remote`: against the genuine issuer's receipt and provider. */
  forgeriesRemote: Record<Forgery, { audits: number; rejected: number }>;
  /** Issuer-signed re-tokenised inflation (ids spelled in more tokens), when SuiteOptions.tokenizer was given. */
  retokenised: { audits: number; rejected: number } | null;
  /** Mean detection over the attacks at inflation >= 10 %. */
  meanDetectionAt10Plus: number;
  /** The same turns through the replay audit; null without SuiteOptions.replay. */
  replay: ReplayColumn | null;
}

/** The plan an honest suite turn signs: one greedy decoding path under a thinking budget (what replay re-executes). */
const HONEST_PLAN: NonNullable<ReceiptBinding['plan']> = { strategy: 'budget', requested: 'budget', effort: 'auto', seed: null, thinkingBudget: null, trialTokens: 0, sampling: null, rounds: null, drafts: 0 };

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

  const bindingOf = (t: HonestTurn): ReceiptBinding => ({ conversationId: 'suite', question: t.question ?? `question of ${t.turnId}`, answer: t.answer ?? `answer of ${t.turnId}`, tokenizerSha256: null, plan: HONEST_PLAN });
  const claimOf = (t: HonestTurn) => ({ messageId: t.turnId, conversationId: 'suite', question: bindingOf(t).question, answer: bindingOf(t).answer });
  const audit = (t: HonestTurn, receipt: unknown, respond: AuditOptions['respond'], extra: Partial<AuditOptions> = {}) => auditReceipt({
    receipt, respond, table: o.table, questionTokens: t.questionTokens, answerTokens: t.answerTokens,
    modelSha256: model, trustedPublicKey: publicKey, security: o.security, thresholds: o.thresholds, head: o.head,
    binding: claimOf(t), ...(o.tokenizer !== undefined ? { tokenizer: o.tokenizer } : {}), ...extra,
  });
  const rp = o.replay;
  /**
   * The replay audit of one export (receipt, its store, the claimed question), decided as the host's ReplayService
   * decides it: the committed side must verify and bind the question; a single-path plan is re-executed (`replayed`:
   * the turn's re-execution, run once per turn) and its tree compared; where it differs, the committed thinking
   * tokens are teacher-forced. Parallel drafts without a seed cannot be re-run: unverifiable, which does not pass.
   */
  const replayAudit = async (t: HonestTurn, replayed: HiddenSegment[], receipt: unknown, store: ReceiptStore | undefined, claim: ReturnType<typeof claimOf>) => {
    const r = receipt as Receipt;
    const problems = [...(await verifyReceipt(r)).problems];
    if (problems.length === 0) problems.push(...bindingProblems(r, claim));
    const st = store !== undefined && store.receipt.signature === r.signature ? store : undefined;
    if (store !== undefined && st === undefined) problems.push('the provider store belongs to another receipt');
    if (st !== undefined && !storeMatchesRoot(st)) problems.push('the stored leaves do not build the signed root');
    const committedValid = problems.length === 0;
    const plan = r.version === 2 ? r.plan ?? null : null;
    const parallel = plan !== null && (plan.drafts > 0 || plan.sampling !== null || plan.rounds !== null);
    let rootMatches: boolean | null = null;
    let countDiffs: string[] = [];
    if (committedValid && plan !== null && !(parallel && plan.seed === null)) {
      const fp = fingerprintSegments(r.embeddingSpec, replayed, o.table);
      rootMatches = rootOfLeaves(fp.leaves, fp.dims) === r.root && fp.counts.hidden === r.treeSize;
      countDiffs = countDifferences(r.counts, fp.counts);
    }
    let forced: ReturnType<typeof divergenceOf> | null = null;
    let forcedSkipped: string | undefined;
    if (committedValid && rootMatches !== true) {
      if (st === undefined) forcedSkipped = 'no committed token ids';
      else if (plan === null || !SINGLE_PATH.has(plan.strategy)) forcedSkipped = `teacher forcing follows one decoding path, and this turn ran '${plan?.strategy ?? 'unknown'}'`;
      else {
        const thinking = committedSegments(st).filter((g) => g.kind === 'thinking').flatMap((g) => g.tokens);
        forced = divergenceOf(await rp!.ranks(t, thinking), { forcedClose: rp!.closeToken !== undefined && thinking.at(-1) === rp!.closeToken });
      }
    }
    return decideReplay({ committedValid, committedProblem: problems.join('; '), rootMatches, countDiffs, forced, greedy: true, forcedSkipped });
  };
  const forgerKeys = await generateReceiptKeyPair();
  const forger = new ReceiptIssuer(forgerKeys);

  const result: SuiteResult = {
    sampleSize: 0,
    turns,
    honest: { audits: 0, falsePositives: 0, rate: 0, failedChecks: {} },
    detection: {},
    detectionByPlacement: { thinking: {}, draft: {} },
    forgeries: Object.fromEntries(FORGERIES.map((f) => [f, { audits: 0, rejected: 0 }])) as SuiteResult['forgeries'],
    forgeriesRemote: Object.fromEntries(FORGERIES.map((f) => [f, { audits: 0, rejected: 0 }])) as SuiteResult['forgeriesRemote'],
    retokenised: o.tokenizer !== undefined ? { audits: 0, rejected: 0 } : null,
    meanDetectionAt10Plus: 0,
    replay: rp === undefined ? null : {
      honest: { audits: 0, falsePositives: 0, rate: 0, outcomes: {} }, detection: {}, outcomes: {},
      forgeries: Object.fromEntries(FORGERIES.map((f) => [f, { audits: 0, rejected: 0 }])) as ReplayColumn['forgeries'], meanDetectionAt10Plus: 0,
    },
  };
  const replayHits: Record<string, Record<string, [number, number]>> = {};
  const replayTally = (a: string, s: number, d: { ok: boolean; outcome: ReplayOutcome }): void => {
    const cell = ((replayHits[a] ??= {})[String(s)] ??= [0, 0]);
    cell[0] += d.ok ? 0 : 1; cell[1]++;
    result.replay!.outcomes[d.outcome] = (result.replay!.outcomes[d.outcome] ?? 0) + 1;
  };
  const hits: Record<string, Record<string, [number, number]>> = {};
  const placed: Record<'thinking' | 'draft', Record<string, Record<string, [number, number]>>> = { thinking: {}, draft: {} };
  const tally = (a: string, s: number, detected: boolean, where?: 'thinking' | 'draft'): void => {
    for (const h of where === undefined ? [hits] : [hits, placed[where]]) {
      const cell = ((h[a] ??= {})[String(s)] ??= [0, 0]);
      cell[0] += detected ? 1 : 0; cell[1]++;
    }
  };

  let previous: { receipt: Receipt; provider: ReceiptProvider; store: ReceiptStore; turn: HonestTurn } | null = null;
  for (let i = 0; i < turns; i++) {
    const turn = await makeTurn(i, rnd);
    const honest = await issuer.issue({ turnId: turn.turnId, binding: bindingOf(turn), spec, segments: turn.segments, table: o.table });
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
    // The auditor's re-execution of this turn (deterministic: once per turn serves every receipt claimed for it).
    const replayed = rp === undefined ? [] : await rp.reexecute(turn);
    if (rp !== undefined) {
      const d = await replayAudit(turn, replayed, honest.receipt, honest.store, claimOf(turn));
      const h = result.replay!.honest;
      h.audits++;
      if (!d.ok) h.falsePositives++;
      h.outcomes[d.outcome] = (h.outcomes[d.outcome] ?? 0) + 1;
    }

    for (const size of sizes) {
      for (const attack of ATTACKS) {
        if (attack.startsWith('aware-') && o.padding?.aware === undefined) continue;
        for (let k = 0; k < trials; k++) {
          if (attack === 'count-only') {
            const extra = Math.max(1, Math.round(size * honest.receipt.treeSize));
            const fp = fingerprintSegments(spec, turn.segments, o.table);
            // (a) counts raised but tree size honest; (b) both raised over the same leaves, answered as well as possible
            const a = await issuer.issueFromFingerprints({ turnId: turn.turnId, binding: bindingOf(turn), spec, fingerprints: fp, counts: { ...fp.counts, thinking: fp.counts.thinking + extra, hidden: fp.counts.hidden + extra } });
            const va = await audit(turn, a.receipt, (c) => a.provider.respond(c));
            const b = await issuer.issueFromFingerprints({ turnId: turn.turnId, binding: bindingOf(turn), spec, fingerprints: fp, counts: { ...fp.counts, thinking: fp.counts.thinking + extra, hidden: fp.counts.hidden + extra }, treeSize: fp.counts.hidden + extra });
            const vb = await audit(turn, b.receipt, (c) => b.provider.respond(c));
            tally(attack, size, !va.ok && !vb.ok);
            if (rp !== undefined) {
              // both variants must fail replay; the cell records the one that did worse
              const ra = await replayAudit(turn, replayed, a.receipt, a.store, claimOf(turn));
              const rb = await replayAudit(turn, replayed, b.receipt, b.store, claimOf(turn));
              replayTally(attack, size, ra.ok ? ra : rb);
            }
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
          const aware = attack.startsWith('aware-') ? o.padding!.aware! : null;
          if (aware !== null) {
            // Where the grammar expects such lines: before the closing "Yes" line, or as a whole draft of its own.
            const at = aware.insertAt(turn);
            segs.splice(0, segs.length, ...(asDraft
              ? [...turn.segments, { kind: 'draft' as const, tokens: aware.draft(turn, pad) }]
              : turn.segments.map((x) => (x.kind === 'thinking' ? { kind: x.kind, tokens: [...x.tokens.slice(0, at), ...pad, ...x.tokens.slice(at)] } : x))));
          }
          if (attack === 'duplicate-blocks' || attack === 'adaptive-paraphrase') {
            // block-aligned: a separate segment, so every copied block fingerprints exactly as a whole block
            segs.splice(0, segs.length, ...turn.segments, { kind: asDraft ? 'draft' : 'thinking', tokens: pad });
          }
          // Drafts need a signed plan that ran them: the dishonest issuer signs one.
          const plan = asDraft ? { strategy: 'short-m@k', requested: 'auto', effort: 'auto', seed: null, thinkingBudget: null, trialTokens: 0, sampling: { k: 2, m: 1 }, rounds: null, drafts: 2 } : null;
          const att = await issuer.issue({ turnId: turn.turnId, binding: { ...bindingOf(turn), plan }, spec, segments: segs, table: o.table });
          const v = await audit(turn, att.receipt, (c) => att.provider.respond(c));
          tally(attack, size, !v.ok, asDraft ? 'draft' : 'thinking');
          if (rp !== undefined) replayTally(attack, size, await replayAudit(turn, replayed, att.receipt, att.store, claimOf(turn)));
        }
      }
    }

    // Forgeries: each must be rejected every time, locally and against the genuine issuer (--remote).
    const genuine = { receipt: honest.receipt, question: bindingOf(turn).question, answer: bindingOf(turn).answer, origin: 'http://issuer' };
    const reSigned = async (segs: HiddenSegment[]) => forger.issue({ turnId: turn.turnId, binding: bindingOf(turn), spec, segments: segs, table: o.table });
    const prev = previous;
    // Another answer's genuine receipt: the previous turn's, or on the first turn one for another message.
    const other = prev ?? await (async () => {
      const t2 = { ...turn, turnId: `${turn.turnId}-other` };
      const x = await issuer.issue({ turnId: t2.turnId, binding: bindingOf(t2), spec, segments: turn.segments, table: o.table });
      return { receipt: x.receipt, provider: x.provider, store: x.store, turn: t2 };
    })();
    const spliced = await reSigned([...turn.segments, ...(prev?.turn.segments ?? turn.segments)]);
    const drafts = await reSigned([...turn.segments, ...turn.segments.map((x) => ({ kind: 'draft' as const, tokens: x.tokens }))]);
    const fresh = await reSigned(turn.segments);
    const identity = { ...honest.receipt, publicKey: '01' + '00'.repeat(31), signature: '01' + '00'.repeat(63) };
    const wrong = await new ReceiptIssuer(otherKeys).issue({ turnId: turn.turnId, binding: bindingOf(turn), spec, segments: turn.segments, table: o.table });
    // `store`: what the forger exports beside the receipt (the replay audit reads the committed token ids from it).
    type Forged = { receipt: unknown; respond: AuditOptions['respond']; store: ReceiptStore; claim?: ReturnType<typeof claimOf> };
    const forged: Record<Forgery, Forged> = {
      'tampered-root': { receipt: { ...honest.receipt, root: flipHex(honest.receipt.root) }, respond, store: honest.store },
      'edited-counts': { receipt: { ...honest.receipt, counts: { ...honest.receipt.counts, thinking: honest.receipt.counts.thinking + 10, hidden: honest.receipt.counts.hidden + 10 }, treeSize: honest.receipt.treeSize + 10 }, respond, store: honest.store },
      'spliced-proofs': {
        receipt: honest.receipt, store: honest.store,
        respond: (c) => {
          const r = respond(c);
          if (prev === null) return { ...r, openings: r.openings.map((x, j) => ({ ...x, proof: r.openings[(j + 1) % r.openings.length]!.proof })) };
          const o2 = prev.provider.respond({ ...c, turnId: prev.receipt.turnId, root: prev.receipt.root, indices: c.indices.filter((x) => x < prev.receipt.treeSize) });
          return { ...r, openings: r.openings.map((x, j) => ({ ...x, proof: o2.openings[j]?.proof ?? x.proof.slice(1) })) };
        },
      },
      'wrong-key': { receipt: wrong.receipt, respond, store: wrong.store },
      'identity-key': { receipt: identity, respond, store: { ...honest.store, receipt: identity } },
      'resigned-fresh-key': { receipt: fresh.receipt, respond: (c) => fresh.provider.respond(c), store: fresh.store },
      'spliced-leaves': { receipt: spliced.receipt, respond: (c) => spliced.provider.respond(c), store: spliced.store },
      'drafts-copy': { receipt: drafts.receipt, respond: (c) => drafts.provider.respond(c), store: drafts.store },
      'other-answer': { receipt: other.receipt, respond: (c) => other.provider.respond(c), store: other.store },
      'question-swap': { receipt: honest.receipt, respond, store: honest.store, claim: { ...claimOf(turn), question: `${claimOf(turn).question}?` } },
      'answer-swap': { receipt: honest.receipt, respond, store: honest.store, claim: { ...claimOf(turn), answer: `${claimOf(turn).answer} (edited)` } },
      'messageid-swap': { receipt: honest.receipt, respond, store: honest.store, claim: { ...claimOf(turn), messageId: `${turn.turnId}-other` } },
    };
    for (const f of FORGERIES) {
      const x = forged[f];
      const claim = x.claim ?? claimOf(turn);
      const v = await audit(turn, x.receipt, x.respond, { binding: claim });
      result.forgeries[f].audits++;
      if (!v.ok) result.forgeries[f].rejected++;
      if (rp !== undefined) {
        const d = await replayAudit(turn, replayed, x.receipt, x.store, claim);
        result.replay!.forgeries[f].audits++;
        if (!d.ok) result.replay!.forgeries[f].rejected++;
      }
      // --remote: the issuer is asked for its receipt of the claimed message and answers the challenges itself;
      // its key is trusted on first use, not the auditor's pin.
      const issuerView = claim.messageId === turn.turnId ? genuine : null;
      // (spliced-proofs is a lying responder: remotely that is the issuer itself answering with spliced proofs)
      const vr = await audit(turn, x.receipt, f === 'spliced-proofs' ? x.respond : respond, { binding: claim, issuer: issuerView, trustedPublicKey: undefined, trustedKeys: [{ publicKey, trust: 'first-use', label: 'http://issuer' }] });
      result.forgeriesRemote[f].audits++;
      if (!vr.ok) result.forgeriesRemote[f].rejected++;
    }
    // Issuer-signed re-tokenisation: every thinking token spelled in more tokens of the same text.
    if (o.tokenizer !== undefined && result.retokenised !== null) {
      const split = turn.segments.map((x) => (x.kind === 'thinking' ? { kind: x.kind, tokens: x.tokens.flatMap((id) => o.tokenizer!.split(id)) } : x));
      const re = await issuer.issue({ turnId: turn.turnId, binding: bindingOf(turn), spec, segments: split, table: o.table });
      if (re.receipt.treeSize > honest.receipt.treeSize) {
        const v = await audit(turn, re.receipt, (c) => re.provider.respond(c));
        result.retokenised.audits++;
        if (!v.ok) result.retokenised.rejected++;
      }
    }
    previous = { receipt: honest.receipt, provider: honest.provider, store: honest.store, turn };
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
  if (result.replay !== null) {
    const rr = result.replay;
    rr.honest.rate = rr.honest.falsePositives / Math.max(1, rr.honest.audits);
    let rs = 0, rc = 0;
    for (const [a, bySize] of Object.entries(replayHits)) {
      rr.detection[a] = {};
      for (const [s, [d, n]] of Object.entries(bySize)) {
        rr.detection[a]![s] = d / n;
        if (Number(s) >= 0.1) { rs += d / n; rc++; }
      }
    }
    rr.meanDetectionAt10Plus = rc === 0 ? 0 : rs / rc;
  }
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
  for (const [f, x] of Object.entries(r.forgeries)) lines.push(`forgery ${f}: rejected ${x.rejected}/${x.audits} locally, ${r.forgeriesRemote[f as Forgery].rejected}/${r.forgeriesRemote[f as Forgery].audits} remote`);
  if (r.retokenised !== null) lines.push(`re-tokenised inflation (issuer-signed): rejected ${r.retokenised.rejected}/${r.retokenised.audits}`);
  if (r.replay !== null) {
    const rp = r.replay;
    lines.push(`replay: honest false positives ${rp.honest.falsePositives}/${rp.honest.audits}; mean detection at >= 10 %: ${(100 * rp.meanDetectionAt10Plus).toFixed(1)} %`);
    for (const [a, bySize] of Object.entries(rp.detection)) lines.push(`replay ${a}: ${sizes.map((s) => `${Math.round(100 * (bySize[s] ?? 0))} %`).join(' | ')}`);
    for (const [f, x] of Object.entries(rp.forgeries)) lines.push(`replay forgery ${f}: rejected ${x.rejected}/${x.audits}`);
  }
  return lines.join('\n');
}
