import { availableParallelism } from 'node:os';
import type { Llama, LlamaModel, Token } from 'node-llama-cpp';
import type { ThreadsMeasuredEvent } from '../common/engineProtocol';

/** The thread count llama.cpp uses and how it was chosen. */
export interface ThreadChoice {
  threads: number;
  source: 'measured' | 'cached' | 'settings';
}

/** A measurement made in this process, for the host to cache (the engine writes no user-data files). */
export type ThreadMeasurement = Omit<ThreadsMeasuredEvent, 'type'>;

/** Tokens decoded one by one per candidate: enough to see the steady speed, cheap on a tiny model. */
const TOKENS_PER_TRIAL = 32;
/** A trial on a big model stops early after this long; the speed so far is what counts. ms. */
const TRIAL_TIME_LIMIT_MS = 4_000;

/**
 * When the chosen count stops fitting the machine (other work took the cores: FINDINGS.md saw 2 threads swing from
 * 21 to 3.4 tok/s on a busy machine), decode falls far below what was measured. A turn counts as slow below this
 * share of the speed expected for its model and thread count; this many slow turns in a row mark the choice stale,
 * and the next turn measures again. Turns shorter than MIN_OBSERVED_STEPS say too little; after a measurement the
 * next one waits REMEASURE_GAP_MS, so a machine that stays busy is not measured on every turn.
 */
export const SLOW_SHARE = 0.4;
export const SLOW_TURNS_IN_A_ROW = 3;
export const MIN_OBSERVED_STEPS = 24;
export const REMEASURE_GAP_MS = 5 * 60_000;

/**
 * Chooses llama.cpp's thread count. The library default (max(cores, 4)) is pathological on small
 * machines (FINDINGS: ~1 tok/s instead of ~1,300 on 2 cores), so the count is always explicit:
 * the user's setting, else the host's cached measurement, else one measurement on the first loaded model.
 */
export class ThreadTuner {
  readonly cores = availableParallelism();
  private choice: ThreadChoice | null;
  /** The measurement not yet reported to the host. */
  private unreported: ThreadMeasurement | null = null;
  /** Decode steps/s expected per `model x threads`: the best a turn showed since the last measurement. */
  private readonly expected = new Map<string, number>();
  private slowInARow = 0;
  private staleSince: number | null = null;
  private lastMeasuredAt = -Infinity;

  /**
   * @param settingsThreads the user's setting; null = use the cached count or measure.
   * @param cachedThreads the host's cached measurement for this machine; null = none.
   */
  constructor(settingsThreads: number | null, cachedThreads: number | null) {
    if (settingsThreads !== null) {
      this.choice = { threads: Math.max(1, Math.floor(settingsThreads)), source: 'settings' };
    } else {
      this.choice = cachedThreads !== null && Number.isInteger(cachedThreads) && cachedThreads >= 1
        ? { threads: cachedThreads, source: 'cached' }
        : null;
    }
  }

  /** The current choice; before the first measurement, a safe provisional single thread. */
  current(): ThreadChoice {
    return this.choice ?? { threads: 1, source: 'measured' };
  }

  /** True until a measurement has been made (no setting, no cache entry), or when the choice went stale. */
  get needsMeasurement(): boolean {
    return this.choice === null || this.staleSince !== null;
  }

  /** True when turns decoded far below the expected speed (see SLOW_SHARE): the next turn measures again. */
  get stale(): boolean {
    return this.staleSince !== null;
  }

  /**
   * A turn decoded `steps` tokens one after another at `stepsPerSecond` on `model` (a key naming the file) with the
   * current count. Returns true when this turn made the choice stale. A user's setting is never second-guessed.
   */
  observe(model: string, steps: number, stepsPerSecond: number, now = Date.now()): boolean {
    const c = this.choice;
    if (c === null || c.source === 'settings' || this.staleSince !== null) return false;
    if (steps < MIN_OBSERVED_STEPS || !(stepsPerSecond > 0)) return false;
    const key = `${model} x${c.threads}`;
    const expected = this.expected.get(key);
    if (expected === undefined || stepsPerSecond >= expected) {
      this.expected.set(key, Math.max(expected ?? 0, stepsPerSecond));
      this.slowInARow = 0;
      return false;
    }
    if (stepsPerSecond >= expected * SLOW_SHARE) {
      this.slowInARow = 0;
      return false;
    }
    this.slowInARow++;
    if (this.slowInARow < SLOW_TURNS_IN_A_ROW || now - this.lastMeasuredAt < REMEASURE_GAP_MS) return false;
    this.staleSince = now;
    return true;
  }

  /**
   * Measures decode speed for 1, 2, 4 ... up to the core count on the given model and keeps the fastest
   * (see takeMeasurement). Does nothing when a choice exists already.
   */
  async ensureMeasured(llama: Llama, model: LlamaModel): Promise<ThreadChoice> {
    if (this.choice !== null && this.staleSince === null) return this.choice;
    const candidates = candidateCounts(this.cores);
    const speeds: Record<string, number> = {};
    const previousMax = llama.maxThreads;
    llama.maxThreads = Math.max(previousMax, this.cores);
    try {
      for (const n of candidates) speeds[n] = await measureDecodeSpeed(model, n);
    } finally {
      llama.maxThreads = previousMax;
    }
    this.takeSpeeds(speeds);
    return this.choice as ThreadChoice;
  }

  /** Keeps the fastest count of a measurement (a bigger count must win by 5 %) and what each count decoded. */
  takeSpeeds(speeds: Record<string, number>, now = Date.now()): ThreadChoice {
    const candidates = Object.keys(speeds).map(Number).sort((a, b) => a - b);
    let best = candidates[0] ?? 1;
    for (const n of candidates) if ((speeds[n] ?? 0) > (speeds[best] ?? 0) * 1.05) best = n;
    // What turns showed before described another load on the machine: turns from now on set the expectation
    // (a measurement decodes from BOS in a small context, faster than a turn with its prompt and events).
    this.expected.clear();
    this.choice = { threads: best, source: 'measured' };
    this.unreported = { threads: best, tokensPerSecond: speeds, measuredAt: new Date(now).toISOString() };
    this.staleSince = null;
    this.slowInARow = 0;
    this.lastMeasuredAt = now;
    return this.choice;
  }

  /** The measurement made since the last call, once: the engine reports it to the host, which caches it. */
  takeMeasurement(): ThreadMeasurement | null {
    const m = this.unreported;
    this.unreported = null;
    return m;
  }
}

function candidateCounts(cores: number): number[] {
  const out: number[] = [];
  for (let n = 1; n < cores; n *= 2) out.push(n);
  out.push(cores);
  return out;
}

/** Greedy-decodes TOKENS_PER_TRIAL tokens from BOS in a small throw-away context; tokens/s. */
async function measureDecodeSpeed(model: LlamaModel, threads: number): Promise<number> {
  const context = await model.createContext({ contextSize: 256, sequences: 1, threads });
  try {
    const sequence = context.getSequence();
    const start: Token[] = [model.tokens.bos ?? (model.tokenize('a')[0] as Token)];
    let count = 0;
    let t0 = 0;
    for await (const _token of sequence.evaluate(start, { temperature: 0 })) {
      // The first token includes the prompt decode and warm-up; time the steady state after it.
      if (count === 0) t0 = performance.now();
      count++;
      if (count > TOKENS_PER_TRIAL || performance.now() - t0 > TRIAL_TIME_LIMIT_MS) break;
    }
    const ms = performance.now() - t0;
    return count > 1 && ms > 0 ? ((count - 1) * 1000) / ms : 0;
  } finally {
    await context.dispose();
  }
}
