/**
 * The terminal front door: `reckon ask | chat | models | info | serve`. Built to out/main/cli.js and run by
 * bin/reckon.mjs. It uses the same host as the desktop app (store under $RECKON_HOME, engine process).
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SendParams } from '../common/api';
import { backendLabel } from '../common/backendLabel';
import { ReckonError, type ErrorPayload } from '../common/errors';
import type { TurnEvent } from '../common/events';
import type { Ledger } from '../common/ledger';
import type { Message, SystemInfo } from '../common/types';
import { createHost, defaultHostOptions, engineChoiceFrom, repoRoot, type Host } from '../host/index';
import { startWebServer } from '../web/server';
import { cmdCalibrate } from './calibrate';
import { cmdPull } from './pull';
import { dim, humanBytes, ledgerLine, modelsTable, planLine, reliabilityLine } from './format';
import { StrategyNames, type Effort, type StrategyName } from '../common/controller/types';
import { parseEffort } from '../common/controller/effort';
import type { ToolCommands } from './toolCommands';
import { cmdAudit, cmdKeys, cmdReceipt, cmdReplay, receiptSummary } from './auditCommands';

const help = `reckon - offline reasoning assistant

Usage:
  reckon ask "<question>" [--effort auto|low|medium|high|0..1] [--strategy auto|long|budget|early-exit|short-m@k|pdr] [--model <id|path.gguf>] [--json] [--system "..."] [--max-tokens N]
  reckon chat [--effort auto|low|medium|high|0..1] [--strategy ...] [--model <id|path.gguf>] [--system "..."] [--max-tokens N]
                                --effort: auto (the difficulty class picks), a level the model is asked for
                                (low: shortest reasoning, medium: no re-check, high: its full trace), or a
                                fraction of the expected thinking at high effort (50% or 0.5; a level + a budget)
  reckon calibrate [--model <id|path.gguf>] [--per-question N] [--questions N (>= 24)] [--label-free] [--seed N] [--json]
                                calibrate the model's DiffAdapt probe (Ctrl-C cancels); it is installed only if it
                                beats its majority baseline and the current probe, else kept aside with the reason
  reckon calibrate --restore [--model <id|path.gguf>]
                                remove the calibrated probe so the shipped one applies again
  reckon pull <owner/repo>[:<quant or file>] | <https URL> [--token T] [--json]
                                download a GGUF from the hub (HF_ENDPOINT, default https://huggingface.co),
                                check its sha256 and register it; Ctrl-C pauses, the same command resumes
  reckon models                 list registered models (a model marked broken says why)
  reckon models retry <id>      clear a model's broken mark ("Try again")
  reckon info                   backend, devices, threads, model, data folder
  reckon serve [--port N] [--token T | --new-token] [--api-port N] [--api-key KEY]
                                browser mode on 127.0.0.1 (prints the URL with its access token: --token,
                                else the one kept in the data folder across restarts; --new-token
                                replaces that one, so pages opened with the old URL are refused) and the
                                OpenAI-compatible API on its own port (Settings, default 8147; --api-port
                                overrides it, 0 = any free port) and under /v1 of the page's port; prints
                                its base URL and key (--api-key, else $RECKON_API_KEY, else one generated
                                once and kept)
  reckon eval [--set file.jsonl] [--strategy long,budget,auto,early-exit,short-m@k,pdr|all] [--effort E[,E...]] [--n N per tier] [--seed S] [--threads T] [--json] [--out DIR]
                                compare controller strategies; writes report.md and pareto.svg to DIR
                                (default: $RECKON_HOME/reports/eval-<time>/) and prints where
  reckon eval --audit [--n N per tier] [--seed S] [--threads T] [--model file.gguf] [--json] [--out DIR]
                                receipt attack suite on real traces of the model; writes audit.md to DIR
                                (default: $RECKON_HOME/reports/audit-<time>/)
  reckon audit <receipt.json> [--remote http://127.0.0.1:PORT/?token=...] [--trust KEY[,KEY]] [--json]
                                audit a hidden-token receipt (its own store, or challenge the issuer over HTTP);
                                --trust: issuer keys (hex) to trust for this audit besides this install's and pinned ones
  reckon audit --replay <receipt.json|messageId> [--remote http://127.0.0.1:PORT/?token=...] [--json]
                                replay audit: re-run the committed plan with the same model file and compare the tree
                                with the committed root; where it differs, teacher-force the committed tokens and
                                name the first divergent position (exit 0 only when the replay verifies)
  reckon keys list|export|import <file>|trust <key> [--label L]|untrust <key> [--json]
                                receipt keys: this install's own (export), pinned and first-use remote issuers
  reckon receipt <messageId> [--out file.json]
                                export a message's receipt with its provider store
  reckon --help

Engine (every command): --engine <url> [--engine-key KEY] (else $RECKON_ENGINE_URL, $RECKON_ENGINE_KEY) drives a
llama.cpp llama-server at that URL instead of the built-in engine (docs/engines.md); its model must be the file
the turn uses (by file name).

Data lives in $RECKON_HOME (default ~/.config/reckon). Exit codes: 0 ok, 1 error, 2 usage, 130 interrupted.
`;

interface Args {
  cmd: string | undefined;
  positional: string[];
  flags: Map<string, string | true>;
}

const valueFlags = new Set(['effort', 'strategy', 'set', 'n', 'seed', 'threads', 'model', 'system', 'max-tokens', 'port', 'per-question', 'questions', 'seed']);
const boolFlags = new Set(['json', 'help', 'label-free', 'restore', 'audit', 'replay', 'new-token']);
valueFlags.add('remote').add('out').add('trust').add('label').add('api-key').add('token').add('api-port').add('engine').add('engine-key');

class UsageError extends Error {}

export function parseArgs(argv: string[]): Args {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (a === '-h') { flags.set('help', true); continue; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq === -1 ? undefined : eq);
      if (valueFlags.has(name)) {
        const v = eq === -1 ? argv[++i] : a.slice(eq + 1);
        if (v === undefined) throw new UsageError(`--${name} needs a value.`);
        flags.set(name, v);
      } else if (boolFlags.has(name)) {
        flags.set(name, true);
      } else {
        throw new UsageError(`Unknown option --${name}.`);
      }
      continue;
    }
    positional.push(a);
  }
  return { cmd: positional.shift(), positional, flags };
}

function flag(a: Args, name: string): string | undefined {
  const v = a.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function intFlag(a: Args, name: string): number | undefined {
  const v = flag(a, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number.`);
  return n;
}

/** --model: a registered id, or a path to a .gguf (used directly, without registering it). */
function modelParams(a: Args): Pick<SendParams, 'modelId' | 'modelPath'> {
  const m = flag(a, 'model');
  if (m === undefined) return {};
  return /\.gguf$/i.test(m) || m.includes('/') || m.includes('\\') ? { modelPath: m } : { modelId: m };
}

