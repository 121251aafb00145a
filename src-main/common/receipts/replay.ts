/**
 * The replay audit's pure half (docs/receipts.md "Replay audit"): the committed hidden tokens read back from a
 * provider store, the root of a re-executed turn's leaves, the first divergence of teacher-forced ranks, and the
 * verdict with its one-sentence meaning. The host runs the engine; everything it decides is here.
 */
import { fromBase64, fromHex, bytesEqual, toHex } from './bytes';
import { decodeLeaf, leafBytes, type HiddenCounts, type HiddenSegment } from './fingerprint';
import { MerkleTree } from './merkle';
import type { ReceiptStore } from './receipt';

/** The committed hidden tokens of a store, one segment per leaf segment number, in leaf order. */
export function committedSegments(store: ReceiptStore): HiddenSegment[] {
  const dims = store.receipt.embeddingSpec.dims;
  const lb = leafBytes(dims);
  const all = fromBase64(store.leaves);
  if (all.length % lb !== 0) throw new RangeError('stored leaves are not a whole number of leaves');
  const out: { kind: HiddenSegment['kind']; tokens: number[] }[] = [];
  let segment = -1;
  for (let i = 0; i < all.length / lb; i++) {
    const f = decodeLeaf(all.subarray(i * lb, (i + 1) * lb), dims);
    if (f === null || f.index !== i) throw new RangeError(`stored leaf ${i} is malformed`);
    if (f.segment !== segment || out.length === 0) {
      out.push({ kind: f.kind, tokens: [] });
      segment = f.segment;
    }
    out[out.length - 1]!.tokens.push(f.tokenId);
  }
  return out;
}

/** RFC 6962 root (hex) of leaves back to back, `leafBytes(dims)` each. */
export function rootOfLeaves(leaves: Uint8Array, dims: number): string {
  const lb = leafBytes(dims);
  const list: Uint8Array[] = [];
  for (let i = 0; i < leaves.length / lb; i++) list.push(leaves.subarray(i * lb, (i + 1) * lb));
  return toHex(MerkleTree.fromLeaves(list).root());
}

/** Whether a store's leaves build the root its receipt signs (the tokens read back are the committed ones). */
export function storeMatchesRoot(store: ReceiptStore): boolean {
  try {
    return bytesEqual(fromHex(rootOfLeaves(fromBase64(store.leaves), store.receipt.embeddingSpec.dims)), fromHex(store.receipt.root));
  } catch {
    return false;
  }
}

/** Teacher-forced ranks summarised: where the committed tokens first leave what the model would produce, and how often. */
export interface Divergence {
  /** Committed tokens scored. */
  positions: number;
  /** Index (0-based, in the scored thinking tokens) of the first token the model would not have produced; null = none. */
  first: number | null;
  /** Tokens the model would not have produced (rank -1: outside the sampler's top-k; greedy: not the top token). */
  divergent: number;
}

/**
 * Divergence of teacher-forced ranks. `forcedClose`: the committed run ends with `</think>`, which the controller
 * may put in place of the model's choice (budget forcing, an accepted early-exit trial, "answer now"); only that
 * last position is exempt, so padding cannot hide behind extra closing tags.
 */
export function divergenceOf(ranks: readonly number[], o: { forcedClose?: boolean } = {}): Divergence {
  let first: number | null = null;
  let divergent = 0;
  ranks.forEach((r, i) => {
    if (r >= 0 || (o.forcedClose === true && i === ranks.length - 1)) return;
    divergent++;
    first ??= i;
  });
  return { positions: ranks.length, first, divergent };
}

/** Overhead kinds whose committed count differs from the re-executed one ('trial: committed 40, replay 12'). */
export function countDifferences(committed: HiddenCounts, replayed: HiddenCounts): string[] {
  const out: string[] = [];
  if (committed.thinking !== replayed.thinking) out.push(`thinking: committed ${committed.thinking}, replay ${replayed.thinking}`);
  for (const k of Object.keys(committed.overhead) as (keyof HiddenCounts['overhead'])[]) {
    if (committed.overhead[k] !== replayed.overhead[k]) out.push(`${k}: committed ${committed.overhead[k]}, replay ${replayed.overhead[k]}`);
  }
  return out;
}

