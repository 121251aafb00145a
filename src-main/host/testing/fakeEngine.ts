/**
 * A small in-process stand-in for the engine process, for host tests and e2e: it speaks the engine protocol
 * (ready, init, inspect, load, generate with streamed TurnEvents, abort, crash) without node-llama-cpp.
 * A generate streams the scripted thought and answer pieces, then its ledger, and returns the thinking as hidden
 * tokens (one per character) with their fingerprint leaves over `fakeEmbeddingTable`, so the host issues receipts.
 * Tests that need to see each step of a call script it (`script`): the script streams events and pauses at named
 * gates (`gates`, gates.ts) until the test opens them, so nothing depends on how fast the machine is.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { EngineEvent, EngineMethod, EngineToHost, GenerateParams, GenerateResult, HostToEngine, TurnFingerprints } from '../../common/engineProtocol';
import { ReckonError } from '../../common/errors';
import { makeLedger } from '../../common/ledger';
import { fingerprintSegments, flatEmbeddingTable, makeEmbeddingSpec, toBase64, type EmbeddingTable, type HiddenSegment } from '../../common/receipts';
import type { BackendInfo } from '../../common/types';
import type { EngineChannel, EngineSpawner } from '../types';
import { Gates } from './gates';

/** An engine event as a script emits it: the fake engine tags it with the call's id (turnId, or requestId for calibration). */
export type ScriptEvent = EngineEvent extends infer E ? (E extends unknown ? Omit<E, 'requestId' | 'turnId'> : never) : never;

/** What a scripted call can do besides returning its result. */
export interface ScriptIO {
  /** Streams an event for this call. */
  emit(event: ScriptEvent): void;
  /** Waits until the test opens gate `name`; rejects with GateAborted when the call is aborted or the engine exits. */
  gate(name: string): Promise<void>;
  /** Aborted by the host's `abort` for this call's requestId, or when the engine exits. */
  signal: AbortSignal;
  /** Kills this engine as a native abort would (SIGABRT), e.g. mid-turn. */
  crash(): void;
  /** Whether the host asked this call to answer now (engine method answerNow). */
  answerNowRequested(): boolean;
}

/** Answers one engine call: its return value (or promise) is the result, a throw the error (ReckonError code kept). */
export type ScriptedCall = (params: unknown, io: ScriptIO) => unknown;
export type FakeEngineScript = Partial<Record<EngineMethod, ScriptedCall>>;

export interface FakeEngineControl {
  spawner: EngineSpawner;
  /** Every channel spawned so far. */
  spawned: number;
  /** Calls received, by method name. */
  calls: HostToEngine[];
  /** Kills the current engine as a native abort would. */
  crash(): void;
  /** ms between streamed pieces. Defaults to 20. */
  stepMs: number;
  /** Pieces each generate streams: thinking then answer. */
  thought: string[];
  answer: string[];
  /** Methods answered by a script instead of the built-in behaviour. Empty by default. */
  script: FakeEngineScript;
  /** The pause points scripts wait at; shared by every engine this control spawns (they outlive a crash). */
  gates: Gates;
  /** Rewrites each generate's result before it is sent (a misbehaving engine). Defaults to none. */
  editResult?: (r: GenerateResult) => GenerateResult;
  /** The thread count a load "measures" when init gave neither a setting nor a cached count. Defaults to 2. */
  measuredThreads: number;
}

/** The fake model's embedding table: 256 rows (one per byte, the fake tokeniser), 8 dims, fixed values. */
export const fakeEmbeddingTable: EmbeddingTable = flatEmbeddingTable(Float32Array.from({ length: 256 * 8 }, (_, i) => Math.sin(i * 12.9898) * 0.5), 8);

/** Hidden tokens of a fake turn: its thinking text, one token per character (its code, below 256). */
export function fakeHiddenTokens(thinking: string): HiddenSegment[] {
  return thinking === '' ? [] : [{ kind: 'thinking', tokens: Array.from(thinking, (ch) => ch.charCodeAt(0) & 255) }];
}

