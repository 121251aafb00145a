import type { BackendInfo } from './types';

/**
 * What runs, in the words `reckon info` and the UI use: "cpu", "vulkan", or "cpu (vulkan found no device)" when a
 * GPU backend loaded without a device and the CPU runs the model instead; "cpu (vulkan found only llvmpipe, software)"
 * when its only device was a software renderer that auto skipped; "vulkan (llvmpipe, software)" when the user chose
 * Vulkan and it runs on one; "remote llama-server at <url>" for a remote engine.
 */
export function backendLabel(b: Pick<BackendInfo, 'active' | 'noDevice'> & Partial<Pick<BackendInfo, 'remote' | 'softwareDevices'>>): string {
  if (b.remote !== undefined) return `remote llama-server at ${b.remote.url}`;
  const software = b.softwareDevices !== undefined && b.softwareDevices.length > 0 ? `${b.softwareDevices.map(shortName).join(', ')}, software` : undefined;
  if (b.noDevice !== undefined) return software !== undefined ? `${b.active} (${b.noDevice} found only ${software})` : `${b.active} (${b.noDevice} found no device)`;
  return software !== undefined ? `${b.active} (${software})` : b.active;
}

/** "llvmpipe (LLVM 15.0.6, 256 bits)" -> "llvmpipe": the renderer's name without its build details. */
function shortName(device: string): string {
  return device.replace(/\s*\(.*\)\s*$/, '') || device;
}
