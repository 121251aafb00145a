/**
 * Download throughput against the local fake hub (src-main/host/testing/fakeHub.ts: hub + CDN on 127.0.0.1, a
 * redirect between them). Three figures per run, MiB/s of the file's size:
 *   - raw: fetch of the resolve URL, body discarded (what the local server and Node's HTTP can do),
 *   - reckon: downloads.start -> done (HTTP, write to the partial file, sha256 as the bytes arrive, the
 *     check, the move into place; the import is a stub here: inspect's cost is the engine's, not the download's),
 *   - resumed: the same with the connection dropped at half the file (one retry, Range + If-Range).
 * Run: npx tsx tools/bench/downloads.bench.ts   (BENCH_DOWNLOAD_MIB=256, BENCH_RUNS=3)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DownloadInfo } from '../../src-main/common/downloads';
import type { ModelInfo } from '../../src-main/common/types';
import { DownloadsService } from '../../src-main/host/downloads/DownloadsService';
import { Store } from '../../src-main/host/store/Store';
import { startFakeHub } from '../../src-main/host/testing/fakeHub';

const mib = Number(process.env['BENCH_DOWNLOAD_MIB'] ?? 256);
const runs = Number(process.env['BENCH_RUNS'] ?? 3);
const size = mib * 1024 * 1024;
const content = Buffer.concat([Buffer.from('GGUF'), randomBytes(size - 4)]);
const hub = await startFakeHub({ repos: [{ id: 'bench/Model-GGUF', files: { 'model.Q4_K_M.gguf': content } }] });
const url = `${hub.endpoint}/bench/Model-GGUF/resolve/main/model.Q4_K_M.gguf`;
const rate = (ms: number): string => `${(mib / (ms / 1000)).toFixed(0)} MiB/s`;

async function raw(): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url);
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) n += chunk.byteLength;
  if (n !== size) throw new Error(`raw fetch got ${n} bytes`);
  return performance.now() - t0;
}

async function reckon(dropAtHalf: boolean): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'reckon-dl-bench-'));
  try {
    const store = await Store.open(dir);
    let done!: (d: DownloadInfo) => void;
    const finished = new Promise<DownloadInfo>((r) => { done = r; });
    const svc = new DownloadsService({
      store, userDataDir: dir, hub: { endpoint: hub.endpoint, retryDelayMs: 0 },
      models: { import: async (path: string) => ({ id: 'bench', path } as ModelInfo) },
      emit: (d) => { if (d.state === 'done' || d.state === 'error') done(d); },
    });
    await svc.open();
    if (dropAtHalf) hub.fault('model.Q4_K_M.gguf', { kind: 'drop', afterBytes: Math.floor(size / 2) });
    const t0 = performance.now();
    await svc.start({ repo: 'bench/Model-GGUF' });
    const d = await finished;
    const ms = performance.now() - t0;
    if (d.state !== 'done') throw new Error(`download ended ${d.state}: ${d.error?.message}`);
    await svc.close();
    return ms;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`download bench: ${mib} MiB file, ${runs} runs, local hub -> CDN redirect on 127.0.0.1`);
for (let i = 0; i < runs; i++) {
  const r = await raw();
  const a = await reckon(false);
  const b = await reckon(true);
  console.log(`run ${i + 1}: raw fetch ${rate(r)} (${r.toFixed(0)} ms) | reckon download ${rate(a)} (${a.toFixed(0)} ms) | dropped at half + resumed ${rate(b)} (${b.toFixed(0)} ms)`);
}
await hub.close();
