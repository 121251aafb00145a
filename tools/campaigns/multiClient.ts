/**
 * `npm run soak:multiclient [-- --rounds 40 --seed 1 --out DIR]`
 *
 * Two tabs and the CLI on one data folder: the real host (scripted fake engine - the model adds nothing here) holding
 * its data folder's lock, behind the real web server on 127.0.0.1, with two clients on the page's WebSocket RPC (the
 * two tabs) and the real CLI (`reckon ask --json`, a child process with RECKON_HOME on the same folder). Each round
 * one tab creates a conversation, then a seeded plan of operations runs, some at once, some after the one before:
 * either tab sending in that conversation, renaming or pinning it, changing settings (tab A the system prompt, tab B
 * the answer length), deleting it while a turn streams into it (after the deleting tab has seen a seeded number of
 * that turn's pieces), and the CLI asking in between.
 * Invariants, checked after every round: no reply is INTERNAL or a code outside ErrorCodes; every turn that was
 * acknowledged ends (done or error) on both tabs' event streams; a turn in a conversation nobody deleted ends `done`
 * with the stored answer equal to what streamed; a deleted conversation answers CONVERSATION_NOT_FOUND to both tabs,
 * its file is gone and its turns ended `stopped` or before the delete; the last acknowledged rename and settings
 * values hold (when they did not overlap another of their kind) in memory and on disk; both tabs read the same list
 * and settings; every file in the folder parses; the CLI is refused with DATA_FOLDER_IN_USE and leaves no
 * conversation behind. After the last round the host closes, its lock is gone, a fresh host on the folder reads
 * what the tabs last saw, and the CLI then opens the folder. Bounded by --rounds; loopback and temp folders only.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { ErrorCodes } from '../../src-main/common/errors';
import type { StoredChange, TurnEvent } from '../../src-main/common/events';
import { createHost } from '../../src-main/host/index';
import { LOCK_FILE } from '../../src-main/host/store/folderLock';
import { campaignOutDir, cliArg, isMain, seeded } from './campaignCli';
import { startCampaignHost, watchHostCrashes } from './campaignHost';

export interface MultiClientOptions {
  rounds: number;
  seed: number;
  /** Rounds in which the CLI runs, out of every round (0..1); each run is a child process (seconds). Default 0.5. */
  cliShare?: number;
  /** Milliseconds between two pieces the fake engine streams. Default 5. */
  stepMs?: number;
  /** A turn that has not ended on both tabs this many ms after the round's operations counts as a hang. Default 60 000. */
  boundMs?: number;
  onRound?: (round: number, s: MultiClientSummary) => void;
}

export interface MultiClientSummary {
  rounds: number;
  /** Operations run, by kind. */
  ops: Record<string, number>;
  /** Replies by code ('ok' for a result). */
  codes: Record<string, number>;
  turnsAcknowledged: number;
  /** Renames, pins, settings updates and deletes acknowledged: each must reach both tabs as a `changed` event. */
  changesAcknowledged: number;
  /** How turns ended, as both tabs saw it: done / stopped / error <code>. */
  turnEnds: Record<string, number>;
  deletesWhileStreaming: number;
  cliRuns: number;
  /** CLI runs by exit code and error code. */
  cliOutcomes: Record<string, number>;
  /** Broken invariants, one line each. */
  failures: string[];
  hostCrashes: string[];
}

const known = new Set<string>(ErrorCodes);


type Reply = { ok: true; result: unknown } | { ok: false; code: string; message: string };

