/**
 * `npm run soak:enginekill [-- --runs 100 --seed 1 --out DIR]`
 *
 * Engine kill campaign: a real host in this process, its real engine process (out/main/engine.js; the script builds
 * it) on the bundled model, one new conversation per run. Each run picks, from the seed, a moment to SIGKILL the
 * engine - on the turn's `start` (before the first token), at the n-th thinking piece, at the n-th answer piece, or
 * after the turn ended (between turns) - then asks the next question in the same conversation. Per run it checks:
 * the host still answers, every conversation file parses and loads, the interrupted message is stored as an
 * ENGINE_CRASHED error with the text that had streamed and a message that is the one its crash details make
 * (engineCrashMessage), the next question is answered, and after the host closed no engine process it started is
 * alive. Loopback-free (in-process calls), temp folders only; bounded by --runs (each run a few seconds).
 */
import { appendFileSync } from 'node:fs';
import { readdir, readFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TurnEvent } from '../../src-main/common/events';
import { engineCrashMessage, readEngineCrashDetails } from '../../src-main/common/engineCrash';
import { createHost, type Host } from '../../src-main/host/index';
import { runTurn } from '../../src-main/host/testing/hostFixture';
import { campaignOutDir, cliArg, isMain, seeded } from './campaignCli';

export type KillMoment = 'before-first-token' | 'mid-thinking' | 'mid-answer' | 'between-turns';
export const MOMENTS: KillMoment[] = ['before-first-token', 'mid-thinking', 'mid-answer', 'between-turns'];

export interface EngineKillRun {
  moment: KillMoment;
  /** Where the kill really landed: the phase of the last piece seen before it ('between-turns' once the turn ended). */
  landed: KillMoment;
  /** What the crash details said the supervisor did (restarting / restarted / not-restarted); null: no turn was cut. */
  restart: string | null;
  /** Every invariant this run broke, in words; empty when it held. */
  failures: string[];
}

export interface EngineKillOptions {
  runs: number;
  seed: number;
  /** Folder with the bundled model (`reckon-arith.gguf`). */
  modelsDir: string;
  /** Called after each run. */
  onRun?: (r: EngineKillRun, index: number) => void;
}

export interface EngineKillSummary {
  runs: EngineKillRun[];
  /** Engine pids seen over the campaign; all must be gone once the host closed. */
  enginePids: number;
  /** Engine pids still alive after host.close(). */
  orphans: number[];
}

/** mulberry32: the repeatable sequence of kill moments. */

/** How long a SIGKILLed engine may take to be gone before it counts as an orphan: generous for a busy machine. */
const orphanWaitMs = 30_000;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Every conversation on disk parses as JSON and loads through the host; the names of those that do not. */
async function brokenConversations(host: Host, data: string): Promise<string[]> {
  const bad: string[] = [];
  const folder = join(data, 'conversations');
  for (const f of (await readdir(folder).catch(() => [])).filter((n) => n.endsWith('.json'))) {
    try {
      JSON.parse(await readFile(join(folder, f), 'utf8'));
    } catch {
      bad.push(`${f} does not parse`);
    }
  }
  for (const c of await host.call('conversations.list')) {
    await host.call('conversations.get', { id: c.id }).catch((e: unknown) => bad.push(`${c.id} does not load: ${String(e)}`));
  }
  return bad;
}