/**
 * The replay verdict:
 * - `identical`: the re-executed turn built the committed root (every hidden token, its kind and order);
 * - `model-consistent`: the root differs (another backend's arithmetic), but every committed thinking token is one the
 *   model would produce at its position and every overhead count equals the re-execution's;
 * - `diverged`: committed tokens the model would not produce, or overhead the re-execution did not spend;
 * - `unverifiable`: the turn cannot be re-executed or scored here (sampled without a seed, parallel drafts that
 *   did not reproduce, no committed token ids).
 */
export type ReplayOutcome = 'identical' | 'model-consistent' | 'diverged' | 'unverifiable';

export interface ReplayDecisionInput {
  /** The store's leaves build the signed root and the receipt's signature verifies. */
  committedValid: boolean;
  /** Why it does not, when it does not. */
  committedProblem?: string;
  /** The re-execution's root equals the committed one (null = no re-execution). */
  rootMatches: boolean | null;
  /** Counts whose committed and re-executed values differ (empty when they agree or there was no re-execution). */
  countDiffs: string[];
  /** Teacher-forced divergence of the committed thinking tokens; null = not scored. */
  forced: Divergence | null;
  /** Why teacher forcing did not run, when it did not. */
  forcedSkipped?: string;
  /** Greedy (top-1) or sampled (top-k) criterion of `forced`. */
  greedy: boolean;
}

export interface ReplayDecision {
  outcome: ReplayOutcome;
  ok: boolean;
  /** One sentence: what this verdict proves and what it cannot. */
  meaning: string;
}

export function decideReplay(d: ReplayDecisionInput): ReplayDecision {
  if (!d.committedValid) {
    return { outcome: 'diverged', ok: false, meaning: `FAILED: the committed tokens cannot be read back as the signed receipt (${d.committedProblem ?? 'store and receipt disagree'}), so nothing was replayed.` };
  }
  // An identical tree with other counts: the leaves are honest but the bill is not (counts raised over them).
  if (d.rootMatches === true && d.countDiffs.length > 0) {
    return { outcome: 'diverged', ok: false, meaning: `FAILED: the re-executed turn built the committed tree, but the receipt bills other hidden tokens than it spent (${d.countDiffs.join('; ')}).` };
  }
  if (d.rootMatches === true) {
    return { outcome: 'identical', ok: true, meaning: 'PASSED: re-running the committed plan with this model produced the identical tree, so every billed hidden token is what this model generates for this question and context; it cannot speak for a different model file or a context the receipt does not bind (system prompt, earlier turns).' };
  }
  const f = d.forced;
  if (f !== null && f.divergent > 0) {
    const what = d.greedy ? 'not its greedy choice' : 'outside what its sampler could pick';
    return {
      outcome: 'diverged', ok: false,
      meaning: `FAILED: from hidden token ${f.first! + 1} of ${f.positions} on, the committed thinking is not what this model produces (${f.divergent} of ${f.positions} tokens ${what}): tokens were billed that the model would not have generated.`,
    };
  }
  if (d.countDiffs.length > 0) {
    return { outcome: 'diverged', ok: false, meaning: `FAILED: the re-executed turn spent other hidden tokens than the receipt bills (${d.countDiffs.join('; ')}).` };
  }
  if (f !== null && d.rootMatches !== null) {
    const crit = d.greedy ? 'the greedy choice' : 'within the sampler\'s top-k';
    return {
      outcome: 'model-consistent', ok: true,
      meaning: `PASSED (teacher-forced): the tree differs from the re-execution's, but all ${f.positions} committed thinking tokens are ${crit} of this model at their positions and every overhead count matches; weaker than an identical replay${d.greedy ? '' : ' (a sampled turn: any top-k token passes)'}.`,
    };
  }
  const why = d.rootMatches === false ? `the re-executed tree differs and ${d.forcedSkipped ?? 'the committed tokens could not be scored'}` : (d.forcedSkipped ?? 'the turn could not be re-executed');
  return { outcome: 'unverifiable', ok: false, meaning: `NOT VERIFIED by replay: ${why}.` };
}
