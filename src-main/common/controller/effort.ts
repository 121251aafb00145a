/**
 * Effort levels: how a model is asked to think less (docs/controller.md, "Effort levels"). A model declares levels in
 * its `.reckon.json` manifest (the system line that asks for each, and each level's mean thinking length as a share of
 * high's), or its chat-template family has a native control (gpt-oss: "Reasoning: low|medium|high" in the system
 * message; Qwen3: the /no_think switch). DeepSeek-R1 style models and others have none: the budget is their only knob.
 * Pure data and functions; the engine applies the result to the prompt.
 */

/** A reasoning effort a model can be asked for, lowest first. */
export type EffortLevel = 'low' | 'medium' | 'high';
export const EffortLevels: readonly EffortLevel[] = ['low', 'medium', 'high'] as const;

/** What a model's manifest says about its effort levels (`effort` in `<name>.reckon.json`). */
export interface ManifestEffort {
  /** The levels the model honours and the system line that asks for each (at least one). */
  levels: Partial<Record<EffortLevel, { systemLine: string }>>;
  /** The level the model uses when none is asked for; must be one of `levels`. */
  default: EffortLevel;
  /**
   * Each level's mean thinking length as a fraction of high's (measured on the model card's set; high = 1).
   * A level without a share is used for explicit requests only, never picked for a fraction.
   */
  thinkingShare: Partial<Record<EffortLevel, number>>;
}

/** How the engine asks a model for a level: from its manifest, or its template family's native control. */
export type EffortControl =
  | { source: 'manifest'; manifest: ManifestEffort }
  /** gpt-oss (Harmony): the system message's "Reasoning: low|medium|high" line. No measured shares. */
  | { source: 'gpt-oss' }
  /** Qwen3: thinking on (high) or off (low, the /no_think switch). */
  | { source: 'qwen3' };

/** The levels a control offers, lowest first. */
export function levelsOf(c: EffortControl): EffortLevel[] {
  if (c.source === 'manifest') return EffortLevels.filter((l) => c.manifest.levels[l] !== undefined);
  if (c.source === 'gpt-oss') return [...EffortLevels];
  return ['low', 'high'];
}

/**
 * Each offered level's expected thinking as a share of high's, or null when unmeasured. Qwen3's switch is exact:
 * thinking off is 0 and on is 1. gpt-oss publishes no shares, so a fraction keeps it at high with a budget.
 */
export function sharesOf(c: EffortControl): Partial<Record<EffortLevel, number | null>> {
  if (c.source === 'manifest') {
    const out: Partial<Record<EffortLevel, number | null>> = {};
    for (const l of levelsOf(c)) out[l] = c.manifest.thinkingShare[l] ?? (l === 'high' ? 1 : null);
    return out;
  }
  if (c.source === 'qwen3') return { low: 0, high: 1 };
  return { low: null, medium: null, high: 1 };
}

/** The level a turn runs at when nothing else chose one. */
export function defaultLevelOf(c: EffortControl): EffortLevel {
  return c.source === 'manifest' ? c.manifest.default : 'high';
}

/**
 * Whether Auto may steer with these levels. Not for Qwen3: its switch turns thinking off altogether, which is no
 * smaller effort but none, so a wrong Easy verdict would cost the answer; Auto leaves it on and uses the budget.
 */
export function autoSteers(c: EffortControl): boolean {
  return c.source !== 'qwen3';
}

/**
 * The control a model gets: its manifest's levels first (the model was trained on them), else its template family's
 * native one, else none (null).
 * @param family the engine's chat-template family (classifyChatTemplate: 'qwen', 'gpt-oss', 'deepseek-r1', ...).
 * @param thinking whether the family's wrapper has a thought segment (Qwen2 has none, Qwen3 has one).
 */
export function effortControlFor(manifest: ManifestEffort | null | undefined, family: string, thinking: boolean): EffortControl | null {
  if (manifest != null && EffortLevels.some((l) => manifest.levels[l] !== undefined)) return { source: 'manifest', manifest };
  if (family === 'gpt-oss') return { source: 'gpt-oss' };
  if (family === 'qwen' && thinking) return { source: 'qwen3' };
  return null;
}

/**
 * The level a control offers nearest to the one asked for: the asked level itself, else the next higher offered one
 * (never less effort than asked), else the highest offered.
 */
export function nearestLevel(c: EffortControl, wanted: EffortLevel): EffortLevel {
  const offered = levelsOf(c);
  const from = EffortLevels.indexOf(wanted);
  return offered.find((l) => EffortLevels.indexOf(l) >= from) ?? offered[offered.length - 1] ?? 'high';
}

