/**
 * `npm run soak:gguf [-- --seed N --count N --out DIR --timeout-s S --import-only --no-engine]`
 *
 * The damaged-GGUF campaign: from a seed, derives damaged variants of the bundled model and the third-party
 * fixtures (src-main/engine/gguf/damageGguf.ts), imports each through a real Reckon host and engine process
 * and, when the import accepts it, loads it and generates a few tokens. Each file has a time bound. Counts
 * each outcome, prints a table and writes results.json + table.md under --out (default: a new folder in the
 * system temp dir; never the install folder). --no-engine runs only the header check, in this process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ReckonError } from '../../src-main/common/errors';
import { damagedVariants, type DamagedVariant } from '../../src-main/engine/gguf/damageGguf';
import { checkGguf } from '../../src-main/engine/ggufCheck';
import type { WorkerJob, WorkerReply } from './ggufCorpusWorker';

const root = resolve(import.meta.dirname, '../..');
const SOURCES = [
  join(root, 'models/reckon-arith.gguf'),
  join(root, '../shared/fixtures/gguf/stories260K.gguf'),
  join(root, '../shared/fixtures/gguf/llama-2-tiny-random.gguf'),
];

export type Outcome = 'refused at import' | 'accepted, works' | 'accepted, refused at load' | 'engine crash'
  | 'host crash' | 'hang' | 'INTERNAL';
const OUTCOMES: Outcome[] = ['refused at import', 'accepted, works', 'accepted, refused at load', 'engine crash', 'host crash', 'hang', 'INTERNAL'];

interface Result { id: string; kind: string; outcome: Outcome; code?: string; message?: string; ms: number }

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seed = Number(arg('seed') ?? 1);
const count = arg('count') === undefined ? undefined : Number(arg('count'));
const timeoutMs = 1000 * Number(arg('timeout-s') ?? 90);
const noEngine = process.argv.includes('--no-engine');
const importOnly = process.argv.includes('--import-only');
const outDir = resolve(arg('out') ?? mkdtempSync(join(tmpdir(), 'reckon-soak-gguf-')));
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'reckon-soak-gguf-files-'));

/** A message that carries raw bytes (control characters, broken UTF-8) would reach the user's screen as such. */
const unprintable = (m: string | undefined): boolean => m !== undefined && /[\p{Cc}\uFFFD]/u.test(m);

function classify(r: WorkerReply): Outcome {
  if (r.code === 'INTERNAL') return 'INTERNAL';
  if (r.code === 'ENGINE_CRASHED' || r.code === 'ENGINE_UNAVAILABLE') return 'engine crash';
  if (r.stage === 'import') return r.ok ? 'accepted, works' : 'refused at import';
  return r.ok ? 'accepted, works' : 'accepted, refused at load';
}

class Worker {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;

  private start(): Promise<void> {
    const child = fork(join(import.meta.dirname, 'ggufCorpusWorker.ts'), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child.stderr?.resume(); // the host's own crash notices; the replies carry what matters
    this.child = child;
    return new Promise((ok, fail) => {
      child.once('message', () => ok());
      child.once('exit', (code) => fail(new Error(`the campaign worker exited at start (${code})`)));
    });
  }

  /** Runs one job; a reply, or the worker's death ('host crash'), or the time bound ('hang'). */
  async run(job: WorkerJob): Promise<WorkerReply | 'host crash' | 'hang'> {
    this.ready ??= this.start();
    await this.ready;
    const child = this.child as ChildProcess;
    return new Promise((done) => {
      const timer = setTimeout(() => { cleanup(); this.kill(); done('hang'); }, timeoutMs);
      const onMessage = (m: WorkerReply): void => { if (m.id === job.id) { cleanup(); done(m); } };
      const onExit = (): void => { cleanup(); this.child = null; this.ready = null; done('host crash'); };
      const cleanup = (): void => { clearTimeout(timer); child.off('message', onMessage); child.off('exit', onExit); };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(job);
    });
  }

  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
    this.ready = null;
  }

