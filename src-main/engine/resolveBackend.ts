import { getLlama, LlamaLogLevel, NoBinaryFoundError, type Llama } from 'node-llama-cpp';
import { ReckonError } from '../common/errors';
import type { BackendChoice, GpuBackend } from '../common/types';

/** A loaded llama.cpp binding and, when the user's override could not load, why. */
export interface ResolvedBackend {
  llama: Llama;
  /** Human sentence; set when the requested backend failed and another one is used instead. */
  fallbackReason?: string;
  /**
   * A GPU backend that loaded but reported no device (Vulkan through Mesa's drivers on a machine without a GPU):
   * Reckon runs on the CPU instead and every report says so. Absent when nothing was skipped.
   */
  noDevice?: GpuBackend;
  /**
   * The GPU build's devices when every one is a software renderer (isSoftwareDevice: Mesa's llvmpipe / lavapipe,
   * SwiftShader): kept when the user chose that backend explicitly, skipped (with noDevice) for auto. Absent otherwise.
   */
  softwareDevices?: string[];
}

/** What resolveBackend needs from node-llama-cpp; injectable so the choice can be tested without a GPU. */
export interface BackendLoader {
  /** Loads llama.cpp with `gpu` (false = CPU only); rejects when that build cannot load here. */
  load(gpu: 'auto' | GpuBackend | false): Promise<Llama>;
  /** The devices a loaded GPU build sees (node-llama-cpp's getGpuDeviceNames); [] = none. */
  devices(llama: Llama): Promise<string[]>;
}

/**
 * A Vulkan device that is a CPU renderer, by the names Mesa's lavapipe ("llvmpipe (LLVM 15.0.6, 256 bits)"),
 * softpipe and Google's SwiftShader give it. node-llama-cpp reports only names, not Vulkan's device type. llama.cpp
 * itself skips CPU-type devices unless GGML_VK_VISIBLE_DEVICES names them; on them the model runs ~50x slower than
 * the CPU build (docs/reliability.md).
 */
export function isSoftwareDevice(name: string): boolean {
  return /\b(llvmpipe|lavapipe|softpipe|swiftshader)\b/i.test(name);
}

const labels: Record<BackendChoice, string> = { auto: 'automatic', cpu: 'CPU', cuda: 'CUDA', vulkan: 'Vulkan', metal: 'Metal' };

/** node-llama-cpp with prebuilt binaries only (never builds from source) and its logs on stderr. */
export function llamaLoader(maxThreads: number): BackendLoader {
  return {
    load: (gpu) =>
      getLlama({
        gpu,
        build: 'never',
        maxThreads,
        logLevel: LlamaLogLevel.error,
        // llama.cpp logs go to stderr so that stdout stays clean for whoever forked us.
        logger: (level, message) => process.stderr.write(`[llama ${level}] ${message.trimEnd()}\n`),
      }),
    devices: (llama) => llama.getGpuDeviceNames(),
  };
}

/**
 * Loads llama.cpp for the requested backend. An override that cannot load (no binary, no driver) falls back to
 * auto and says why. A GPU backend that loads but has no device (auto picking Vulkan on Mesa without a GPU) is
 * not used: llama.cpp is loaded again CPU-only and `noDevice` names the backend that was skipped, so no report
 * says "vulkan" while the model runs on the CPU.
 * @param maxThreads upper bound on llama.cpp's CPU threads; always explicit (the default oversubscribes small machines).
 * @param loader defaults to node-llama-cpp (llamaLoader); tests pass their own.
 */
export async function resolveBackend(requested: BackendChoice, maxThreads: number, loader: BackendLoader = llamaLoader(maxThreads)): Promise<ResolvedBackend> {
  const gpu = requested === 'auto' ? 'auto' : requested === 'cpu' ? false : requested;
  // overrideWhy: why the user's override did not load (auto was loaded instead).
  let first: { llama: Llama; overrideWhy?: string };
  try {
    first = { llama: await loader.load(gpu) };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (requested === 'auto') {
      throw new ReckonError('BACKEND_UNAVAILABLE', `llama.cpp could not be loaded on this machine: ${why}`, { requested });
    }
    try {
      const llama = await loader.load('auto');
      first = { llama, overrideWhy: `The ${labels[requested]} backend could not be loaded on this machine (${explain(err, requested)})` };
    } catch (err2) {
      const why2 = err2 instanceof Error ? err2.message : String(err2);
      throw new ReckonError('BACKEND_UNAVAILABLE', `Neither the ${labels[requested]} backend nor the automatic choice could be loaded: ${why2}`,
        { requested, overrideError: why });
    }
  }
  const found = first.llama.gpu;
  const overridden = (active: string): { fallbackReason?: string } =>
    first.overrideWhy === undefined ? {} : { fallbackReason: `${first.overrideWhy}, so ${active} is used instead.` };
  if (found === false) return { llama: first.llama, ...overridden('the CPU') };
  const devices = await loader.devices(first.llama).catch(() => []);
  const software = devices.length > 0 && devices.every(isSoftwareDevice) ? devices : undefined;
  if (devices.length > 0 && software === undefined) return { llama: first.llama, ...overridden(labels[found]) };
  // Only a software renderer: an explicit choice of that backend is honoured (and labelled software); auto is not
  // a choice of it, so it gets the faster CPU build.
  if (software !== undefined && requested === found) return { llama: first.llama, softwareDevices: software };
  // A GPU build with no device (or only a software one) runs everything on the CPU anyway: use the CPU build.
  await first.llama.dispose().catch(() => undefined);
  let cpu: Llama;
  try {
    cpu = await loader.load(false);
  } catch (err) {
    throw new ReckonError('BACKEND_UNAVAILABLE', `${labels[found]} found no device and the CPU build of llama.cpp could not be loaded: ${firstLine(err instanceof Error ? err.message : String(err))}`,
      { requested, noDevice: found });
  }
  // auto choosing a backend without a device is not a fallback from what the user asked: noDevice says it.
  const foundWhat = software === undefined ? 'found no device' : `found only a software device (${software.join(', ')})`;
  const fallbackReason = first.overrideWhy !== undefined
    ? `${first.overrideWhy}, and ${labels[found]} ${foundWhat}, so the CPU is used instead.`
    : requested === found ? `The ${labels[found]} backend found no device on this machine, so the CPU is used instead.` : undefined;
  return { llama: cpu, noDevice: found, ...(software !== undefined ? { softwareDevices: software } : {}), ...(fallbackReason !== undefined ? { fallbackReason } : {}) };
}

function explain(err: unknown, requested: BackendChoice): string {
  if (err instanceof NoBinaryFoundError) return `no ${labels[requested]} build of llama.cpp is usable here: the driver or the prebuilt binary is missing`;
  return firstLine(err instanceof Error ? err.message : String(err));
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
