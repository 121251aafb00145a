/**
 * Which token ids a turn's ledger counts as hidden, in production order (docs/receipts.md: fingerprint exactly the
 * tokens the ledger counts). Pure helpers, unit-tested.
 */
import type { HiddenSegment } from '../../common/receipts/fingerprint';

/**
 * The thinking tokens of a plain (LlamaChat) turn: the first `thinking` generated tokens as they sit in the
 * sequence (tags and a forced `</think>` included). When the ledger counts more than the sequence holds (the
 * last sampled token never reaches the KV cache), the rest is taken from the tail of the streamed thought ids.
 */
export function thinkingTokensOf(generated: readonly number[], thinking: number, streamedThought: readonly number[]): number[] {
  const out = generated.slice(0, Math.min(thinking, generated.length));
  const missing = thinking - out.length;
  if (missing > 0) out.push(...streamedThought.slice(Math.max(0, streamedThought.length - missing)));
  return out;
}

/** Hidden segments of a turn, empty segments dropped. */
export function hiddenSegments(...segments: HiddenSegment[]): HiddenSegment[] {
  return segments.filter((s) => s.tokens.length > 0).map((s) => ({ kind: s.kind, tokens: [...s.tokens] }));
}

/** Total hidden tokens in segments. */
export function hiddenCount(segments: readonly HiddenSegment[] | undefined): number {
  return (segments ?? []).reduce((n, s) => n + s.tokens.length, 0);
}

/** Records hidden tokens as a path produces them; consecutive tokens of one kind share a segment. */
export class HiddenLog {
  readonly segments: HiddenSegment[] = [];

  add(kind: HiddenSegment['kind'], ...tokens: number[]): void {
    if (tokens.length === 0) return;
    const last = this.segments[this.segments.length - 1];
    if (last !== undefined && last.kind === kind) (last.tokens as number[]).push(...tokens);
    else this.segments.push({ kind, tokens: [...tokens] });
  }
}

/** A probe segment (the probe's formatted prompt) before a turn's own hidden tokens, when the ledger billed one. */
export function withProbe(probeTokens: readonly number[], probeCount: number, rest: readonly HiddenSegment[] | undefined): HiddenSegment[] | undefined {
  if (rest === undefined) return undefined;
  if (probeCount === 0) return [...rest];
  if (probeTokens.length !== probeCount) return undefined; // cannot name the probe's tokens: no receipt rather than a wrong one
  return [{ kind: 'probe', tokens: [...probeTokens] }, ...rest];
}
