import type { Llama } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { backendLabel } from '../common/backendLabel';
import type { GpuBackend } from '../common/types';
import { isSoftwareDevice, resolveBackend, type BackendLoader } from './resolveBackend';

/** A stand-in llama.cpp: which builds load, which of them auto picks, and the devices each GPU build sees. */
function machine(o: { loads: (GpuBackend | 'cpu')[]; auto: GpuBackend | 'cpu'; devices: Partial<Record<GpuBackend, string[]>> }) {
  const loaded: (string | false)[] = [];
  const disposed: string[] = [];
  const fake = (gpu: GpuBackend | false): Llama => ({
    gpu,
    dispose: async () => { disposed.push(gpu === false ? 'cpu' : gpu); },
  }) as unknown as Llama;
  const loader: BackendLoader = {
    load: async (gpu) => {
      loaded.push(gpu);
      const which = gpu === 'auto' ? o.auto : gpu === false ? 'cpu' : gpu;
      if (!o.loads.includes(which)) throw new Error(`no ${which} binary`);
      return fake(which === 'cpu' ? false : which);
    },
    devices: async (llama) => (llama.gpu === false ? [] : o.devices[llama.gpu] ?? []),
  };
  return { loader, loaded, disposed };
}

describe('resolveBackend', () => {
  it('auto picking Vulkan with no device runs on the CPU build and says why', async () => {
    const m = machine({ loads: ['vulkan', 'cpu'], auto: 'vulkan', devices: { vulkan: [] } });
    const r = await resolveBackend('auto', 2, m.loader);
    expect(r.llama.gpu).toBe(false);
    expect(r.noDevice).toBe('vulkan');
    expect(r.fallbackReason).toBeUndefined();
    expect(m.loaded).toEqual(['auto', false]);
    expect(m.disposed).toEqual(['vulkan']);
    expect(backendLabel({ active: 'cpu', noDevice: r.noDevice })).toBe('cpu (vulkan found no device)');
  });

  it('auto picking Vulkan with a device keeps it', async () => {
    const m = machine({ loads: ['vulkan', 'cpu'], auto: 'vulkan', devices: { vulkan: ['AMD Radeon'] } });
    const r = await resolveBackend('auto', 2, m.loader);
    expect(r.llama.gpu).toBe('vulkan');
    expect(r.noDevice).toBeUndefined();
    expect(m.disposed).toEqual([]);
    expect(backendLabel({ active: 'vulkan' })).toBe('vulkan');
  });

  it.each(['cuda', 'metal'] as const)('an explicit %s override without a device falls back to the CPU with a reason', async (gpu) => {
    const m = machine({ loads: [gpu, 'cpu'], auto: gpu, devices: {} });
    const r = await resolveBackend(gpu, 2, m.loader);
    expect(r.llama.gpu).toBe(false);
    expect(r.noDevice).toBe(gpu);
    expect(r.fallbackReason).toMatch(/found no device on this machine, so the CPU is used instead\.$/);
  });

  it('an override that does not load falls back to auto; auto on Vulkan without a device ends on the CPU', async () => {
    const m = machine({ loads: ['vulkan', 'cpu'], auto: 'vulkan', devices: {} });
    const r = await resolveBackend('cuda', 2, m.loader);
    expect(m.loaded).toEqual(['cuda', 'auto', false]);
    expect(r.llama.gpu).toBe(false);
    expect(r.noDevice).toBe('vulkan');
    expect(r.fallbackReason).toBe('The CUDA backend could not be loaded on this machine (no cuda binary), and Vulkan found no device, so the CPU is used instead.');
  });

  it('an override that does not load falls back to auto on the CPU, with no device check', async () => {
    const m = machine({ loads: ['cpu'], auto: 'cpu', devices: {} });
    const r = await resolveBackend('vulkan', 2, m.loader);
    expect(r.llama.gpu).toBe(false);
    expect(r.noDevice).toBeUndefined();
    expect(r.fallbackReason).toBe('The Vulkan backend could not be loaded on this machine (no vulkan binary), so the CPU is used instead.');
  });

  it('a device-less GPU build whose CPU build fails is BACKEND_UNAVAILABLE naming both', async () => {
    const m = machine({ loads: ['vulkan'], auto: 'vulkan', devices: {} });
    await expect(resolveBackend('auto', 2, m.loader)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringMatching(/^Vulkan found no device and the CPU build/), details: { noDevice: 'vulkan' } });
  });

  it('cpu asks for the CPU build only', async () => {
    const m = machine({ loads: ['cpu', 'vulkan'], auto: 'vulkan', devices: { vulkan: ['x'] } });
    const r = await resolveBackend('cpu', 2, m.loader);
    expect(m.loaded).toEqual([false]);
    expect(r.llama.gpu).toBe(false);
    expect(r).not.toHaveProperty('noDevice');
  });

  const llvmpipe = 'llvmpipe (LLVM 15.0.6, 256 bits)';

  it('auto on Vulkan whose only device is llvmpipe runs the CPU build and names the software device', async () => {
    const m = machine({ loads: ['vulkan', 'cpu'], auto: 'vulkan', devices: { vulkan: [llvmpipe] } });
    const r = await resolveBackend('auto', 2, m.loader);
    expect(m.loaded).toEqual(['auto', false]);
    expect(m.disposed).toEqual(['vulkan']);
    expect(r.llama.gpu).toBe(false);
    expect(r.noDevice).toBe('vulkan');
    expect(r.softwareDevices).toEqual([llvmpipe]);
    expect(r.fallbackReason).toBeUndefined();
    expect(backendLabel({ active: 'cpu', noDevice: r.noDevice, softwareDevices: r.softwareDevices })).toBe('cpu (vulkan found only llvmpipe, software)');
  });

  it('an explicit Vulkan choice on llvmpipe keeps Vulkan and labels it software', async () => {
    const m = machine({ loads: ['vulkan', 'cpu'], auto: 'vulkan', devices: { vulkan: [llvmpipe] } });
    const r = await resolveBackend('vulkan', 2, m.loader);
    expect(m.loaded).toEqual(['vulkan']);
    expect(r.llama.gpu).toBe('vulkan');
    expect(r.noDevice).toBeUndefined();
    expect(r.softwareDevices).toEqual([llvmpipe]);
    expect(backendLabel({ active: 'vulkan', softwareDevices: r.softwareDevices })).toBe('vulkan (llvmpipe, software)');
  });

  it('a real GPU beside llvmpipe keeps Vulkan with no software mark', async () => {
    const m = machine({ loads: ['vulkan', 'cpu'], auto: 'vulkan', devices: { vulkan: [llvmpipe, 'AMD Radeon RX 7600 (RADV NAVI33)'] } });
    const r = await resolveBackend('auto', 2, m.loader);
    expect(r.llama.gpu).toBe('vulkan');
    expect(r).not.toHaveProperty('softwareDevices');
    expect(r).not.toHaveProperty('noDevice');
  });

  it('an override that does not load falls back to auto; auto on llvmpipe only ends on the CPU and says so', async () => {
    const m = machine({ loads: ['vulkan', 'cpu'], auto: 'vulkan', devices: { vulkan: [llvmpipe] } });
    const r = await resolveBackend('cuda', 2, m.loader);
    expect(m.loaded).toEqual(['cuda', 'auto', false]);
    expect(r.llama.gpu).toBe(false);
    expect(r.fallbackReason).toBe(`The CUDA backend could not be loaded on this machine (no cuda binary), and Vulkan found only a software device (${llvmpipe}), so the CPU is used instead.`);
  });

  it('isSoftwareDevice knows the software renderers by name and no hardware one', () => {
    for (const name of [llvmpipe, 'lavapipe', 'softpipe', 'SwiftShader Device (Subzero)', 'SwiftShader Device (LLVM 10.0.0)'])
      expect(isSoftwareDevice(name)).toBe(true);
    for (const name of ['AMD Radeon RX 7600 (RADV NAVI33)', 'Intel(R) UHD Graphics 620 (KBL GT2)', 'NVIDIA GeForce RTX 4090', 'Apple M2', 'V3D 4.2'])
      expect(isSoftwareDevice(name)).toBe(false);
  });
});
