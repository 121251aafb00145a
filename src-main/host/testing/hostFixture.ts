/**
 * The set-up host tests share: a temp folder with `data/` (a settings file) and `models/` (a fake bundled model), a
 * scripted fake engine (fakeEngine.ts), and the real host in front of it. `dispose` closes every host it opened and
 * removes the folder. `runTurn` runs one chat turn to its end and hands back its events.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiResult } from '../../common/api';
import type { TurnEvent } from '../../common/events';
import { createHost, type Host } from '../index';
import { fakeEngine, type FakeEngineControl } from './fakeEngine';

export interface HostFixtureOptions {
  /** Start of the temp folder's name (e.g. 'reckon-pins-'). */
  prefix: string;
  /** What `data/settings.json` holds. Default `{ threads: 1 }`. */
  settings?: Record<string, unknown>;
  /** Writes `models/reckon-arith.gguf` (a fake bundled model). Default true. */
  bundledModel?: boolean;
  /** Creates `data/conversations/` up front, for tests that write conversation files before the host starts. Default false. */
  conversations?: boolean;
  /** The fake engine's ms between streamed pieces (`FakeEngineControl.stepMs`). Default 0. */
  stepMs?: number;
  /** A new fake engine for every `open` (calls, scripts and gates start empty) instead of one for the whole test. Default false. */
  freshEngine?: boolean;
  /** The host's shell. Default 'cli'. */
  shell?: 'cli' | 'browser';
}

export interface HostFixture {
  /** The temp folder; `data` and `modelsDir` are inside it. */
  readonly dir: string;
  readonly data: string;
  readonly modelsDir: string;
  /** The fake engine the next (or, with `freshEngine`, the last) `open` spawns from. */
  readonly engine: FakeEngineControl;
  /** The host opened last, if any. */
  readonly host: Host | undefined;
  /** Starts a host on the folder; earlier hosts stay open (two hosts on one folder is a case some tests need). */
  open(): Promise<Host>;
  /** Closes the last host opened, then opens another: a restart. */
  reopen(): Promise<Host>;
  /** Closes every host opened and removes the folder. */
  dispose(): Promise<void>;
}

export async function hostFixture(o: HostFixtureOptions): Promise<HostFixture> {
  const dir = await mkdtemp(join(tmpdir(), o.prefix));
  const data = join(dir, 'data');
  const modelsDir = join(dir, 'models');
  await mkdir(modelsDir);
  if (o.bundledModel ?? true) await writeFile(join(modelsDir, 'reckon-arith.gguf'), Buffer.from('GGUF-fake-bundled-model'));
  await mkdir(o.conversations === true ? join(data, 'conversations') : data, { recursive: true });
  await writeFile(join(data, 'settings.json'), JSON.stringify(o.settings ?? { threads: 1 }));
  const newEngine = (): FakeEngineControl => {
    const e = fakeEngine();
    e.stepMs = o.stepMs ?? 0;
    return e;
  };
  let engine = newEngine();
  const hosts: Host[] = [];
  const open = async (): Promise<Host> => {
    if (o.freshEngine === true && hosts.length > 0) engine = newEngine();
    const h = await createHost({ userDataDir: data, modelsDir, shell: o.shell ?? 'cli', spawnEngine: engine.spawner });
    hosts.push(h);
    return h;
  };
  return {
    dir,
    data,
    modelsDir,
    get engine() { return engine; },
    get host() { return hosts.at(-1); },
    open,
    async reopen() {
      await hosts.at(-1)?.close();
      return open();
    },
    async dispose() {
      for (const h of hosts) await h.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs the turn `start` begins to its end (done or error), also when the end comes before `start` answers; hands back
 * the start's answer and that turn's events in order.
 */
export async function runTurn(h: Host, start: () => Promise<ApiResult<'chat.send'>>): Promise<ApiResult<'chat.send'> & { events: TurnEvent[] }> {
  const seen: TurnEvent[] = [];
  let id = '';
  let finish!: () => void;
  const ended = new Promise<void>((r) => { finish = r; });
  const isEnd = (e: TurnEvent): boolean => e.turnId === id && (e.type === 'done' || e.type === 'error');
  const off = h.onTurnEvent((e) => {
    seen.push(e);
    if (id !== '' && isEnd(e)) finish();
  });
  try {
    const r = await start();
    id = r.turnId;
    if (seen.some(isEnd)) finish();
    await ended;
    return { ...r, events: seen.filter((e) => e.turnId === id) };
  } finally {
    off();
  }
}
