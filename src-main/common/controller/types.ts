/**
 * The adaptive reasoning controller's data: strategies per difficulty class, the effort knob, the plan a
 * turn runs under, and what parallel drafting and early exit report. Pure data, JSON-safe (docs/controller.md).
 */
import type { Difficulty } from '../probe/types';
import type { EffortControl, EffortLevel } from './effort';

export type { Difficulty, EffortLevel };

/** Which thinking step boundaries early exit tries an answer at (common/controller/earlyExit.ts trialPoints). */
export type EarlyExitAt = 'step' | 'result';

/**
 * How a turn thinks. `auto` = the difficulty class's strategy; `long` = no controller (plain generation);
 * `budget` = budget forcing only; `early-exit` = budget + DEER early exit; `short-m@k` = k parallel samples,
 * first m finished vote; `pdr` = Parallel-Distill-Refine rounds.
 */
export type StrategyName = 'auto' | 'long' | 'budget' | 'early-exit' | 'short-m@k' | 'pdr';
export const StrategyNames: readonly StrategyName[] = ['auto', 'long', 'budget', 'early-exit', 'short-m@k', 'pdr'] as const;

/**
 * The effort knob (docs/controller.md): 'auto' (the class strategy's level and budget), a level the model is asked
 * for ('low' | 'medium' | 'high'), or 0..1 = that fraction of the expected thinking length at high effort (the
 * smallest level that thinks at least that much, capped by the budget).
 */
export type Effort = 'auto' | EffortLevel | number;

/** Parallel drafting of a class strategy. */
export type ParallelMode = 'none' | 'short-m@k' | 'pdr';

/** What one difficulty class runs with. */
export interface ClassStrategy {
  /** System prompt for the turn; '' keeps the turn's own (settings / per-turn override). */
  systemPrompt: string;
  /** Sampling temperature of the accepted path (0 = greedy). */
  temperature: number;
  /** Thinking budget as a fraction of the expected thinking length; null = no budget. */
  budgetFraction: number | null;
  /** Early-exit confidence threshold (min token probability of the trial answer, 0..1); null = off. */
  earlyExitThreshold: number | null;
  /** Parallel drafting for this class. */
  parallel: ParallelMode;
  /**
   * The effort level Auto asks the model for (when it has levels: its manifest's, gpt-oss's); the budget is then
   * budgetFraction x that level's expected thinking.
   */
  effortLevel: EffortLevel;
}

/** Everything the controller is tuned with; `defaultControllerSettings` documents the defaults. */
export interface ControllerSettings {
  strategies: Record<Difficulty, ClassStrategy>;
  /** Expected thinking length (tokens) when there is neither a probe nor a running average yet. */
  fallbackExpectedThinking: number;
  /** Smallest thinking budget a non-zero effort gets, tokens. */
  minBudget: number;
  earlyExit: {
    /** Cap on the greedy trial answer, tokens (the trial also stops at end of generation). */
    trialTokens: number;
    /** Trials start once this fraction of the expected thinking length is spent. */
    startFraction: number;
    /** Threshold used by the explicit `early-exit` strategy when the class has none. */
    threshold: number;
    /**
     * Where trials run: 'result' only after a line that states a result (common/controller/earlyExit.ts), 'step'
     * after every line.
     */
    at: EarlyExitAt;
  };
  shortMK: { k: number; m: number; temperature: number };
  pdr: {
    /** Drafts per round; the last round should be 1. */
    rounds: number[];
    /** Workspace bound, tokens. */
    kappa: number;
    temperature: number;
  };
}

/** The probe's verdict, or the fallback's when no probe is stored for the model. */
export interface DifficultyInfo {
  difficulty: Difficulty;
  /** Class probabilities (order easy, normal, hard); null for the fallback. */
  probabilities: Record<Difficulty, number> | null;
  expectedThinkingTokens: number;
  source: 'probe' | 'fallback';
  /** Tokens the probe pass decoded (ledger overhead 'probe'). */
  probeTokens: number;
}

/** What a turn runs under, after the effort knob and the strategy were applied. */
export interface Plan {
  /** The strategy asked for ('auto' stays 'auto'). */
  requested: StrategyName;
  /** What actually runs. */
  strategy: Exclude<StrategyName, 'auto'>;
  difficulty: Difficulty;
  effort: Effort;
  /** The effort level the model was asked for; null = the model has no levels (the budget is the only knob). */
  effortLevel: EffortLevel | null;
  /** Where the level's prompt came from: the model's manifest or its family's native control; null = none. */
  effortControl: EffortControl['source'] | null;
  /** Expected thinking at the level used, tokens (the probe's length at high effort x the level's share). */
  expectedThinkingTokens: number;
  /** Thinking budget per path, tokens; null = none. */
  thinkingBudget: number | null;
  /** System prompt override from the class strategy ('' = keep the turn's). */
  systemPrompt: string;
  temperature: number;
  earlyExitThreshold: number | null;
  trialTokens: number;
  /** Thinking tokens spent before the first trial. */
  earlyExitStart: number;
  /** Which step boundaries get a trial; absent (plans stored before it) = 'step'. */
  earlyExitAt?: EarlyExitAt;
  /** short-m@k: k samples, first m vote. */
  sampling: { k: number; m: number } | null;
  /** PDR: drafts per round and the workspace bound. */
  rounds: number[] | null;
  kappa: number | null;
  /**
   * What the engine could not do of the plan it was asked for, one sentence each (the plan chip shows them), e.g.
   * a remote llama-server runs early exit as plain budget forcing. Absent = the plan ran as made.
   */
  degraded?: string[];
}

/** One parallel draft as reported after the turn. */
export interface DraftRecord {
  round: number;
  index: number;
  /** The draft's final answer key (last number after '='), '' when none. */
  answer: string;
  text: string;
  /** Tokens this draft generated (thinking + answer). */
  tokens: number;
  /** Finished on its own (end of generation) rather than stopped. */
  finished: boolean;
  /** Mean token probability of its answer tokens. */
  confidence: number;
  /** The draft whose answer the turn returns. */
  winner: boolean;
}

/** What early exit did in a turn. */
export interface EarlyExitRecord {
  /** Trials run (rolled back ones and the committed one). */
  trials: number;
  /** Whether a trial was committed. */
  fired: boolean;
  /** Thinking tokens spent when it fired (or at the end). */
  atThinkingTokens: number;
  /** Score of the committed trial (or the best rejected one). */
  confidence: number;
}

/** What one decoded path (built-in sequence or remote slot) produced, in tokens and text: the figures both engines share. */
export interface PathFigures {
  /** Prompt tokens reused from the cache (not decoded). */
  cached: number;
  /** Prompt tokens decoded now. */
  prompt: number;
  /** Accepted thinking tokens, tags included (`<think>`, content, `</think>`). */
  thinking: number;
  /** Accepted answer tokens. */
  visible: number;
  /** Tokens decoded for trial answers that were rolled back (overhead 'trial'). */
  trial: number;
  thinkingText: string;
  answerText: string;
  /** Mean probability of the answer's sampled tokens (0 when none or not asked for). */
  answerConfidence: number;
  stopReason: 'eos' | 'maxTokens' | 'aborted' | 'stopped';
  earlyExit: EarlyExitRecord | null;
  thinkingMs: number;
  /** Thinking content tokens (without the tags), as the budget counts them. */
  thinkingContent: number;
  /** Whether `</think>` was forced by the budget. */
  budgetForced: boolean;
}
