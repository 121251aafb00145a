import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname } from 'node:path';
import type { Llama, LlamaModel, Token } from 'node-llama-cpp';

/** The thread count llama.cpp uses and how it was chosen. */
export interface ThreadChoice {
  threads: number;
  source: 'measured' | 'cached' | 'settings';
}

interface CacheEntry {
  threads: number;
  /** Decode speed per candidate thread count, tokens/s. */
  tokensPerSecond: Record<string, number>;
  measuredAt: string;
}

/** Tokens decoded one by one per candidate: enough to see the steady speed, cheap on a tiny model. */
const TOKENS_PER_TRIAL = 32;
/** A trial on a big model stops early after this long; the speed so far is what counts. ms. */
const TRIAL_TIME_LIMIT_MS = 4_000;

/**
 * Chooses llama.cpp's thread count. The library default (max(cores, 4)) is pathological on small
 * machines (FINDINGS: ~1 tok/s instead of ~1,300 on 2 cores), so the count is always explicit:
 * the user's setting, else a per-machine cache, else one measurement on the first loaded model.
 */
export class ThreadTuner {
  readonly cores = availableParallelism();
  private choice: ThreadChoice | null;

  /**
   * @param cachePath JSON file keyed by machine (CPU model + core count).
   * @param settingsThreads the user's setting; null = measure or use the cache.
   */
  constructor(private readonly cachePath: string, settingsThreads: number | null) {
    if (settingsThreads !== null) {
      this.choice = { threads: Math.max(1, Math.floor(settingsThreads)), source: 'settings' };
    } else {
      const cached = this.readCache()[machineKey(this.cores)];
      this.choice = cached && Number.isInteger(cached.threads) && cached.threads >= 1
        ? { threads: cached.threads, source: 'cached' }
        : null;
    }
  }

  /** The current choice; before the first measurement, a safe provisional single thread. */
  current(): ThreadChoice {
    return this.choice ?? { threads: 1, source: 'measured' };
  }

  /** True until a measurement has been made (no setting, no cache entry). */
  get needsMeasurement(): boolean {
    return this.choice === null;
  }

  /**
   * Measures decode speed for 1, 2, 4 ... up to the core count on the given model, keeps the fastest
   * and writes it to the cache. Does nothing when a choice exists already.
   */
  async ensureMeasured(llama: Llama, model: LlamaModel): Promise<ThreadChoice> {
    if (this.choice !== null) return this.choice;
    const candidates = candidateCounts(this.cores);
    const speeds: Record<string, number> = {};
    const previousMax = llama.maxThreads;
    llama.maxThreads = Math.max(previousMax, this.cores);
    try {
      for (const n of candidates) speeds[n] = await measureDecodeSpeed(model, n);
    } finally {
      llama.maxThreads = previousMax;
    }
    let best = candidates[0] ?? 1;
    for (const n of candidates) if ((speeds[n] ?? 0) > (speeds[best] ?? 0) * 1.05) best = n;
    this.choice = { threads: best, source: 'measured' };
    this.writeCache({ threads: best, tokensPerSecond: speeds, measuredAt: new Date().toISOString() });
    return this.choice;
  }

  private readCache(): Record<string, CacheEntry | undefined> {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.cachePath, 'utf8'));
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, CacheEntry>) : {};
    } catch {
      return {}; // missing or corrupt cache: measure again
    }
  }

  private writeCache(entry: CacheEntry): void {
    try {
      const all = { ...this.readCache(), [machineKey(this.cores)]: entry };
      mkdirSync(dirname(this.cachePath), { recursive: true });
      const tmp = `${this.cachePath}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`);
      renameSync(tmp, this.cachePath);
    } catch (err) {
      // A cache we cannot write costs one more measurement next start, nothing else.
      process.stderr.write(`[engine] could not write thread cache ${this.cachePath}: ${String(err)}\n`);
    }
  }
}

function machineKey(cores: number): string {
  return `${cpus()[0]?.model.trim() ?? 'unknown cpu'} x${cores}`;
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