const effortUsage = '--effort must be auto, low, medium, high or a fraction 0..1 (or 0%..100%).';

/** --effort auto|low|medium|high|0..1|0%..100% (docs/controller.md); exported for the tests. */
export function effortFlag(value: string): Effort {
  const v = parseEffort(value);
  if (v === null) throw new UsageError(effortUsage);
  return v;
}

/** --effort and --strategy auto|long|budget|early-exit|short-m@k|pdr (docs/controller.md). */
function controllerParams(a: Args): Pick<SendParams, 'effort' | 'strategy'> {
  const p: Pick<SendParams, 'effort' | 'strategy'> = {};
  const effort = flag(a, 'effort');
  if (effort !== undefined) p.effort = effortFlag(effort);
  const strategy = flag(a, 'strategy');
  if (strategy !== undefined) {
    if (!(StrategyNames as readonly string[]).includes(strategy)) throw new UsageError(`--strategy must be one of ${StrategyNames.join(', ')}.`);
    p.strategy = strategy as StrategyName;
  }
  return p;
}

function turnParams(a: Args): Omit<SendParams, 'text'> {
  const p: Omit<SendParams, 'text'> = { ...modelParams(a), ...controllerParams(a) };
  const system = flag(a, 'system');
  if (system !== undefined) p.systemPrompt = system;
  const max = intFlag(a, 'max-tokens');
  if (max !== undefined) {
    if (max < 1) throw new UsageError('--max-tokens must be at least 1.');
    p.maxTokens = max;
  }
  return p;
}

