import type { BackendInfo } from './types';

/**
 * What runs, in the words `reckon info` and the UI use: "cpu", "vulkan", or "cpu (vulkan found no device)" when a
 * GPU backend loaded without a device and the CPU runs the model instead; "remote llama-server at <url>" for a remote engine.
 */
export function backendLabel(b: Pick<BackendInfo, 'active' | 'noDevice'> & Partial<Pick<BackendInfo, 'remote'>>): string {
  if (b.remote !== undefined) return `remote llama-server at ${b.remote.url}`;
  return b.noDevice !== undefined ? `${b.active} (${b.noDevice} found no device)` : b.active;
}
