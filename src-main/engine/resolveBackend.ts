import { getLlama, LlamaLogLevel, NoBinaryFoundError, type Llama } from 'node-llama-cpp';
import { ReckonError } from '../common/errors';
import type { BackendChoice } from '../common/types';

/** A loaded llama.cpp binding and, when the user's override could not load, why. */
export interface ResolvedBackend {
  llama: Llama;
  /** Human sentence; set when the requested backend failed and auto was used instead. */
  fallbackReason?: string;
}

const labels: Record<BackendChoice, string> = { auto: 'automatic', cpu: 'CPU', cuda: 'CUDA', vulkan: 'Vulkan', metal: 'Metal' };

/**
 * Loads llama.cpp for the requested backend with prebuilt binaries only (never builds from source).
 * An override that cannot load (no binary, no driver) falls back to auto and says why.
 * @param maxThreads upper bound on llama.cpp's CPU threads; always explicit (the default oversubscribes small machines).
 */
export async function resolveBackend(requested: BackendChoice, maxThreads: number): Promise<ResolvedBackend> {
  const load = (gpu: 'auto' | 'cuda' | 'vulkan' | 'metal' | false): Promise<Llama> =>
    getLlama({
      gpu,
      build: 'never',
      maxThreads,
      logLevel: LlamaLogLevel.error,
      // llama.cpp logs go to stderr so that stdout stays clean for whoever forked us.
      logger: (level, message) => process.stderr.write(`[llama ${level}] ${message.trimEnd()}\n`),
    });
  const gpu = requested === 'auto' ? 'auto' : requested === 'cpu' ? false : requested;
  try {
    return { llama: await load(gpu) };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (requested === 'auto') {
      throw new ReckonError('BACKEND_UNAVAILABLE', `llama.cpp could not be loaded on this machine: ${why}`, { requested });
    }
    try {
      const llama = await load('auto');
      const active = llama.gpu === false ? 'CPU' : labels[llama.gpu];
      return {
        llama,
        fallbackReason: `The ${labels[requested]} backend could not be loaded on this machine (${explain(err, requested)}), so ${active} is used instead.`,
      };
    } catch (err2) {
      const why2 = err2 instanceof Error ? err2.message : String(err2);
      throw new ReckonError('BACKEND_UNAVAILABLE', `Neither the ${labels[requested]} backend nor the automatic choice could be loaded: ${why2}`,
        { requested, overrideError: why });
    }
  }
}

function explain(err: unknown, requested: BackendChoice): string {
  if (err instanceof NoBinaryFoundError) return `no ${labels[requested]} build of llama.cpp is usable here: the driver or the prebuilt binary is missing`;
  return firstLine(err instanceof Error ? err.message : String(err));
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