  close(): void {
    this.child?.disconnect();
    this.child = null;
  }
}

async function runOne(v: DamagedVariant, worker: Worker | null): Promise<Result> {
  const path = join(work, `${v.id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120)}.gguf`);
  writeFileSync(path, v.make());
  const t0 = performance.now();
  try {
    if (worker === null) {
      try {
        checkGguf(path);
        return { id: v.id, kind: v.kind, outcome: 'accepted, works', ms: performance.now() - t0 };
      } catch (err) {
        const e = err instanceof ReckonError ? err : null;
        return {
          id: v.id, kind: v.kind, outcome: e === null || e.code === 'INTERNAL' ? 'INTERNAL' : 'refused at import',
          code: e?.code ?? 'THROWN', message: e?.message ?? String(err), ms: performance.now() - t0,
        };
      }
    }
    const r = await worker.run({ id: v.id, path, importOnly });
    const ms = performance.now() - t0;
    if (r === 'host crash' || r === 'hang') return { id: v.id, kind: v.kind, outcome: r, ms };
    const res: Result = { id: v.id, kind: v.kind, outcome: classify(r), ms };
    if (r.code !== undefined) res.code = r.code;
    if (r.message !== undefined) res.message = r.message;
    return res;
  } finally {
    rmSync(path, { force: true });
  }
}

function table(results: Result[], header: string): string {
  const kinds = [...new Set(results.map((r) => r.kind))];
  const cell = (k: string | null, o: Outcome): number => results.filter((r) => (k === null || r.kind === k) && r.outcome === o).length;
  const lines = [header, '', `| kind | files | ${OUTCOMES.join(' | ')} |`, `|---|---:|${OUTCOMES.map(() => '---:').join('|')}|`];
  for (const k of kinds) lines.push(`| ${k} | ${results.filter((r) => r.kind === k).length} | ${OUTCOMES.map((o) => cell(k, o)).join(' | ')} |`);
  lines.push(`| **all** | **${results.length}** | ${OUTCOMES.map((o) => `**${cell(null, o)}**`).join(' | ')} |`);
  const codes = new Map<string, number>();
  for (const r of results) if (r.code !== undefined) codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
  lines.push('', `Error codes: ${[...codes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}.`);
  lines.push(`Messages with raw bytes (control characters or broken UTF-8): ${results.filter((r) => unprintable(r.message)).length}.`);
  return lines.join('\n');
}

const variants = damagedVariants(SOURCES, seed, count);
const mode = noEngine ? 'header check only' : importOnly ? 'import through host + engine' : 'import, then load + generate through host + engine';
process.stdout.write(`soak:gguf seed ${seed}, ${variants.length} variants, ${mode}, ${timeoutMs / 1000} s per file, results in ${outDir}\n`);
const worker = noEngine ? null : new Worker();
const results: Result[] = [];
const started = Date.now();
try {
  for (const [i, v] of variants.entries()) {
    const r = await runOne(v, worker);
    results.push(r);
    if (r.outcome !== 'refused at import' && r.outcome !== 'accepted, works') {
      process.stdout.write(`  ${r.outcome}: ${r.id}${r.code ? ` (${r.code}: ${r.message})` : ''}\n`);
    }
    if ((i + 1) % 50 === 0) process.stdout.write(`  ${i + 1}/${variants.length} done\n`);
  }
} finally {
  worker?.close();
  rmSync(work, { recursive: true, force: true });
}
const minutes = ((Date.now() - started) / 60000).toFixed(1);
const md = table(results, `soak:gguf ${new Date().toISOString().slice(0, 10)}, seed ${seed}, ${results.length} variants, ${mode}, ${minutes} min`);
writeFileSync(join(outDir, 'results.json'), JSON.stringify({ seed, mode, results }, null, 1));
writeFileSync(join(outDir, 'table.md'), `${md}\n`);
process.stdout.write(`\n${md}\n`);
