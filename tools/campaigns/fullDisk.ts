/**
 * `npm run soak:fulldisk [-- --rounds 10 --seed 1 --size-kib 2048]` (needs root: it mounts a tmpfs)
 *
 * Full-disk campaign: the data folder on a small tmpfs (`mount -t tmpfs -o size=...`), the real host and Store in
 * front of the scripted fake engine, the local test hub (src-main/host/testing/fakeHub.ts) for downloads. Each
 * round: a conversation with one answered turn; the disk filled (a filler file written until ENOSPC, then a seeded
 * 0-3 pages given back, so the failing write lands at different points); then a turn in that conversation, a turn
 * in a new one, and a download (refused by the free-space check); the disk freed; a download started, held by the
 * hub after its first bytes, the disk filled under it, the rest let through; the disk freed again; a turn and a
 * resume of the download. Invariants: every failure has a stable code (never INTERNAL), every file that was there
 * before is byte-identical (only a write that reported success may change one, and then it parses), no temp file
 * is left behind, and once space is back the next turn is answered and the download completes.
 * Loopback only (the hub is on 127.0.0.1); bounded by --rounds; the mount is removed at the end.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, statfs, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { DownloadInfo } from '../../src-main/common/downloads';
import { ErrorCodes } from '../../src-main/common/errors';
import { createHost, type Host } from '../../src-main/host/index';
import { fakeEngine } from '../../src-main/host/testing/fakeEngine';
import { startFakeHub } from '../../src-main/host/testing/fakeHub';
import { runTurn } from '../../src-main/host/testing/hostFixture';
import { cliArg, isMain, seeded } from './campaignCli';

export interface FullDiskOptions {
  rounds: number;
  seed: number;
  /** The tmpfs size in KiB. Default 2048. */
  sizeKiB?: number;
  onRound?: (r: FullDiskRound, index: number) => void;
}

export interface FullDiskRound {
  /** Pages (4 KiB) given back after the disk was filled. */
  slackPages: number;
  /** What each step ended in: 'ok' or its error code. */
  outcomes: Record<string, string>;
  /** Invariants broken, in words; empty when all held. */
  failures: string[];
}

/** Whether this process may mount a tmpfs (root, and a kernel that lets it). */
export function canMountTmpfs(): boolean {
  const dir = join(tmpdir(), `reckon-mount-probe-${process.pid}`);
  try {
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    execFileSync('rm', ['-rf', dir]);
  }
}


/** Every file under dir, by path relative to it, with its bytes. */
async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.set(relative(dir, p), await readFile(p));
    }
  };
  await walk(dir);
  return out;
}

