/**
 * Backend report check: on this machine's real Vulkan set-up, does `reckon info` say what actually runs? For
 * `auto` and `vulkan`, with llama.cpp's own device list and with GGML_VK_VISIBLE_DEVICES=0 (which makes llama.cpp
 * use a CPU-type device such as Mesa's llvmpipe), it asks node-llama-cpp directly which build loads and which
 * devices it sees, runs the built CLI's `reckon info` in a temp data folder, and checks the backend line against
 * the rule (resolveBackend.ts): only software devices -> auto runs the CPU build and says so, an explicit `vulkan`
 * runs on them labelled "software". It also measures decode tokens/s of the bundled model on the CPU build and on
 * the software device (niced; a shared machine's figures are noisy). Without the Vulkan build or a Vulkan loader
 * it says so and exits 0: there is nothing to check.
 *   npm run soak:backend
 * Needs `npm run build` (out/main/cli.js) and the bundled model; loopback and temp folders only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { isSoftwareDevice } from '../../src-main/engine/resolveBackend';

const model = resolve('models/reckon-arith.gguf');
const cli = resolve('bin/reckon.mjs');

async function direct(gpu: 'auto' | 'vulkan' | false): Promise<{ gpu: string | false; devices: string[] } | null> {
  try {
    const llama = await getLlama({ gpu, build: 'never', maxThreads: 1, logLevel: LlamaLogLevel.error });
    const devices = llama.gpu === false ? [] : await llama.getGpuDeviceNames();
    const r = { gpu: llama.gpu, devices };
    await llama.dispose();
    return r;
  } catch {
    return null;
  }
}

/** Decode tokens/s of greedy generation after the first token, median of 3. */
async function decodeRate(gpu: 'vulkan' | false): Promise<number> {
  const llama = await getLlama({ gpu, build: 'never', maxThreads: 1, logLevel: LlamaLogLevel.error });
  const m = await llama.loadModel({ modelPath: model, gpuLayers: gpu === false ? 0 : 'max' });
  const ctx = await m.createContext({ contextSize: 512, threads: 1 });
  const seq = ctx.getSequence();
  const prompt = m.tokenize('What is 12+34?');
  const rates: number[] = [];
  for (let r = 0; r < 3; r++) {
    await seq.clearHistory();
    let n = 0;
    let first = 0;
    for await (const _ of seq.evaluate(prompt, { temperature: 0 })) {
      if (++n === 1) first = performance.now();
      if (n >= 64) break;
    }
    rates.push((n - 1) / ((performance.now() - first) / 1000));
  }
  await llama.dispose();
  return rates.sort((a, b) => a - b)[1]!;
}

async function infoBackendLine(backend: string, env: NodeJS.ProcessEnv): Promise<{ backend: string; vram: string }> {
  const home = await mkdtemp(join(tmpdir(), 'reckon-backend-'));
  try {
    await writeFile(join(home, 'settings.json'), JSON.stringify({ backend, threads: 1 }));
    const r = spawnSync(process.execPath, [cli, 'info'], { env: { ...env, RECKON_HOME: home }, encoding: 'utf8' });
    const line = (k: string): string => r.stdout.split('\n').find((l) => l.startsWith(k))?.slice(k.length).trim() ?? `(no ${k} line; exit ${r.status})`;
    return { backend: line('backend'), vram: line('vram') };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/**
 * llama.cpp reads GGML_VK_VISIBLE_DEVICES once per process, so each direct look and each measurement runs in a
 * child process of this script with its own environment.
 */
function inChild<T>(env: NodeJS.ProcessEnv, what: string[]): T | null {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, '--child', ...what], { env, encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  return line === undefined ? null : (JSON.parse(line) as { value: T }).value;
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [kind, gpuArg] = process.argv.slice(childAt + 1);
  const gpu = gpuArg === 'cpu' ? false : (gpuArg as 'auto' | 'vulkan');
  const value = kind === 'rate' ? await decodeRate(gpu === 'auto' ? 'vulkan' : gpu) : await direct(gpu);
  process.stdout.write(`${JSON.stringify({ value })}\n`);
  process.exit(0);
}

const vulkaninfo = spawnSync('vulkaninfo', ['--summary'], { encoding: 'utf8' });
const loaderDevices = vulkaninfo.status === 0 ? [...vulkaninfo.stdout.matchAll(/deviceName\s*=\s*(.+)/g)].map((m) => m[1]!.trim()) : null;
console.log(`Vulkan loader devices (vulkaninfo): ${loaderDevices === null ? 'vulkaninfo not available' : loaderDevices.join(', ') || 'none'}`);
let failures = 0;
let cases = 0;
for (const visible of [undefined, '0']) {
  const env = { ...process.env };
  if (visible === undefined) delete env.GGML_VK_VISIBLE_DEVICES; else env.GGML_VK_VISIBLE_DEVICES = visible;
  const vk = inChild<Awaited<ReturnType<typeof direct>>>(env, ['direct', 'vulkan']);
  if (vk === null || vk.gpu !== 'vulkan') {
    console.log('The Vulkan build of llama.cpp does not load here: nothing to check.');
    break;
  }
  const software = vk.devices.length > 0 && vk.devices.every(isSoftwareDevice);
  for (const backend of ['auto', 'vulkan'] as const) {
    const auto = backend === 'auto' ? inChild<Awaited<ReturnType<typeof direct>>>(env, ['direct', 'auto']) : vk;
    const got = await infoBackendLine(backend, env);
    // What the rule says the report must be, from what llama.cpp really loaded and saw.
    const want = auto?.gpu !== 'vulkan' ? /^cpu\b/
      : vk.devices.length === 0 ? /^cpu \(vulkan found no device\)/
      : software ? (backend === 'auto' ? /^cpu \(vulkan found only [^)]*software\)/ : /^vulkan \([^)]*software\)/)
      : /^vulkan,/;
    const ok = want.test(got.backend);
    cases++;
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} GGML_VK_VISIBLE_DEVICES=${visible ?? '(unset)'} backend=${backend}: llama.cpp vulkan devices [${vk.devices.join(', ')}]; reckon info: backend ${got.backend}; vram ${got.vram}`);
  }
  if (software) {
    const cpuRate = inChild<number>(env, ['rate', 'cpu']);
    const swRate = inChild<number>(env, ['rate', 'vulkan']);
    console.log(`decode, 1 thread: CPU build ${cpuRate?.toFixed(0) ?? '?'} tokens/s, Vulkan on ${vk.devices.join(', ')} ${swRate?.toFixed(1) ?? '?'} tokens/s`);
  }
}
console.log(`${cases} cases, ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
