/**
 * UI rendering figures (docs/bench.md): the built renderer in Debian's Chromium, in front of the real host and
 * browser-mode server, the engine being the scripted fake (src-main/host/testing/fakeEngine.ts), so the stream
 * rate is whatever we ask for and the model costs nothing.
 * - Streaming: a turn of THINK thinking tokens (shown: the thinking block is open while it streams) then ANSWER
 *   answer tokens of markdown with code, one event per token, paced at each rate in BENCH_UI_RATES (tokens/s;
 *   0 = as fast as the host sends). Per rate: the rate the page rendered at (tokens / time from the first emitted
 *   token to the last one on screen), the lag of the last token behind the engine, and main-thread tasks > 50 ms
 *   (longtask entries) during the turn. BENCH_UI_PROFILE=<prefix> writes a CPU profile per rate and
 *   BENCH_UI_TRACE=<prefix> a Chromium trace (devtools.timeline: which tasks were long and what filled them).
 * - Opening a conversation of 500 messages (250 questions, 250 answers with 400 thinking tokens each, 100k in all):
 *   click to the 500th message on screen and a frame painted, BENCH_UI_OPENS times.
 * The page's and this process's clocks are the same wall clock (Date.now), so lags compare across them.
 * `npx electron-vite build` first (the renderer is out/renderer).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import type { GenerateParams, GenerateResult } from '../../src-main/common/engineProtocol';
import { makeLedger } from '../../src-main/common/ledger';
import type { Conversation, Message } from '../../src-main/common/types';
import { createHost } from '../../src-main/host';
import { Store } from '../../src-main/host/store/Store';
import { fakeEngine, type ScriptIO } from '../../src-main/host/testing/fakeEngine';
import { startWebServer } from '../../src-main/web/server';

// The functions handed to page.evaluate run in the page; this project has no DOM types (tools are Node), so the
// little of the DOM they touch is declared here, for this file only.
interface PageElement { textContent: string | null; click(): void; querySelector(s: string): PageElement | null }
declare const document: { querySelector(s: string): PageElement | null; querySelectorAll(s: string): Iterable<PageElement> };
declare function requestAnimationFrame(cb: () => void): number;

const RATES = (process.env.BENCH_UI_RATES ?? '1000,2000,4000,8000,0').split(',').map(Number);
const THINK = Number(process.env.BENCH_UI_THINK ?? 6000);
const ANSWER = Number(process.env.BENCH_UI_ANSWER ?? 3000);
const OPENS = Number(process.env.BENCH_UI_OPENS ?? 5);
const BIG_TURNS = 250;
const BIG_THINK_TOKENS = 400;
const END = 'END-OF-ANSWER';

/** Token-sized pieces (about 4 characters, as a BPE vocabulary cuts English) of `text`, repeated to `n`. */
function tokens(text: string, n: number): string[] {
  const pieces = text.match(/\s*\S{1,4}|\s+/g) ?? [];
  return Array.from({ length: n }, (_, i) => pieces[i % pieces.length]!);
}

const THOUGHT = 'Let me add the columns one by one. Ones: 7 + 8 = 15, write 5 and carry 1. Tens: 3 + 4 + 1 = 8. ' +
  'Check it the other way round: 85 - 48 = 37, which matches, so the sum is right.\n';
const ANSWER_MD = '## The sum\n\nAdding **column by column**:\n\n1. ones: `7 + 8 = 15`\n2. tens: `3 + 4 + 1 = 8`\n\n' +
  '```ts\nfunction add(a: number, b: number): number {\n  return a + b; // 85\n}\n```\n\nSo 37 + 48 = *85*.\n\n';

/** Tokens emitted between waits for a rate (a wait every ~10 ms); 0 = unpaced (a yield to the event loop every 64). */
function tokensPerWait(rate: number): number {
  return rate === 0 ? 64 : Math.max(1, Math.round(rate / 100));
}

interface EmitLog { firstAt: number; lastAt: number; tokens: number }
const emitLogs: EmitLog[] = [];