/** One tab: a client on the page's WebSocket RPC that keeps every event it is sent. */
class Tab {
  readonly events: TurnEvent[] = [];
  #next = 1;
  readonly #pending = new Map<number, (r: Reply) => void>();
  #waiters: (() => void)[] = [];
  private constructor(readonly name: string, private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as { kind: string; id?: number; result?: unknown; error?: { code: string; message: string }; event?: TurnEvent };
      if (f.kind === 'event' && f.event) {
        this.events.push(f.event);
        for (const w of this.#waiters.splice(0)) w();
        return;
      }
      const done = this.#pending.get(f.id ?? -1);
      this.#pending.delete(f.id ?? -1);
      done?.(f.kind === 'result' ? { ok: true, result: f.result } : { ok: false, code: String(f.error?.code), message: String(f.error?.message) });
    });
  }

  static open(name: string, url: string): Promise<Tab> {
    return new Promise((ok, fail) => {
      const ws = new WebSocket(url);
      ws.once('open', () => ok(new Tab(name, ws)));
      ws.once('error', fail);
    });
  }

  call(method: string, params?: unknown): Promise<Reply> {
    const id = this.#next++;
    return new Promise((done) => {
      this.#pending.set(id, done);
      this.ws.send(JSON.stringify({ kind: 'call', id, method, ...(params !== undefined ? { params } : {}) }));
    });
  }

  /** Resolves once `pred` holds over the events seen, or false after `ms`. */
  async until(pred: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!pred()) {
      const left = end - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => { clearTimeout(t); r(); });
      });
    }
    return true;
  }

  close(): void {
    this.ws.close();
  }
}

type EndEvent = Extract<TurnEvent, { type: 'done' | 'error' }>;
const terminal = (e: TurnEvent, turnId: string): e is EndEvent => (e.type === 'done' || e.type === 'error') && e.turnId === turnId;

/** Runs the CLI from source on `home`; resolves with its exit code and its --json output. */
function runCli(home: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const here = dirname(fileURLToPath(import.meta.url));
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'cliChild.ts'), ...args], {
      env: { ...process.env, RECKON_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (code) => done({ code: code ?? -1, out, err }));
  });
}

/** Every file under `dir` that should be JSON, and whether it parses. */
async function unparsable(dir: string): Promise<string[]> {
  const bad: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !(e.name.endsWith('.json') || e.name === LOCK_FILE)) continue;
    const p = join(e.parentPath, e.name);
    try {
      JSON.parse(await readFile(p, 'utf8'));
    } catch (err) {
      // a file deleted between the listing and the read is not a broken file
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') bad.push(`${p.slice(dir.length + 1)}: ${(err as Error).message}`);
    }
  }
  return bad;
}

interface Acked { value: string | number; start: number; ack: number }

/** The value that must hold: the last acknowledged one when it began after every other had been acknowledged. */
function mustHold(writes: Acked[]): { exact?: string | number; oneOf: (string | number)[] } {
  const byAck = [...writes].sort((a, b) => a.ack - b.ack);
  const last = byAck.at(-1);
  if (last === undefined) return { oneOf: [] };
  const othersDone = Math.max(-Infinity, ...byAck.slice(0, -1).map((w) => w.ack));
  return last.start > othersDone ? { exact: last.value, oneOf: [last.value] } : { oneOf: writes.map((w) => w.value) };
}