export async function engineKillCampaign(o: EngineKillOptions): Promise<EngineKillSummary> {
  const random = seeded(o.seed);
  const dir = await mkdtemp(join(tmpdir(), 'reckon-soak-enginekill-'));
  const data = join(dir, 'data');
  await mkdir(data);
  await writeFile(join(data, 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu' }));
  const host = await createHost({ userDataDir: data, modelsDir: o.modelsDir, shell: 'cli' });
  const pids = new Set<number>();
  const runs: EngineKillRun[] = [];
  let closed = false;
  /** The engine's pid now (null while none runs); remembered so every engine is checked for orphans at the end. */
  const enginePid = async (): Promise<number | null> => {
    const pid = (await host.call('system.info')).engine.pid;
    if (pid !== null) pids.add(pid);
    return pid;
  };
  try {
    for (let i = 0; i < o.runs; i++) {
      const moment = MOMENTS[Math.floor(random() * MOMENTS.length)]!;
      const nth = 1 + Math.floor(random() * 6);
      const a = 10 + Math.floor(random() * 80);
      const b = 10 + Math.floor(random() * 80);
      const failures: string[] = [];
      let pid = await enginePid();
      let landed: KillMoment | null = null;
      let thoughts = 0;
      let answers = 0;
      const kill = (phase: KillMoment): void => {
        if (landed !== null) return;
        landed = phase;
        if (pid !== null) process.kill(pid, 'SIGKILL');
        else void enginePid().then((p) => { if (p !== null) process.kill(p, 'SIGKILL'); });
      };
      const watch = (e: TurnEvent): void => {
        if (e.type === 'start' && moment === 'before-first-token') kill('before-first-token');
        if (e.type === 'thought' && ++thoughts >= nth && moment === 'mid-thinking') kill('mid-thinking');
        // no thinking (or less than asked for): the kill meant for it lands in the answer
        if (e.type === 'answer') {
          answers++;
          if (moment === 'mid-thinking') kill('mid-answer');
          if (moment === 'mid-answer' && answers >= nth) kill('mid-answer');
        }
      };
      const off = host.onTurnEvent(watch);
      const first = await runTurn(host, () => host.call('chat.send', { text: `What is ${a}+${b}?` })).finally(off);
      const end = first.events.at(-1)!;
      let restart: string | null = null;
      const checkCut = async (t: typeof first): Promise<void> => {
        const last = t.events.at(-1)!;
        if (last.type !== 'error') return void failures.push(`the cut turn ended ${last.type}, not as an error`);
        if (last.error.code !== 'ENGINE_CRASHED') failures.push(`the cut turn's code is ${last.error.code}`);
        const details = readEngineCrashDetails(last.error.details);
        if (details === null) return void failures.push('the cut turn carries no crash details');
        restart = details.restart;
        if (details.how !== 'signal SIGKILL') failures.push(`crash details say '${details.how}'${details.reason !== undefined ? ` (${details.reason})` : ''}`);
        if (last.error.message !== engineCrashMessage(details)) failures.push(`message not the one its details make: ${last.error.message}`);
        const start = t.events.find((e) => e.type === 'start');
        const stored = (await host.call('conversations.get', { id: t.conversationId })).messages.find((m) => start?.type === 'start' && m.id === start.assistantMessageId);
        if (stored?.status !== 'error' || stored.error?.code !== 'ENGINE_CRASHED') failures.push(`stored message is ${stored?.status} ${stored?.error?.code ?? ''}`);
        const streamedText = t.events.flatMap((e) => (e.type === 'answer' ? [e.text] : [])).join('');
        const streamedThinking = t.events.flatMap((e) => (e.type === 'thought' ? [e.text] : [])).join('');
        if (stored !== undefined && stored.text !== streamedText) failures.push(`stored text (${stored.text.length} chars) is not what streamed (${streamedText.length})`);
        if (stored !== undefined && (stored.thinking ?? '') !== streamedThinking) failures.push(`stored thinking (${(stored.thinking ?? '').length} chars) is not what streamed (${streamedThinking.length})`);
      };
      if (landed === null) {
        // the turn ended before the moment came (or the moment is between turns): kill now, before the next question
        if (end.type !== 'done') failures.push(`the first turn ended ${end.type === 'error' ? end.error.code : end.type} before any kill`);
        pid = await enginePid();
        kill('between-turns');
      } else {
        await checkCut(first);
      }
      let next = await runTurn(host, () => host.call('chat.send', { conversationId: first.conversationId, text: `What is ${b}+${a}?` }));
      // killed between turns: the host may learn of the death only from the next question, which is then the cut one
      if (landed === 'between-turns' && next.events.at(-1)?.type === 'error') {
        await checkCut(next);
        next = await runTurn(host, () => host.call('chat.send', { conversationId: first.conversationId, text: `What is ${b}+${a}?` }));
      }
      const nextEnd = next.events.at(-1)!;
      if (nextEnd.type !== 'done' || nextEnd.message.text.length === 0) {
        failures.push(`the next question was not answered: ${nextEnd.type === 'error' ? `${nextEnd.error.code} ${nextEnd.error.message}` : nextEnd.type}`);
      }
      await enginePid().catch(() => failures.push('the host no longer answers system.info'));
      failures.push(...(await brokenConversations(host, data)));
      const r: EngineKillRun = { moment, landed: landed ?? 'between-turns', restart, failures: failures.map((f) => `${landed ?? 'between-turns'}: ${f}`) };
      runs.push(r);
      o.onRun?.(r, i);
    }
    await host.close();
    closed = true;
    // host.close() sends the last engine SIGKILL without waiting for it to exit: wait until the host (its parent)
    // reaped it. An orphan is an engine still there after orphanWaitMs - a bound on a state, not a speed figure.
    const until = Date.now() + orphanWaitMs;
    while ([...pids].some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return { runs, enginePids: pids.size, orphans: [...pids].filter(alive) };
  } finally {
    if (!closed) await host.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The results as a markdown table, one row per kill moment that landed. */
export function engineKillTable(s: EngineKillSummary): string {
  const rows = ['| landed | runs | restarting | restarted | not restarted | no turn cut | failed runs |', '|---|---:|---:|---:|---:|---:|---:|'];
  const line = (name: string, rs: EngineKillRun[]): string => {
    const n = (restart: string | null): number => rs.filter((r) => r.restart === restart).length;
    return `| ${name} | ${rs.length} | ${n('restarting')} | ${n('restarted')} | ${n('not-restarted')} | ${n(null)} | ${rs.filter((r) => r.failures.length > 0).length} |`;
  };
  for (const m of MOMENTS) rows.push(line(m, s.runs.filter((r) => r.landed === m)));
  rows.push(line('**all**', s.runs));
  return `${rows.join('\n')}\n\nEngine processes: ${s.enginePids}, alive after the host closed: ${s.orphans.length}.\n`;
}

if (isMain(import.meta.url)) {
  const arg = cliArg;
  const runs = Number(arg('runs') ?? 100);
  const seed = Number(arg('seed') ?? 1);
  const out = await campaignOutDir('enginekill');
  const started = Date.now();
  const s = await engineKillCampaign({
    runs, seed, modelsDir: resolve(import.meta.dirname, '../../models'),
    onRun: (r, i) => {
      // each run as it ends, so a campaign cut short still leaves its runs
      appendFileSync(join(out, 'runs.jsonl'), `${JSON.stringify(r)}\n`);
      process.stderr.write(`run ${i + 1}/${runs}: ${r.moment} -> ${r.landed}, ${r.restart ?? 'no turn cut'}${r.failures.length > 0 ? `, FAILED: ${r.failures.join('; ')}` : ''}\n`);
    },
  });
  const table = engineKillTable(s);
  await writeFile(join(out, 'results.json'), JSON.stringify({ seed, minutes: (Date.now() - started) / 60_000, ...s }, null, 2));
  await writeFile(join(out, 'table.md'), table);
  process.stdout.write(`${table}\n${((Date.now() - started) / 60_000).toFixed(1)} min; results in ${out}\n`);
  process.exitCode = s.runs.some((r) => r.failures.length > 0) || s.orphans.length > 0 ? 1 : 0;
}