interface TurnOutcome {
  status: 'done' | 'stopped' | 'error';
  message: Message | undefined;
  ledger: Ledger | undefined;
  error: ErrorPayload | undefined;
  modelId: string;
}

interface TurnHooks {
  onThought?: (t: string) => void;
  onAnswer?: (t: string) => void;
  onThoughtEnd?: () => void;
  onProgress?: (p: number) => void;
  /** Receives the turn id as soon as it is known (for Ctrl-C). */
  onStarted?: (turnId: string) => void;
}

/** Sends one question and resolves when its turn ends. Events that arrive before the id is known are buffered. */
async function runTurn(host: Host, params: SendParams, hooks: TurnHooks): Promise<TurnOutcome & { conversationId: string }> {
  let turnId: string | null = null;
  const early: TurnEvent[] = [];
  let outcome!: (o: TurnOutcome) => void;
  const ended = new Promise<TurnOutcome>((r) => { outcome = r; });
  let ledger: Ledger | undefined;
  let modelId = params.modelId ?? '';
  const handle = (e: TurnEvent): void => {
    switch (e.type) {
      case 'start': modelId = e.modelId; break;
      case 'load-progress': hooks.onProgress?.(e.progress); break;
      case 'thought': hooks.onThought?.(e.text); break;
      case 'thought-end': hooks.onThoughtEnd?.(); break;
      case 'answer': hooks.onAnswer?.(e.text); break;
      case 'ledger': ledger = e.ledger; break;
      case 'done': outcome({ status: e.status, message: e.message, ledger: ledger ?? e.message.ledger, error: undefined, modelId }); break;
      case 'error': outcome({ status: 'error', message: e.message, ledger, error: e.error, modelId }); break;
    }
  };
  const off = host.onTurnEvent((e) => {
    if (turnId === null) early.push(e);
    else if (e.turnId === turnId) handle(e);
  });
  try {
    const r = await host.call('chat.send', params);
    turnId = r.turnId;
    hooks.onStarted?.(turnId);
    for (const e of early.splice(0)) if (e.turnId === turnId) handle(e);
    return { ...(await ended), conversationId: r.conversationId };
  } finally {
    off();
  }
}

function progressPrinter(): (p: number) => void {
  if (!process.stderr.isTTY) return () => undefined;
  return (p) => {
    process.stderr.write(`\r\x1b[2KLoading model… ${Math.round(p * 100)}%`);
    if (p >= 1) process.stderr.write('\r\x1b[2K');
  };
}