/**
 * The level for a fraction f of high's expected thinking: the smallest offered level whose measured share is >= f
 * (the budget cap f x expected then trims the rest); high when none qualifies.
 */
export function levelForFraction(c: EffortControl, f: number): EffortLevel {
  const shares = sharesOf(c);
  for (const l of levelsOf(c)) {
    const s = shares[l];
    if (s !== null && s !== undefined && s >= f) return l;
  }
  return nearestLevel(c, 'high');
}

/** A level's share of high's thinking for budget arithmetic: measured, else 1 (an unmeasured level is budgeted as high). */
export function shareForBudget(c: EffortControl | null, level: EffortLevel | null): number {
  if (c === null || level === null) return 1;
  const s = sharesOf(c)[level];
  return s === null || s === undefined ? 1 : s;
}

/**
 * A level requested of a model with no levels becomes this fraction of the expected thinking (the budget only),
 * the mapping the API's reasoning_effort always had.
 */
export const levelFractionWithoutControl: Readonly<Record<EffortLevel, number>> = { low: 0.25, medium: 0.5, high: 1 };

/** A turn's prompt parts an effort level may change. */
export interface EffortPrompt {
  systemPrompt: string;
  question: string;
  /** gpt-oss: the reasoning effort its chat wrapper writes into the system message; null = the wrapper's own. */
  reasoningEffort: EffortLevel | null;
}

/**
 * Applies a level to a turn's prompt.
 * - manifest: the level's system line is appended as the last line of the system message, or is the whole system
 *   message when there is none;
 * - gpt-oss: the chat wrapper writes "Reasoning: <level>" into its system message (`reasoningEffort`);
 * - Qwen3: low appends " /no_think" to the question (thinking off); high leaves the prompt as it is.
 * No control or no level: unchanged.
 */
export function applyEffortPrompt(c: EffortControl | null, level: EffortLevel | null, p: { systemPrompt: string; question: string }): EffortPrompt {
  const out: EffortPrompt = { systemPrompt: p.systemPrompt, question: p.question, reasoningEffort: null };
  if (c === null || level === null) return out;
  if (c.source === 'manifest') {
    const line = c.manifest.levels[level]?.systemLine;
    if (line === undefined || line === '') return out;
    const base = p.systemPrompt.replace(/\s+$/, '');
    out.systemPrompt = base === '' ? line : `${base}\n${line}`;
  } else if (c.source === 'gpt-oss') {
    out.reasoningEffort = level;
  } else if (level === 'low') {
    out.question = `${p.question.replace(/\s+$/, '')} /no_think`;
  }
  return out;
}

/**
 * The system prompt of the prompt a turn's probe reads on a model whose manifest declares levels: the fallback plan's
 * (the Normal class's level line), so calibration reads features over the same prompt turns do. '' otherwise.
 */
export function probeFeatureSystemPrompt(manifest: ManifestEffort | null | undefined, normalLevel: EffortLevel | null): string {
  const c = manifest != null ? effortControlFor(manifest, '', true) : null;
  return c?.source === 'manifest' ? applyEffortPrompt(c, normalLevel === null ? null : nearestLevel(c, normalLevel), { systemPrompt: '', question: '' }).systemPrompt : '';
}

/** What each level does, in words the UI and the CLI show. */
export const effortLevelHints: Readonly<Record<EffortLevel, string>> = {
  low: 'Low: the model is asked for its shortest reasoning (a compact trace, no re-check; thinking off on Qwen3)',
  medium: 'Medium: the model is asked for a full trace without the re-check',
  high: 'High: the model thinks as it was trained to, re-check included (what 100 % measures)',
};

/**
 * Reads an effort as people type it: 'auto', 'low' | 'medium' | 'high', a fraction 0..1 or a percentage 0%..100%
 * (case and surrounding spaces ignored). null when it is none of these.
 */
export function parseEffort(text: string): 'auto' | EffortLevel | number | null {
  const s = text.trim().toLowerCase();
  if (s === 'auto') return 'auto';
  if ((EffortLevels as readonly string[]).includes(s)) return s as EffortLevel;
  const pct = s.endsWith('%');
  const body = pct ? s.slice(0, -1).trim() : s;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(body)) return null;
  const v = Number(body) / (pct ? 100 : 1);
  return v >= 0 && v <= 1 ? v : null;
}

/** An effort as the UI and the CLI print it: 'auto', the level, or a percentage. */
export function formatEffort(e: 'auto' | EffortLevel | number): string {
  return typeof e === 'number' ? `${Math.round(e * 100)}%` : e;
}