export async function multiClientCampaign(o: MultiClientOptions): Promise<MultiClientSummary> {
  const r = seeded(o.seed);
  const bound = o.boundMs ?? 60_000;
  const s: MultiClientSummary = { rounds: 0, ops: {}, codes: {}, turnsAcknowledged: 0, changesAcknowledged: 0, turnEnds: {}, deletesWhileStreaming: 0, cliRuns: 0, cliOutcomes: {}, failures: [], hostCrashes: [] };
  const unwatch = watchHostCrashes(s.hostCrashes);
  const fail = (round: number, what: string): void => { s.failures.push(`round ${round}: ${what}`); };
  const tally = (rep: Reply, where: string, round: number): Reply => {
    const code = rep.ok ? 'ok' : rep.code;
    s.codes[code] = (s.codes[code] ?? 0) + 1;
    if (!rep.ok && (rep.code === 'INTERNAL' || !known.has(rep.code))) fail(round, `${where}: ${rep.code} ${rep.message}`);
    return rep;
  };

  const ch = await startCampaignHost({
    prefix: 'reckon-soak-multi-',
    exclusive: true,
    engine: (e) => {
      e.stepMs = o.stepMs ?? 5;
      e.thought = Array.from({ length: 20 }, (_, i) => `step ${i}. `);
      e.answer = Array.from({ length: 20 }, (_, i) => `part ${i} `);
    },
  });
  const { data, hostOptions } = ch;
  const url = ch.wsUrl;
  const tabs = [await Tab.open('A', url), await Tab.open('B', url)] as const;
  const [A, B] = tabs;
  let lastList: unknown = null;
  let lastSettings: { systemPrompt?: string; maxTokens?: number } = {};
  // Acknowledged changes (JSON of the StoredChange -> how many): each must reach both tabs as a `changed` event.
  const told = new Map<string, number>();
  const ack = (change: StoredChange): void => {
    const k = JSON.stringify(change);
    told.set(k, (told.get(k) ?? 0) + 1);
    s.changesAcknowledged++;
  };
  const seenBy = (tab: Tab, k: string): number => tab.events.filter((e) => e.type === 'changed' && JSON.stringify(e.change) === k).length;

  try {
    for (let round = 1; round <= o.rounds; round++) {
      const t0 = Date.now();
      const created = tally(await A.call('conversations.create', { title: `round ${round}` }), 'create', round);
      if (!created.ok) { fail(round, 'create failed'); continue; }
      const conv = (created.result as { id: string }).id;
      const turns: { turnId: string; by: string }[] = [];
      const renames: Acked[] = [];
      const prompts: Acked[] = [];
      const lengths: Acked[] = [];
      let deletedAt: number | null = null;
      let deleteAcked = false;
      const kinds = ['send', 'send', 'send', 'rename', 'pin', 'settings', 'settings', 'delete'];
      const step = (kind: string): { kind: string; tab: Tab; wait: boolean; pieces: number } => ({ kind, tab: tabs[Math.floor(r() * 2)]!, wait: r() < 0.4, pieces: 1 + Math.floor(r() * 30) });
      const plan = Array.from({ length: 4 + Math.floor(r() * 4) }, () => step(kinds[Math.floor(r() * kinds.length)]!));
      // at most one delete per round; the CLI at a seeded point of cliShare of the rounds
      let seenDelete = false;
      for (const p of plan) if (p.kind === 'delete') { if (seenDelete) p.kind = 'pin'; seenDelete = true; }
      if (r() < (o.cliShare ?? 0.5)) plan.splice(Math.floor(r() * (plan.length + 1)), 0, step('cli'));
      const running: Promise<void>[] = [];
      let i = 0;
      for (const step of plan) {
        const n = i++;
        s.ops[step.kind] = (s.ops[step.kind] ?? 0) + 1;
        const tab = step.tab;
        const op = async (): Promise<void> => {
          const start = Date.now();
          switch (step.kind) {
            case 'send': {
              const rep = tally(await tab.call('chat.send', { conversationId: conv, text: `What is ${round}+${n}?`, seed: n }), `${tab.name} chat.send`, round);
              if (rep.ok) { turns.push({ turnId: (rep.result as { turnId: string }).turnId, by: tab.name }); s.turnsAcknowledged++; }
              else if (!['BUSY', 'CONVERSATION_NOT_FOUND'].includes(rep.code)) fail(round, `${tab.name} chat.send: ${rep.code} ${rep.message}`);
              return;
            }
            case 'rename': {
              const title = `r${round}-${tab.name}-${n}`;
              const rep = tally(await tab.call('conversations.rename', { id: conv, title }), `${tab.name} rename`, round);
              if (rep.ok) {
                renames.push({ value: title, start, ack: Date.now() });
                ack({ what: 'conversation', id: conv, how: 'renamed' });
              }
              return;
            }
            case 'pin': {
              const rep = tally(await tab.call('conversations.pin', { id: conv, pinned: r() < 0.5 }), `${tab.name} pin`, round);
              if (rep.ok) ack({ what: 'conversation', id: conv, how: 'pinned' });
              return;
            }
            case 'settings': {
              // each tab owns one field, so a lost update of the other's field shows
              const patch = tab === A ? { systemPrompt: `Prompt of round ${round} step ${n}.` } : { maxTokens: 1000 + round * 10 + n };
              const rep = tally(await tab.call('settings.update', patch), `${tab.name} settings.update`, round);
              if (rep.ok) {
                (tab === A ? prompts : lengths).push({ value: Object.values(patch)[0]!, start, ack: Date.now() });
                ack({ what: 'settings' });
              }
              return;
            }
            case 'delete': {
              // while a turn streams into it: the other tab sends when no turn runs, then this tab deletes once it has
              // seen `pieces` pieces of that turn (or the turn ended first)
              const other = tab === A ? B : A;
              const last = turns.at(-1);
              if (last === undefined || tab.events.some((e) => terminal(e, last.turnId))) {
                const rep = tally(await other.call('chat.send', { conversationId: conv, text: `What is ${round}*${n}?`, seed: n }), `${other.name} chat.send`, round);
                if (rep.ok) { turns.push({ turnId: (rep.result as { turnId: string }).turnId, by: other.name }); s.turnsAcknowledged++; }
              }
              const latest = turns.at(-1);
              if (latest !== undefined) {
                await tab.until(() => tab.events.filter((e) => e.turnId === latest.turnId && (e.type === 'thought' || e.type === 'answer')).length >= step.pieces || tab.events.some((e) => terminal(e, latest.turnId)), bound);
                if (!tab.events.some((e) => terminal(e, latest.turnId))) s.deletesWhileStreaming++;
              }
              deletedAt = Date.now();
              const rep = tally(await tab.call('conversations.delete', { id: conv }), `${tab.name} delete`, round);
              deleteAcked = rep.ok;
              if (rep.ok) ack({ what: 'conversation', id: conv, how: 'deleted' });
              return;
            }
            case 'cli': {
              s.cliRuns++;
              const before = new Set(await readdir(join(data, 'conversations')));
              const res = await runCli(data, ['ask', '--json', `What is ${round}+1?`]);
              let code = '';
              try { code = String((JSON.parse(res.out.trim().split('\n').at(-1) ?? '') as { error?: { code?: string } }).error?.code); } catch { code = 'no JSON'; }
              s.cliOutcomes[`exit ${res.code} ${code}`] = (s.cliOutcomes[`exit ${res.code} ${code}`] ?? 0) + 1;
              if (res.code !== 1 || code !== 'DATA_FOLDER_IN_USE') fail(round, `CLI beside the server: exit ${res.code}, ${code}: ${res.out.slice(0, 200)} ${res.err.slice(0, 200)}`);
              const listed = new Set(((await A.call('conversations.list')) as { result: { id: string }[] }).result.map((c) => `${c.id}.json`));
              for (const f of await readdir(join(data, 'conversations'))) if (!before.has(f) && f.endsWith('.json') && !listed.has(f)) fail(round, `the CLI left ${f}, which the server does not know`);
              return;
            }
          }
        };
        const p = op();
        running.push(p);
        if (step.wait) await Promise.all(running);
      }
      await Promise.all(running);

      // every acknowledged rename, pin, settings change and delete reached both tabs as a `changed` event
      for (const [k, n] of told) {
        for (const tab of tabs) {
          if (!(await tab.until(() => seenBy(tab, k) >= n, bound))) fail(round, `tab ${tab.name} was told of ${seenBy(tab, k)} of ${n} acknowledged changes ${k}`);
        }
      }

      // every acknowledged turn ends on both tabs
      for (const t of turns) {
        for (const tab of tabs) {
          if (!(await tab.until(() => tab.events.some((e) => terminal(e, t.turnId)), bound))) fail(round, `turn ${t.turnId} (sent by ${t.by}) never ended on tab ${tab.name}`);
        }
        const endA = A.events.find((e): e is EndEvent => terminal(e, t.turnId));
        const endB = B.events.find((e): e is EndEvent => terminal(e, t.turnId));
        if (JSON.stringify(endA) !== JSON.stringify(endB)) fail(round, `turn ${t.turnId} ended differently on the two tabs`);
        if (endA === undefined) continue;
        const how = endA.type === 'done' ? endA.status : `error ${endA.error.code}`;
        s.turnEnds[how] = (s.turnEnds[how] ?? 0) + 1;
        if (endA.type === 'error' && (endA.error.code === 'INTERNAL' || !known.has(endA.error.code))) fail(round, `turn ${t.turnId}: ${endA.error.code} ${endA.error.message}`);
        if (deletedAt === null && how !== 'done') fail(round, `turn ${t.turnId} ended ${how} though nobody stopped it or deleted its conversation`);
        if (deletedAt !== null && how === 'stopped' && !deleteAcked) fail(round, `turn ${t.turnId} was stopped by a delete that failed`);
      }

      // the conversation: gone for both, or holding what was acknowledged
      const gotA = tally(await A.call('conversations.get', { id: conv }), 'A get', round);
      const gotB = tally(await B.call('conversations.get', { id: conv }), 'B get', round);
      const file = join(data, 'conversations', `${conv}.json`);
      if (deleteAcked) {
        for (const [name, g] of [['A', gotA], ['B', gotB]] as const) if (g.ok || g.code !== 'CONVERSATION_NOT_FOUND') fail(round, `tab ${name} still reads the deleted conversation (${g.ok ? 'ok' : g.code})`);
        if (existsSync(file)) fail(round, 'the deleted conversation\'s file is back on disk');
      } else if (!gotA.ok || !gotB.ok) fail(round, 'the conversation cannot be read');
      else {
        if (JSON.stringify(gotA.result) !== JSON.stringify(gotB.result)) fail(round, 'the two tabs read the conversation differently');
        const c = gotA.result as { title: string };
        const disk = JSON.parse(await readFile(file, 'utf8')) as { title: string; messages: { id: string; text: string }[] };
        const want = mustHold(renames);
        if (want.exact !== undefined && c.title !== want.exact) fail(round, `title "${c.title}", the last acknowledged rename was "${want.exact}"`);
        if (want.oneOf.length > 0 && !want.oneOf.includes(c.title)) fail(round, `title "${c.title}" is none of the acknowledged renames`);
        if (disk.title !== c.title) fail(round, `title on disk "${disk.title}", in memory "${c.title}"`);
        for (const t of turns) {
          const end = A.events.find((e): e is EndEvent => terminal(e, t.turnId));
          if (end?.type !== 'done') continue;
          const stored = disk.messages.find((m) => m.id === end.message.id);
          if (stored?.text !== end.message.text) fail(round, `turn ${t.turnId}: the stored answer is not what was streamed`);
        }
      }

      // settings: each tab's field holds its last acknowledged value, both tabs and the file agree
      const setA = tally(await A.call('settings.get'), 'A settings.get', round);
      const setB = tally(await B.call('settings.get'), 'B settings.get', round);
      if (setA.ok && setB.ok) {
        if (JSON.stringify(setA.result) !== JSON.stringify(setB.result)) fail(round, 'the two tabs read different settings');
        const cur = setA.result as { systemPrompt: string; maxTokens: number };
        // no settings.json yet (no update so far) reads as the defaults the host shows
        const settingsFile = join(data, 'settings.json');
        const disk = (existsSync(settingsFile) ? JSON.parse(await readFile(settingsFile, 'utf8')) : { ...cur }) as { systemPrompt?: string; maxTokens?: number };
        for (const [field, writes] of [['systemPrompt', prompts], ['maxTokens', lengths]] as const) {
          const want = mustHold(writes);
          if (want.exact !== undefined && cur[field] !== want.exact) fail(round, `${field} is ${cur[field]}, the last acknowledged update was ${want.exact}`);
          if (want.oneOf.length > 0 && !want.oneOf.includes(cur[field])) fail(round, `${field} ${cur[field]} is none of the acknowledged updates`);
          if (disk[field] !== cur[field]) fail(round, `${field} on disk ${disk[field]}, in memory ${cur[field]}`);
        }
        lastSettings = { systemPrompt: cur.systemPrompt, maxTokens: cur.maxTokens };
      }
      const listA = tally(await A.call('conversations.list'), 'A list', round);
      const listB = tally(await B.call('conversations.list'), 'B list', round);
      if (listA.ok && listB.ok && JSON.stringify(listA.result) !== JSON.stringify(listB.result)) fail(round, 'the two tabs list different conversations');
      if (listA.ok) lastList = listA.result;
      for (const b of await unparsable(data)) fail(round, `a file does not parse: ${b}`);
      s.rounds = round;
      o.onRound?.(round, { ...s, ops: { ...s.ops }, failures: [...s.failures], hostCrashes: [...s.hostCrashes], ...{ roundMs: Date.now() - t0 } });
    }

    // the folder after the server: lock released, a fresh host reads what the tabs last saw, the CLI opens it
    for (const t of tabs) t.close();
    await ch.closeHost();
    if (existsSync(join(data, LOCK_FILE))) fail(s.rounds, 'the lock file is still there after the host closed');
    const again = await createHost({ ...hostOptions, exclusive: true });
    try {
      const list = await again.call('conversations.list');
      if (lastList !== null && JSON.stringify(list) !== JSON.stringify(lastList)) fail(s.rounds, 'a fresh host lists other conversations than the tabs last saw');
      const set = await again.call('settings.get');
      if (set.systemPrompt !== lastSettings.systemPrompt || set.maxTokens !== lastSettings.maxTokens) fail(s.rounds, 'a fresh host reads other settings than the tabs last saw');
    } finally {
      await again.close();
    }
    const cli = await runCli(data, ['models', '--json']);
    s.cliRuns++;
    s.cliOutcomes[`after the server: exit ${cli.code}`] = (s.cliOutcomes[`after the server: exit ${cli.code}`] ?? 0) + 1;
    if (cli.code !== 0) fail(s.rounds, `the CLI could not open the folder once the server had stopped: ${cli.out.slice(0, 200)} ${cli.err.slice(0, 200)}`);
    return s;
  } finally {
    for (const t of tabs) t.close();
    await ch.close();
    unwatch();
  }
}

if (isMain(import.meta.url)) {
  const arg = cliArg;
  const rounds = Number(arg('rounds') ?? 40);
  const seed = Number(arg('seed') ?? 1);
  const out = await campaignOutDir('multi');
  const started = Date.now();
  const s = await multiClientCampaign({ rounds, seed, onRound: (n, x) => process.stderr.write(`${n}/${rounds}: turns ${x.turnsAcknowledged}, deletes while streaming ${x.deletesWhileStreaming}, CLI runs ${x.cliRuns}, failures ${x.failures.length}\n`) });
  const minutes = (Date.now() - started) / 60_000;
  await writeFile(join(out, 'results.json'), JSON.stringify({ seed, minutes, ...s }, null, 2));
  process.stdout.write(`${JSON.stringify({ seed, minutes: Number(minutes.toFixed(1)), ...s, failures: s.failures.length, hostCrashes: s.hostCrashes.length })}\n`);
  for (const f of [...s.failures, ...s.hostCrashes].slice(0, 40)) process.stdout.write(`  ${f}\n`);
  process.stdout.write(`results in ${out}\n`);
  process.exitCode = s.failures.length + s.hostCrashes.length > 0 ? 1 : 0;
}