async function cmdAsk(host: Host, a: Args): Promise<number> {
  const json = a.flags.has('json');
  const question = a.positional.join(' ').trim();
  if (!question) throw new UsageError('ask needs a question: reckon ask "What is 37+48?"');
  const params: SendParams = { text: question, ...turnParams(a) };
  const tty = !json && process.stdout.isTTY === true;
  let turnId: string | null = null;
  let interrupted = false;
  const onSigint = (): void => {
    interrupted = true;
    if (turnId) void host.call('chat.stop', { turnId }).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  const started = Date.now();
  let sawThought = false;
  try {
    const r = await runTurn(host, params, {
      onStarted: (id) => { turnId = id; if (interrupted) onSigint(); },
      onProgress: progressPrinter(),
      onThought: (t) => { if (tty) { sawThought = true; process.stdout.write(dim(t, true)); } },
      onThoughtEnd: () => { if (tty && sawThought) process.stdout.write('\n'); },
      onAnswer: (t) => { if (!json) process.stdout.write(t); },
    });
    if (r.status === 'error') {
      const err = r.error ?? { code: 'INTERNAL', message: 'The turn failed.' };
      // --json carries the details too: for ENGINE_CRASHED the reason, what was done (restart) and the model.
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } })}\n`);
      else process.stderr.write(`\nreckon: ${err.message} (${err.code})\n`);
      return 1;
    }
    const info = await host.call('system.info');
    if (json) {
      const m = r.message;
      process.stdout.write(`${JSON.stringify({
        answer: m?.text ?? '',
        thinking: m?.thinking ?? '',
        model: r.modelId,
        // A remote engine says where it runs ('remote llama-server at <url>'); the built-in one its backend.
        backend: info.backend?.remote !== undefined ? backendLabel(info.backend) : info.backend?.active ?? null,
        // What runs, in `reckon info`'s words: also says a device-less GPU backend or a software device.
        backendLabel: info.backend ? backendLabel(info.backend) : null,
        ledger: r.ledger ?? null,
        receipt: receiptSummary(m?.receipt),
        ...(m?.receiptError !== undefined ? { receiptError: m.receiptError } : {}),
        messageId: m?.id ?? null,
        difficulty: m?.difficulty ?? null,
        plan: m?.plan ?? null,
        ...(m?.earlyExit !== undefined ? { earlyExit: m.earlyExit } : {}),
        reliability: m?.reliability ?? null,
        ...(m?.drafts !== undefined ? { drafts: m.drafts } : {}),
        ...(m?.latencyTokens !== undefined ? { latencyTokens: m.latencyTokens } : {}),
        ...(r.status === 'stopped' ? { stopped: true } : {}),
      })}\n`);
    } else {
      process.stdout.write('\n');
      const plan = r.message?.plan;
      if (plan !== undefined) process.stderr.write(`${dim(planLine(plan, r.message?.difficulty), process.stderr.isTTY === true)}\n`);
      // Unsure is not dimmed: it is what the user should not miss.
      if (r.message?.reliability) process.stderr.write(`${reliabilityLine(r.message.reliability)}\n`);
      if (r.ledger) process.stderr.write(`${dim(ledgerLine(r.ledger, (Date.now() - started) / 1000), process.stderr.isTTY === true)}\n`);
    }
    return interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function cmdChat(host: Host, a: Args): Promise<number> {
  const base = turnParams(a);
  const tty = process.stdout.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true, prompt: '› ' });
  let conversationId: string | undefined;
  let turnId: string | null = null;
  let lastInterrupt = 0;
  let exiting = false;
  const interrupt = (): void => {
    if (turnId) {
      process.stdout.write(dim(' [stopping]', tty));
      void host.call('chat.stop', { turnId }).catch(() => undefined);
      return;
    }
    if (Date.now() - lastInterrupt < 3000) {
      exiting = true;
      rl.close();
      return;
    }
    lastInterrupt = Date.now();
    process.stdout.write('\n(press Ctrl-C again to exit)\n');
    rl.prompt();
  };
  rl.on('SIGINT', interrupt);
  process.on('SIGINT', interrupt);
  process.stdout.write(dim('Reckon chat. Ctrl-C stops an answer; Ctrl-C twice at the prompt (or /exit) quits; /new starts a new conversation.\n', tty));
  rl.prompt();
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (exiting) break;
      if (line === '') { rl.prompt(); continue; }
      if (line === '/exit' || line === '/quit') break;
      if (line === '/new') { conversationId = undefined; process.stdout.write('(new conversation)\n'); rl.prompt(); continue; }
      const started = Date.now();
      let sawThought = false;
      const params: SendParams = { text: line, ...base };
      if (conversationId) params.conversationId = conversationId;
      try {
        const r = await runTurn(host, params, {
          onStarted: (id) => { turnId = id; },
          onProgress: progressPrinter(),
          onThought: (t) => { sawThought = true; process.stdout.write(dim(t, tty)); },
          onThoughtEnd: () => { if (sawThought) process.stdout.write('\n'); },
          onAnswer: (t) => process.stdout.write(t),
        });
        conversationId = r.conversationId;
        process.stdout.write('\n');
        if (r.status === 'error') process.stdout.write(`reckon: ${r.error?.message ?? 'The turn failed.'} (${r.error?.code ?? 'INTERNAL'})\n`);
        else if (r.ledger) {
          const plan = r.message?.plan;
          const head = plan !== undefined ? `${planLine(plan, r.message?.difficulty)} | ` : '';
          process.stdout.write(`${dim(`${r.status === 'stopped' ? '[stopped] ' : ''}${head}${ledgerLine(r.ledger, (Date.now() - started) / 1000)}`, tty)}\n`);
          if (r.message?.reliability?.level === 'unsure') process.stdout.write(`${reliabilityLine(r.message.reliability)}\n`);
        }
      } catch (err) {
        const e = ReckonError.from(err);
        process.stdout.write(`reckon: ${e.message} (${e.code})\n`);
      } finally {
        turnId = null;
      }
      if (exiting) break;
      rl.prompt();
    }
  } finally {
    process.off('SIGINT', interrupt);
    rl.close();
  }
  return 0;
}

async function cmdModels(host: Host, a: Args): Promise<number> {
  if (a.positional[0] === 'retry') {
    const id = a.positional[1];
    if (id === undefined) throw new UsageError('reckon models retry needs a model id (see `reckon models`).');
    const m = await host.call('models.clearBroken', { id });
    process.stdout.write(`${m.name} is no longer marked broken; the next question uses it.\n`);
    return 0;
  }
  if (a.positional.length > 0) throw new UsageError(`Unknown models command '${a.positional[0]}'.`);
  const models = await host.call('models.list');
  if (models.length === 0) {
    process.stdout.write('No models registered. Import one with the desktop app, or use `reckon ask --model path/to/file.gguf`.\n');
    return 0;
  }
  process.stdout.write(`${modelsTable(models)}\n`);
  for (const m of models) {
    if (m.broken) process.stdout.write(`\n${m.name} is marked broken: it crashed the engine twice (${m.broken.reason}). \`reckon models retry ${m.id}\` tries it again.\n`);
  }
  return 0;
}