export function fakeFingerprints(modelSha256: string, hidden: HiddenSegment[]): TurnFingerprints {
  const spec = makeEmbeddingSpec({ modelSha256, dims: fakeEmbeddingTable.dims, vocabSize: fakeEmbeddingTable.vocabSize });
  const fp = fingerprintSegments(spec, hidden, fakeEmbeddingTable);
  return { spec, leaves: toBase64(fp.leaves), sketches: toBase64(fp.sketches), blockCount: fp.blocks.length, counts: fp.counts };
}

const backend: BackendInfo = { requested: 'auto', active: 'cpu', buildType: 'prebuilt', deviceNames: [], vram: null, threads: 1, threadsSource: 'settings', cpuCores: 2 };

export function fakeEngine(): FakeEngineControl {
  let current: { exit: (signal: string) => void } | null = null;
  const ctl: FakeEngineControl = {
    spawned: 0,
    calls: [],
    stepMs: 20,
    thought: ['37+48: ', '7+8=15 carry 1; ', '3+4+1=8'],
    answer: ['The answer ', 'is 85.'],
    script: {},
    gates: new Gates(),
    measuredThreads: 2,
    crash: () => current?.exit('SIGABRT'),
    spawner: (): EngineChannel => {
      ctl.spawned++;
      const pid = 10_000 + ctl.spawned;
      let onMsg: ((m: EngineToHost) => void) | null = null;
      const exitCbs: ((i: { code: number | null; signal: string | null }) => void)[] = [];
      let dead = false;
      const timers = new Set<NodeJS.Timeout>();
      const aborted = new Set<string>();
      const answerNow = new Set<string>();
      const running = new Set<string>();
      const scripted = new Map<string, AbortController>();
      const later = (ms: number, f: () => void): void => {
        const t = setTimeout(() => { timers.delete(t); if (!dead) f(); }, ms);
        timers.add(t);
      };
      const post = (m: EngineToHost): void => { if (!dead) later(0, () => onMsg?.(m)); };
      const exit = (signal: string): void => {
        if (dead) return;
        dead = true;
        for (const t of timers) clearTimeout(t);
        for (const c of scripted.values()) c.abort();
        setTimeout(() => exitCbs.forEach((cb) => cb({ code: null, signal })), 1);
      };
      current = { exit };
      later(5, () => onMsg?.({ kind: 'ready', pid }));
      const ev = (event: EngineEvent): void => post({ kind: 'event', event });
      const runScript = (msg: HostToEngine, run: ScriptedCall): void => {
        const p = (msg.params ?? {}) as { requestId?: unknown };
        const rid = typeof p.requestId === 'string' ? p.requestId : `call-${msg.id}`;
        const ctrl = new AbortController();
        scripted.set(rid, ctrl);
        // Gates and crashes come after the events already emitted have been delivered (posts are queued in order).
        const delivered = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
        const io: ScriptIO = {
          emit: (e) => ev((e.type === 'calibrate-progress' ? { ...e, requestId: rid } : { ...e, turnId: rid }) as EngineEvent),
          gate: (name) => delivered().then(() => ctl.gates.wait(name, ctrl.signal)),
          signal: ctrl.signal,
          crash: () => later(0, () => exit('SIGABRT')),
          answerNowRequested: () => answerNow.has(rid),
        };
        Promise.resolve()
          .then(() => run(msg.params, io))
          .then(
            (result) => post({ kind: 'result', id: msg.id, result }),
            (err: unknown) => post({ kind: 'error', id: msg.id, error: ReckonError.from(err).toPayload() }),
          )
          .finally(() => scripted.delete(rid));
      };
      // Threads as the real engine chooses them: setting, else the host's cached count, else measured on first load.
      let info: BackendInfo = backend;
      let measure = false;
      const measureOnLoad = (): void => {
        if (!measure) return;
        measure = false;
        info = { ...info, threads: ctl.measuredThreads, threadsSource: 'measured' };
        ev({ type: 'threads-measured', threads: ctl.measuredThreads, tokensPerSecond: { 1: 10, [ctl.measuredThreads]: 20 }, measuredAt: new Date().toISOString() });
      };
      return {
        pid,
        send(msg) {
          if (dead) return;
          ctl.calls.push(msg);
          const p = msg.params as Record<string, unknown>;
          if (msg.method === 'abort') scripted.get(String(p['requestId']))?.abort();
          const script = ctl.script[msg.method];
          if (script !== undefined) return runScript(msg, script);
          switch (msg.method) {
            case 'init': {
              const threads = p['threads'] as number | null, cached = p['cachedThreads'] as number | null;
              measure = threads === null && cached === null;
              info = { ...backend, threads: threads ?? cached ?? 1, threadsSource: threads !== null ? 'settings' : cached !== null ? 'cached' : 'measured' };
              post({ kind: 'result', id: msg.id, result: info });
              break;
            }
            case 'info': post({ kind: 'result', id: msg.id, result: info }); break;
            case 'load': measureOnLoad(); post({ kind: 'result', id: msg.id, result: info }); break;
            case 'crash': exit('SIGABRT'); break;
            case 'abort': aborted.add(String(p['requestId'])); break;
            case 'answerNow': {
              // Built-in turns and scripts alike can close their thought; a finished request cannot.
              const rid = String(p['requestId']);
              answerNow.add(rid);
              post({ kind: 'result', id: msg.id, result: { applied: running.has(rid) || scripted.has(rid) } });
              break;
            }
            case 'inspect': {
              const path = String(p['path']);
              let buf: Buffer;
              try { buf = readFileSync(path); } catch { post({ kind: 'error', id: msg.id, error: { code: 'MODEL_NOT_FOUND', message: `No file ${path}` } }); break; }
              if (buf.subarray(0, 4).toString('latin1') !== 'GGUF') {
                post({ kind: 'error', id: msg.id, error: { code: 'GGUF_INVALID', message: `${basename(path)} is not a GGUF file (bad magic).` } });
                break;
              }
              const sha = createHash('sha256').update(buf).digest('hex');
              post({ kind: 'result', id: msg.id, result: {
                id: sha.slice(0, 16), name: basename(path, '.gguf'), path, sizeBytes: statSync(path).size, sha256: sha,
                architecture: 'llama', parameters: 1000, quantization: 'F32', contextLength: 256, chatTemplate: 'chatml-think', thinking: true,
              } });
              break;
            }
            case 'generate': {
              measureOnLoad();
              const g = p as unknown as GenerateParams & { requestId: string };
              const rid = g.requestId;
              running.add(rid);
              const pieces = [...ctl.thought.map((t) => ({ k: 'thought' as const, t })), { k: 'end' as const, t: '' }, ...ctl.answer.map((t) => ({ k: 'answer' as const, t }))];
              let thinking = '', answer = '', i = 0;
              const step = (): void => {
                const piece = pieces[i++];
                if (piece?.k === 'thought' && answerNow.has(rid)) {
                  // Answer now: the rest of the thought is skipped; the end closes it where it is.
                  i--;
                  while (pieces[i]?.k === 'thought') i++;
                  ev({ type: 'answer-now', turnId: rid, atThinkingTokens: thinking.length });
                  later(0, step);
                  return;
                }
                if (aborted.has(rid) || !piece) {
                  running.delete(rid);
                  const stopReason = aborted.has(rid) ? 'aborted' : 'eos';
                  const ledger = makeLedger({ visible: answer.length, thinking: thinking.length, prompt: g.question.length, cached: 0 });
                  const hidden = fakeHiddenTokens(thinking);
                  const result: GenerateResult = { answer, thinking, thinkingMs: 5, stopReason, ledger, hidden,
                    ...(g.receipt != null ? { fingerprints: fakeFingerprints(g.receipt.modelSha256, hidden) } : {}) };
                  ev({ type: 'ledger', turnId: rid, ledger });
                  post({ kind: 'result', id: msg.id, result: ctl.editResult?.(result) ?? result });
                  return;
                }
                if (piece.k === 'thought') { thinking += piece.t; ev({ type: 'thought', turnId: rid, text: piece.t }); }
                else if (piece.k === 'answer') { answer += piece.t; ev({ type: 'answer', turnId: rid, text: piece.t }); }
                else ev({ type: 'thought-end', turnId: rid, ms: 5, tokens: thinking.length });
                later(ctl.stepMs, step);
              };
              later(ctl.stepMs, step);
              break;
            }
          }
        },
        onMessage(cb) { onMsg = cb; },
        onExit(cb) { exitCbs.push(cb); },
        kill() { exit('SIGKILL'); },
      };
    },
  };
  return ctl;
}
