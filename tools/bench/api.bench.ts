/**
 * API overhead per request (docs/bench.md): the same turn on the bundled model through the OpenAI-compatible API
 * (official `openai` client -> HTTP -> web server -> host) against a direct host call as `reckon ask` makes it
 * (chat.send + turn events, in process). Same question, seed, effort and strategy; runs alternate (ABBA) so drift
 * hits both sides alike. Prints the median wall time per request of each and their difference.
 * `npx electron-vite build` first (the engine is out/main/engine.js); BENCH_RUNS sets the runs (default 15).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { SendParams } from '../../src-main/common/api';
import { createHost, type Host } from '../../src-main/host';
import { startWebServer } from '../../src-main/web/server';
import { modelsDir } from '../model/reckonArith';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const QUESTION = 'What is 123456 + 654321?';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One turn as `reckon ask` runs it: chat.send, then events until done. */
async function direct(host: Host, p: SendParams): Promise<number> {
  const t0 = performance.now();
  let id = '';
  await new Promise<void>((resolve, reject) => {
    const off = host.onTurnEvent((e) => {
      if (e.type !== 'done' && e.type !== 'error') return;
      // chat.send answers before its turn's first event, so the id is known by then.
      if (e.turnId === id) { off(); if (e.type === 'error') reject(new Error(e.error.message)); else resolve(); }
    });
    host.call('chat.send', p).then((r) => { id = r.turnId; }, reject);
  });
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'reckon-api-bench-'));
  const host = await createHost({ userDataDir: home, modelsDir, shell: 'browser' });
  const web = await startWebServer({ host, rendererDir: join(home, 'no-renderer') });
  try {
    await host.call('settings.update', { threads: 1, backend: 'cpu', temperature: 0, maxTokens: 400 });
    const client = new OpenAI({ apiKey: (await host.call('api.key')).key, baseURL: `http://127.0.0.1:${web.port}/v1`, maxRetries: 0 });
    const viaApi = async (): Promise<number> => {
      const t0 = performance.now();
      await client.chat.completions.create({ model: 'reckon', messages: [{ role: 'user', content: QUESTION }], reasoning_effort: 'high', seed: 1, reckon: { strategy: 'budget' } } as never);
      return performance.now() - t0;
    };
    const p: SendParams = { text: QUESTION, effort: 1, seed: 1, strategy: 'budget' };
    await direct(host, p); // warm-up: loads the model
    await viaApi();
    const a: number[] = [], d: number[] = [];
    // ABBA order: whatever the previous turn leaves behind (receipt writes, a freed sequence) falls on both sides.
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) { d.push(await direct(host, p)); a.push(await viaApi()); }
      else { a.push(await viaApi()); d.push(await direct(host, p)); }
    }
    const md = median(d), ma = median(a);
    process.stdout.write(`API overhead per request (${RUNS} runs each, median): direct ${md.toFixed(1)} ms, API ${ma.toFixed(1)} ms, ` +
      `overhead ${(ma - md).toFixed(1)} ms (${(((ma - md) / md) * 100).toFixed(1)} %)\n`);
  } finally {
    await web.close();
    await host.close();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