/** The benchmark's generate: question "stream <rate>" streams THINK + ANSWER tokens at that rate. */
async function streamTurn(params: unknown, io: ScriptIO): Promise<GenerateResult> {
  const g = params as GenerateParams;
  const rate = Number(/stream (\d+)/.exec(g.question)?.[1] ?? 0);
  const perTick = tokensPerWait(rate);
  const thought = tokens(THOUGHT, THINK);
  const answer = [...tokens(ANSWER_MD, ANSWER - 1), ` ${END}`];
  const log: EmitLog = { firstAt: Date.now(), lastAt: 0, tokens: thought.length + answer.length };
  emitLogs.push(log);
  const start = performance.now();
  let sent = 0;
  const all = [...thought.map((t) => ['thought', t] as const), ['end', ''] as const, ...answer.map((t) => ['answer', t] as const)];
  for (let i = 0; i < all.length; i++) {
    const [kind, text] = all[i]!;
    if (kind === 'thought') io.emit({ type: 'thought', text });
    else if (kind === 'answer') io.emit({ type: 'answer', text });
    else io.emit({ type: 'thought-end', ms: Math.round(performance.now() - start), tokens: thought.length });
    if (kind !== 'end' && ++sent % perTick === 0) {
      // Paced: wait for the tick this token belongs to (absolute schedule, so timer slack does not accumulate).
      const due = rate === 0 ? 0 : start + (sent / rate) * 1000 - performance.now();
      await new Promise((r) => (due > 0 ? setTimeout(r, due) : setImmediate(r)));
    }
  }
  log.lastAt = Date.now();
  const ledger = makeLedger({ visible: answer.length, thinking: thought.length, prompt: 20, cached: 0 });
  io.emit({ type: 'ledger', ledger });
  return { answer: answer.join(''), thinking: thought.join(''), thinkingMs: 1, stopReason: 'eos', ledger };
}

/** The 500-message conversation: every answer markdown with code, every thought 400 tokens. */
function bigConversation(): Conversation {
  const messages: Message[] = [];
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  let parentId: string | null = null;
  for (let i = 0; i < BIG_TURNS; i++) {
    const at = new Date(t0 + i * 60_000).toISOString();
    const u: Message = { id: `u${i}`, role: 'user', parentId, text: `Question ${i}: what is ${i} + 48?`, createdAt: at, status: 'done' };
    const thinking = tokens(THOUGHT, BIG_THINK_TOKENS).join('');
    const a: Message = {
      id: `a${i}`, role: 'assistant', parentId: u.id, text: ANSWER_MD.repeat(2) + `Answer ${i + 48}.`, thinking, thinkingMs: 900,
      createdAt: at, status: 'done', stopReason: 'eos', modelId: 'bench',
      ledger: makeLedger({ visible: 120, thinking: BIG_THINK_TOKENS, prompt: 30, cached: 0 }),
    };
    messages.push(u, a);
    parentId = a.id;
  }
  const at = new Date(t0 + BIG_TURNS * 60_000).toISOString();
  return { id: 'bench-big', title: 'Five hundred messages', createdAt: at, updatedAt: at, messageCount: messages.length, messages };
}

/** Runs in the page: resolves when the answer's end marker is on screen, with the time and the long tasks seen. */
function watchTurn(page: Page): Promise<{ firstThoughtAt: number; endAt: number; longTasks: number[] }> {
  return page.evaluate((end) => new Promise<{ firstThoughtAt: number; endAt: number; longTasks: number[] }>((resolve) => {
    const longTasks: number[] = [];
    const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration); });
    // 'longtask' is Chromium's entry type; Node's typings (which this file compiles against) do not list it
    obs.observe({ type: 'longtask' as 'mark', buffered: false });
    let firstThoughtAt = 0;
    const frame = (): void => {
      const last = [...document.querySelectorAll('[data-testid="message-assistant"]')].at(-1);
      if (firstThoughtAt === 0 && (last?.querySelector('[data-testid="thinking-text"]')?.textContent ?? '').length > 0) firstThoughtAt = Date.now();
      if ((last?.querySelector('[data-testid="answer"]')?.textContent ?? '').includes(end)) {
        obs.disconnect();
        resolve({ firstThoughtAt, endAt: Date.now(), longTasks });
        return;
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }), END);
}

