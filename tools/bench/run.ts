/**
 * `npm run bench`: figures for the bundled model on this machine, one llama thread.
 * - bare node-llama-cpp greedy decoding (the baseline);
 * - Reckon's full path (host -> engine process -> node-llama-cpp, streaming events), same model and threads:
 *   decode tokens/s, the ratio to bare, time to first token, engine memory (RSS).
 * Further sections (controller, receipts) append their own figures.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost } from '../../src-main/host';
import type { TurnEvent } from '../../src-main/common/events';
import { mergeControllerSettings } from '../../src-main/common/controller/defaults';
import type { Message } from '../../src-main/common/types';
import { bareDecode } from './bareDecode';
import { bundledModelPath, modelsDir } from '../model/reckonArith';

const QUESTION = 'What is 123456 + 654321?';
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const THREADS = 1;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Reckon's path on one strategy. 'long' = plain LlamaChat decoding; 'controller' = the controller's own
 * token-by-token path (decodePath: budget accounting, step detection, hidden-token log) with no budget and no
 * early exit, so it decodes the same tokens: the difference is the controller's own cost per token.
 */
async function reckonDecode(mode: 'long' | 'controller' = 'long') {
  const home = mkdtempSync(join(tmpdir(), 'reckon-bench-'));
  const host = await createHost({ userDataDir: home, modelsDir, shell: 'cli' });
  try {
    await host.call('settings.update', { threads: THREADS, temperature: 0 });
    if (mode === 'controller') {
      const open = { budgetFraction: null, earlyExitThreshold: null };
      await host.call('settings.update', { controller: mergeControllerSettings({ strategies: { easy: open, normal: open, hard: open } }) });
    }
    let tokens = 0, seconds = 0, ttft = 0;
    // TTFT split per turn: what the engine measured (its request to its first token) and the rest (host + IPC).
    const engineTtft: number[] = [], hostPart: number[] = [], answered: number[] = [];
    for (let r = 0; r <= RUNS; r++) {
      const t0 = performance.now();
      let first = 0;
      const done = new Promise<Message>((resolve, reject) => {
        const off = host.onTurnEvent((e: TurnEvent) => {
          if ((e.type === 'thought' || e.type === 'answer') && !first) first = performance.now();
          if (e.type === 'done') { off(); resolve(e.message); }
          if (e.type === 'error') { off(); reject(new Error(e.error.message)); }
        });
      });
      await host.call('chat.send', { text: QUESTION, strategy: mode === 'long' ? 'long' : 'budget', effort: 'auto' });
      const sendMs = performance.now() - t0;
      const msg = await done;
      const t1 = performance.now();
      if (r === 0) continue; // warm-up: model load and thread measurement
      const generated = (msg.ledger?.thinking ?? 0) + (msg.ledger?.visible ?? 0);
      tokens += generated - 1; seconds += (t1 - first) / 1000; ttft += first - t0;
      if (msg.timings) {
        const engine = msg.timings.loadMs + msg.timings.timeToFirstTokenMs;
        engineTtft.push(engine); hostPart.push(first - t0 - engine); answered.push(sendMs);
      }
    }
    const info = await host.call('system.info');
    const rss = info.engine.pid ? rssMiB(info.engine.pid) : NaN;
    return { tokens, seconds, tokensPerSecond: tokens / seconds, ttftMs: ttft / RUNS, engineRssMiB: rss, engineTtft, hostPart, answered };
  } finally {
    await host.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const f = (n: number, d = 1) => n.toFixed(d);
console.log(`# Reckon bench - bundled model ${bundledModelPath}, ${THREADS} thread, ${RUNS} runs, "${QUESTION}"`);
const bare = await bareDecode(QUESTION, THREADS, RUNS);
console.log(`bare node-llama-cpp : ${f(bare.tokensPerSecond)} tok/s decode, TTFT ${f(bare.ttftMs)} ms (${bare.tokens} tokens)`);
const reckon = await reckonDecode();
console.log(`reckon (host+engine): ${f(reckon.tokensPerSecond)} tok/s decode, TTFT ${f(reckon.ttftMs)} ms (${reckon.tokens} tokens), engine RSS ${f(reckon.engineRssMiB)} MiB`);
console.log(`ratio reckon/bare   : ${f(reckon.tokensPerSecond / bare.tokensPerSecond, 3)}`);
// The engine's clock is whole milliseconds, so the split is good to ~1 ms a turn.
const spread = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return `${f(s[Math.floor(s.length / 2)] ?? NaN)} ms (${f(s[0] ?? NaN)}-${f(s.at(-1) ?? NaN)})`; };
console.log(`TTFT split (median) : engine ${spread(reckon.engineTtft)}, host + IPC ${spread(reckon.hostPart)}; chat.send answered after ${spread(reckon.answered)}`);
// The tiny model decodes a token in ~1 ms, so a fixed per-token cost (IPC, events, ledger) shows as a large ratio;
// in absolute terms it is what a real model's 20-100 ms per token would carry.
console.log(`overhead per token : ${f(1000 / reckon.tokensPerSecond - 1000 / bare.tokensPerSecond, 3)} ms (reckon - bare)`);
const ctl = await reckonDecode('controller');
console.log(`controller path     : ${f(ctl.tokensPerSecond)} tok/s decode (${ctl.tokens} tokens; probe pass not included)`);
console.log(`controller cost     : ${f(100 * (1 - ctl.tokensPerSecond / reckon.tokensPerSecond), 2)} % of plain decoding speed (target <= 3 %)`);