async function waitForEngine(host: Host, ms: number): Promise<SystemInfo> {
  const until = Date.now() + ms;
  for (;;) {
    const info = await host.call('system.info');
    if (info.engine.state === 'ready' || info.engine.state === 'stopped' || Date.now() > until) return info;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function cmdInfo(host: Host): Promise<number> {
  const models = await host.call('models.list');
  const settings = await host.call('settings.get');
  const info = await waitForEngine(host, 60_000);
  const b = info.backend;
  const model = models.find((m) => m.id === settings.modelId) ?? models.find((m) => m.bundled) ?? models[0];
  const lines: [string, string][] = [
    ['version', info.version],
    ['engine', `${info.engine.state}${info.engine.pid ? ` (pid ${info.engine.pid})` : ''}`],
    ['backend', b ? `${backendLabel(b)}, requested ${b.requested}${b.fallbackReason ? ` (${b.fallbackReason})` : ''}, ${b.buildType}` : 'unknown (engine not ready)'],
    ['devices', b ? (b.deviceNames.length ? b.deviceNames.join(', ') : 'none (CPU)') : '-'],
    // A software renderer's "VRAM" is a heap in system memory: say so rather than report a GPU's memory.
    ['vram', b?.vram ? `${humanBytes(b.vram.free)} free of ${humanBytes(b.vram.total)}${b.softwareDevices !== undefined && b.noDevice === undefined ? ' (system memory: software device)' : ''}` : '-'],
    ['threads', b ? `${b.threads} (${b.threadsSource}; ${b.cpuCores} cores)` : `${settings.threads ?? 'auto'}`],
    ['model', model ? `${model.name} (${model.id})${settings.modelId ? '' : ' - default'}` : 'none registered'],
    ['user data', info.userDataDir],
  ];
  const w = Math.max(...lines.map(([k]) => k.length));
  process.stdout.write(`${lines.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`);
  return 0;
}

/** The API key fixed for this run: --api-key, else $RECKON_API_KEY; absent = the stored (generated) one. */
function apiKeyOf(a: Args): string | undefined {
  const k = flag(a, 'api-key') ?? (process.env['RECKON_API_KEY'] || undefined);
  if (k !== undefined && !/^[\x21-\x7e]{8,200}$/.test(k)) throw new UsageError('The API key must be 8..200 printable characters without spaces.');
  return k;
}

async function cmdServe(host: Host, a: Args): Promise<number> {
  const port = intFlag(a, 'port') ?? 0;
  const token = flag(a, 'token');
  if (token !== undefined && !/^[A-Za-z0-9_-]{16,200}$/.test(token)) {
    throw new UsageError('--token must be 16..200 characters: letters, digits, - and _ (it goes into the page URL).');
  }
  if (token !== undefined && a.flags.has('new-token')) throw new UsageError('--token and --new-token do not go together.');
  if (a.flags.has('new-token')) await host.pageToken.rotate();
  const srv = await startWebServer({
    host, port, rendererDir: join(repoRoot(), 'out', 'renderer'), ...(token !== undefined ? { token } : {}),
    onUrlChange: (url) => process.stdout.write(`The access token was rotated in Settings. The page's new URL:\n  ${url}\n`),
  });
  const { key } = await host.call('api.key');
  const api = await host.call('api.status');
  process.stdout.write(`Reckon is running in browser mode. Open:\n  ${srv.url}\n`);
  // The API's own port when it opened; when another program holds it, /v1 beside the page still answers.
  if (api.state === 'error') process.stderr.write(`reckon: ${api.error?.message ?? 'the API port could not be opened'}\n`);
  process.stdout.write(api.state === 'off'
    ? 'OpenAI-compatible API: off (turn it on in Settings)\n'
    : `OpenAI-compatible API: ${api.baseUrl ?? `http://127.0.0.1:${srv.port}/v1`}\nAPI key: ${key}\n`);
  process.stdout.write('(Ctrl-C stops it.)\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await srv.close();
  return 0;
}

/** Runs the CLI; resolves with the exit code. `tools`: the commands built from tools/ (see toolCommands.ts). */
export async function main(argv: string[], tools: ToolCommands = {}): Promise<number> {
  let a: Args;
  try {
    a = parseArgs(argv);
  } catch (err) {
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { code: 'BAD_REQUEST', message: (err as Error).message } })}\n`);
    process.stderr.write(`reckon: ${(err as Error).message}\n\n${help}`);
    return 2;
  }
  if (a.flags.has('help') || a.cmd === undefined || a.cmd === 'help') {
    process.stdout.write(help);
    return a.cmd === undefined && !a.flags.has('help') ? 2 : 0;
  }
  if (!['ask', 'chat', 'models', 'info', 'serve', 'calibrate', 'eval', 'audit', 'receipt', 'keys', 'pull'].includes(a.cmd)) {
    process.stderr.write(`reckon: unknown command '${a.cmd}'.\n\n${help}`);
    return 2;
  }
  const json = a.flags.has('json');
  // The engine for every command: --engine <url> (else $RECKON_ENGINE_URL) = a llama-server, else the built-in one.
  const engine = engineChoiceFrom({ url: flag(a, 'engine'), key: flag(a, 'engine-key') });
  if (a.cmd === 'eval') {
    try {
      const model = flag(a, 'model');
      const out = flag(a, 'out');
      if (tools.eval === undefined) throw new ReckonError('INTERNAL', 'reckon eval is not part of this build (out/main/eval.js is missing): run `npm run build`.');
      const efforts = flag(a, 'effort')?.split(',').map(effortFlag);
      return await tools.eval({
        ...(efforts !== undefined ? { efforts } : {}),
        set: flag(a, 'set'), strategy: flag(a, 'strategy'), n: intFlag(a, 'n'), seed: intFlag(a, 'seed'), json,
        threads: intFlag(a, 'threads'), maxTokens: intFlag(a, 'max-tokens'), ...(model !== undefined ? { modelPath: model } : {}),
        ...(a.flags.has('audit') ? { audit: true } : {}), ...(out !== undefined ? { outDir: out } : {}),
        ...(engine.kind !== 'builtin' ? { engine } : {}),
      });
    } catch (err) {
      const e = err instanceof UsageError ? { code: 'BAD_REQUEST', message: err.message } : ReckonError.from(err);
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
      process.stderr.write(`reckon: ${e.message}\n`);
      return err instanceof UsageError ? 2 : 1;
    }
  }
  let host: Host | null = null;
  try {
    const hostOptions = defaultHostOptions(a.cmd === 'serve' ? 'browser' : 'cli');
    const apiKey = a.cmd === 'serve' ? apiKeyOf(a) : undefined;
    const apiPort = a.cmd === 'serve' ? intFlag(a, 'api-port') : undefined;
    if (apiPort !== undefined && (apiPort < 0 || apiPort > 65535)) throw new UsageError('--api-port must be 0..65535 (0 = any free port).');
    host = await createHost({
      ...hostOptions,
      engine,
      ...(apiKey !== undefined ? { apiKey } : {}),
      // browser mode opens the API's own port like the desktop app (Settings > API: on/off, port).
      ...(a.cmd === 'serve' ? { serveApi: apiPort !== undefined ? { port: apiPort } : {} } : {}),
    });
    switch (a.cmd) {
      case 'ask': return await cmdAsk(host, a);
      case 'chat': return await cmdChat(host, a);
      case 'models': return await cmdModels(host, a);
      case 'info': return await cmdInfo(host);
      case 'audit': {
        if (a.positional[0] === undefined) throw new UsageError(`reckon audit needs a receipt file${a.flags.has('replay') ? ' or a message id' : ''}.`);
        const remote = flag(a, 'remote');
        if (a.flags.has('replay')) return await cmdReplay(host, { target: a.positional[0], json, ...(remote !== undefined ? { remote } : {}) });
        const trust = flag(a, 'trust')?.split(',').map((k) => k.trim()).filter((k) => k !== '');
        return await cmdAudit(host, { file: a.positional[0], json, ...(remote !== undefined ? { remote } : {}), ...(trust !== undefined ? { trust } : {}) });
      }
      case 'keys': {
        const label = flag(a, 'label');
        return await cmdKeys(host, { action: a.positional[0] ?? 'list', arg: a.positional[1], json, ...(label !== undefined ? { label } : {}) });
      }
      case 'pull': {
        if (a.positional[0] === undefined) throw new UsageError('reckon pull needs owner/repo[:quant or file] or an https URL.');
        const token = flag(a, 'token');
        return await cmdPull(host, { ref: a.positional[0], json, ...(token !== undefined ? { token } : {}) });
      }
      case 'receipt': {
        if (a.positional[0] === undefined) throw new UsageError('reckon receipt needs a message id.');
        const out = flag(a, 'out');
        return await cmdReceipt(host, { messageId: a.positional[0], ...(out !== undefined ? { out } : {}) });
      }
      case 'calibrate': {
        const perQuestion = intFlag(a, 'per-question');
        const questions = intFlag(a, 'questions');
        const seed = intFlag(a, 'seed');
        return await cmdCalibrate(host, {
          json,
          restore: a.flags.has('restore'),
          params: {
            ...modelParams(a),
            ...(perQuestion !== undefined ? { perQuestion } : {}),
            ...(questions !== undefined ? { questions } : {}),
            ...(seed !== undefined ? { seed } : {}),
            ...(a.flags.has('label-free') ? { labelFree: true } : {}),
          },
        });
      }
      default: return await cmdServe(host, a);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'BAD_REQUEST', message: err.message } })}\n`);
      process.stderr.write(`reckon: ${err.message}\n`);
      return 2;
    }
    const e = ReckonError.from(err);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
    else process.stderr.write(`reckon: ${e.message} (${e.code})\n`);
    return 1;
  } finally {
    await host?.close();
  }
}