/** Writes `file` until the disk is full, then gives `slack` bytes back. */
async function fill(file: string, slack: number): Promise<void> {
  const fh = await open(file, 'a');
  const chunk = Buffer.alloc(16 * 1024, 7);
  try {
    for (;;) {
      try {
        await fh.write(chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw err;
      }
    }
    // a 16 KiB write that did not fit may have left part of itself: smaller writes take what is left
    for (;;) {
      try {
        await fh.write(Buffer.alloc(512, 7));
      } catch {
        break;
      }
    }
  } finally {
    await fh.close();
  }
  const size = (await stat(file)).size;
  await truncate(file, Math.max(0, size - slack));
}

const known = new Set<string>(ErrorCodes);
const codeOf = (err: unknown): string => String((err as { code?: unknown }).code);

export async function fullDiskCampaign(o: FullDiskOptions): Promise<FullDiskRound[]> {
  const r = seeded(o.seed);
  const root = await mkdtemp(join(tmpdir(), 'reckon-soak-fulldisk-'));
  const mnt = join(root, 'disk');
  await mkdir(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${o.sizeKiB ?? 2048}k`, 'tmpfs', mnt]);
  const model = Buffer.concat([Buffer.from('GGUF'), randomBytes(600_000)]);
  const hub = await startFakeHub({ repos: [{ id: 'acme/Tiny-GGUF', files: { 'tiny.Q4_K_M.gguf': model } }] });
  const rounds: FullDiskRound[] = [];
  try {
    for (let i = 0; i < o.rounds; i++) {
      const slackPages = Math.floor(r() * 4);
      const outcomes: Record<string, string> = {};
      const failures: string[] = [];
      const data = join(mnt, `data-${i}`);
      const filler = join(mnt, 'filler');
      await mkdir(join(root, 'models'), { recursive: true });
      await writeFile(join(root, 'models', 'reckon-arith.gguf'), Buffer.from('GGUF-fake-bundled-model'));
      await mkdir(data);
      await writeFile(join(data, 'settings.json'), JSON.stringify({ threads: 1 }));
      // The free-space check reads the real disk, except while `staleCheck` stands for a check made before another
      // program filled the disk (the download then meets ENOSPC in its writes).
      let staleCheck = false;
      const freeBytes = async (p: string): Promise<number> => {
        if (staleCheck) return Number.MAX_SAFE_INTEGER;
        const s = await statfs(p);
        return s.bavail * s.bsize;
      };
      const engine = fakeEngine();
      engine.stepMs = 0;
      const host: Host = await createHost({ userDataDir: data, modelsDir: join(root, 'models'), shell: 'cli', spawnEngine: engine.spawner, hub: { endpoint: hub.endpoint, retryDelayMs: 0, freeBytes } });
      const downloads: DownloadInfo[] = [];
      const waiters: { pred: (d: DownloadInfo) => boolean; resolve: (d: DownloadInfo) => void }[] = [];
      host.onTurnEvent((e) => {
        if (e.type !== 'download') return;
        downloads.push(e.download);
        for (const w of [...waiters]) if (w.pred(e.download)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e.download); }
      });
      const until = (pred: (d: DownloadInfo) => boolean): Promise<DownloadInfo> => {
        const seen = downloads.find(pred);
        return seen ? Promise.resolve(seen) : new Promise((res) => waiters.push({ pred, resolve: res }));
      };
      /** A turn's outcome: 'ok', or the code it failed with (from chat.send itself or the turn's error event). */
      const turn = async (conversationId?: string): Promise<string> => {
        try {
          const t = await runTurn(host, () => host.call('chat.send', { text: 'What is 37+48?', ...(conversationId !== undefined ? { conversationId } : {}) }));
          const end = t.events.at(-1)!;
          return end.type === 'done' ? 'ok' : end.type === 'error' ? end.error.code : end.type;
        } catch (err) {
          return codeOf(err);
        }
      };
      const stable = (step: string, outcome: string): void => {
        outcomes[step] = outcome;
        if (outcome !== 'ok' && (outcome === 'INTERNAL' || !known.has(outcome))) failures.push(`${step}: ${outcome}`);
      };
      /**
       * Files there before are still there and whole: byte-identical, or - when a write went through before the disk
       * ran out (the user message of a turn that then failed) - a complete newer version that parses. Counted.
       */
      const unchanged = async (step: string, before: Map<string, Buffer>): Promise<void> => {
        const now = await snapshot(data);
        for (const [path, bytes] of before) {
          const cur = now.get(path);
          if (cur === undefined) failures.push(`${step}: ${path} is gone`);
          else if (!cur.equals(bytes)) {
            outcomes[`${step}: rewritten whole`] = String(Number(outcomes[`${step}: rewritten whole`] ?? 0) + 1);
            if (path.endsWith('.json')) {
              try { JSON.parse(cur.toString('utf8')); } catch { failures.push(`${step}: ${path} changed and no longer parses (${bytes.length} -> ${cur.length} bytes)`); }
            }
          }
        }
        for (const path of now.keys()) if (/\.tmp|~$|\.partial$/.test(path) && !before.has(path)) failures.push(`${step}: temp file left behind: ${path}`);
      };
      try {
        const first = await runTurn(host, () => host.call('chat.send', { text: 'What is 1+2?' }));
        if (first.events.at(-1)?.type !== 'done') failures.push('the first turn (disk not full) was not answered');
        let before = await snapshot(data);

        await fill(filler, slackPages * 4096);
        const inOld = await turn(first.conversationId);
        stable('turn, full disk', inOld);
        stable('new conversation, full disk', await turn());
        await unchanged('full disk, turns', before);
        try {
          await host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'Q4_K_M' });
          const end = await until((d) => d.state === 'error' || d.state === 'done');
          stable('download, full disk', end.state === 'done' ? 'ok' : end.error?.code ?? 'no code');
        } catch (err) {
          stable('download, full disk', codeOf(err));
        }
        if (outcomes['download, full disk'] !== 'DOWNLOAD_NO_SPACE') failures.push(`download, full disk: ${outcomes['download, full disk']}, not DOWNLOAD_NO_SPACE`);
        await unchanged('full disk, download', before);
        await rm(filler);

        // the disk fills up while a download runs (the free-space check passed before)
        before = await snapshot(data);
        staleCheck = true;
        hub.fault('tiny.Q4_K_M.gguf', { kind: 'trickle', afterBytes: 100_000 });
        const d = await host.call('downloads.start', { repo: 'acme/Tiny-GGUF', file: 'Q4_K_M' });
        await hub.holding('tiny.Q4_K_M.gguf');
        await until((x) => x.id === d.id && x.receivedBytes >= 100_000);
        await fill(filler, slackPages * 4096);
        hub.release('tiny.Q4_K_M.gguf');
        const cut = await until((x) => x.id === d.id && (x.state === 'error' || x.state === 'done'));
        stable('download, disk filled during it', cut.state === 'done' ? 'ok' : cut.error?.code ?? 'no code');
        if (cut.state !== 'error' || cut.error?.code !== 'DOWNLOAD_NO_SPACE') failures.push(`download, disk filled during it: ${cut.state} ${cut.error?.code ?? ''} ${cut.error?.message ?? ''}, not DOWNLOAD_NO_SPACE`);
        await unchanged('disk filled during a download', before);
        hub.clearFaults();
        await rm(filler);

        // space is back: the app keeps answering
        stable('turn, space freed', await turn(first.conversationId));
        if (outcomes['turn, space freed'] !== 'ok') failures.push(`the turn after space was freed: ${outcomes['turn, space freed']}`);
        const conv = await host.call('conversations.get', { id: first.conversationId });
        if (conv.messages.at(-1)?.status !== 'done') failures.push(`the conversation's last message is ${conv.messages.at(-1)?.status}`);
        // still past the check: its 64 MiB reserve never fits this small disk (the refusal is checked above)
        await host.call('downloads.resume', { id: d.id });
        const resumed = await until((x) => x.id === d.id && x.state === 'done' && x.modelId !== null);
        stable('download resumed, space freed', resumed.state === 'done' ? 'ok' : 'not done');
      } finally {
        await host.close();
        await rm(filler, { force: true });
        await rm(data, { recursive: true, force: true });
      }
      const round = { slackPages, outcomes, failures };
      rounds.push(round);
      o.onRound?.(round, i);
    }
    return rounds;
  } finally {
    await hub.close();
    execFileSync('umount', [mnt]);
    await rm(root, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const arg = cliArg;
  if (!canMountTmpfs()) throw new Error('soak:fulldisk mounts a tmpfs for its data folder: run it as root (or in a container allowed to mount).');
  const rounds = Number(arg('rounds') ?? 10);
  const started = Date.now();
  const rs = await fullDiskCampaign({
    rounds, seed: Number(arg('seed') ?? 1), sizeKiB: Number(arg('size-kib') ?? 2048),
    onRound: (x, i) => process.stderr.write(`round ${i + 1}/${rounds} (slack ${x.slackPages} pages): ${JSON.stringify(x.outcomes)}${x.failures.length > 0 ? ` FAILED: ${x.failures.join('; ')}` : ''}\n`),
  });
  const tally: Record<string, Record<string, number>> = {};
  for (const x of rs) for (const [step, out] of Object.entries(x.outcomes)) (tally[step] ??= {})[out] = (tally[step]![out] ?? 0) + 1;
  process.stdout.write(`${JSON.stringify({ rounds, minutes: Number(((Date.now() - started) / 60_000).toFixed(1)), failedRounds: rs.filter((x) => x.failures.length > 0).length, tally }, null, 2)}\n`);
  process.exitCode = rs.some((x) => x.failures.length > 0) ? 1 : 0;
}