async function ready(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('composer-input').waitFor();
  await page.locator('[data-testid="status-chip"]:not([data-state="offline"])').waitFor();
  // the page reopens the last conversation: start a fresh one
  await page.getByTestId('new-chat').click();
  await page.getByTestId('empty-state').waitFor();
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'reckon-bench-ui-'));
  const userDataDir = join(home, 'data');
  const modelsDir = join(home, 'models');
  mkdirSync(modelsDir, { recursive: true });
  writeFileSync(join(modelsDir, 'bench.gguf'), Buffer.from('GGUF benchmark stand-in model'));
  const store = await Store.open(userDataDir);
  await store.writeConversation(bigConversation());
  await store.flush();

  const engine = fakeEngine();
  engine.script.generate = streamTurn;
  const host = await createHost({ userDataDir, modelsDir, shell: 'browser', spawnEngine: engine.spawner });
  await host.call('settings.update', { threads: 1 });
  const web = await startWebServer({ host, rendererDir: join(process.cwd(), 'out', 'renderer') });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // tsx compiles the functions handed to page.evaluate with esbuild's keepNames, which calls a __name helper.
  await page.addInitScript('globalThis.__name = (f) => f');
  const before = loadavg();
  try {
    console.log(`UI rendering (Chromium ${browser.version()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${before.map((x) => x.toFixed(2)).join(' ')})`);
    console.log(`streaming: ${THINK} thinking tokens (shown) + ${ANSWER} answer tokens (markdown, code), one event per token`);
    console.log('| asked tok/s | emitted tok/s | rendered tok/s | last token lag | tasks > 50 ms (longest) |');
    console.log('|---|---|---|---|---|');
    for (const rate of RATES) {
      await ready(page, web.url);
      const cdp = process.env.BENCH_UI_PROFILE ? await page.context().newCDPSession(page) : null;
      if (cdp) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.start'); }
      const trace = process.env.BENCH_UI_TRACE ? `${process.env.BENCH_UI_TRACE}-${rate}.json` : null;
      if (trace) await browser.startTracing(page, { path: trace, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing'] });
      const watch = watchTurn(page);
      await page.getByTestId('composer-input').fill(`stream ${rate}`);
      await page.getByTestId('composer-input').press('Enter');
      const seen = await watch;
      if (trace) await browser.stopTracing();
      if (cdp) {
        const { profile } = await cdp.send('Profiler.stop');
        writeFileSync(`${process.env.BENCH_UI_PROFILE}-${rate}.cpuprofile`, JSON.stringify(profile));
      }
      const log = emitLogs.at(-1)!;
      const emitted = log.tokens / ((log.lastAt - log.firstAt) / 1000);
      const rendered = log.tokens / ((seen.endAt - log.firstAt) / 1000);
      const longest = seen.longTasks.length ? Math.max(...seen.longTasks) : 0;
      console.log(`| ${rate === 0 ? 'unpaced' : rate} | ${emitted.toFixed(0)} | ${rendered.toFixed(0)} | ${seen.endAt - log.lastAt} ms | ${seen.longTasks.length} (${longest.toFixed(0)} ms) |`);
      await page.locator('[data-testid="message-assistant"][data-status="done"]').last().waitFor();
    }

    console.log(`opening a conversation of ${BIG_TURNS * 2} messages (${BIG_TURNS * BIG_THINK_TOKENS} thinking tokens):`);
    await ready(page, web.url);
    const times: number[] = [];
    for (let i = 0; i < OPENS; i++) {
      await page.getByTestId('new-chat').click();
      await page.getByTestId('empty-state').waitFor();
      const ms = await page.evaluate((n) => new Promise<number>((resolve) => {
        const open = document.querySelector('[data-testid="conversation-item"][data-id="bench-big"] button.open');
        if (!open) throw new Error('the 500-message conversation is not in the sidebar');
        const t0 = performance.now();
        open.click();
        const frame = (): void => {
          // the newest message is on screen (the view opens at the bottom), and a frame after it: laid out and painted
          if (document.querySelector(`[data-testid="message-assistant"][data-id="a${n / 2 - 1}"]`)) {
            requestAnimationFrame(() => resolve(performance.now() - t0));
            return;
          }
          requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      }), BIG_TURNS * 2);
      times.push(ms);
    }
    const rendered = await page.locator('[data-testid="message-assistant"], [data-testid="message-user"]').count();
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`  ${rendered} of ${BIG_TURNS * 2} messages rendered at first (earlier ones as the user scrolls up)`);
    console.log(`  click to painted: ${times.map((t) => t.toFixed(0)).join(', ')} ms (median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms)`);
    console.log(`  load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    await browser.close();
    await web.close();
    await host.close();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
