/**
 * A small in-process stand-in for the engine process, for unit tests only: it speaks the engine protocol
 * (ready, init, inspect, load, generate with streamed events, abort, crash) without node-llama-cpp.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { EngineEvent, EngineToHost, GenerateParams, HostToEngine } from '../../common/engineProtocol';
import { makeLedger } from '../../common/ledger';
import type { BackendInfo } from '../../common/types';
import type { EngineChannel, EngineSpawner } from '../types';

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
  /** The thread count a load "measures" when init gave neither a setting nor a cached count. Defaults to 2. */
  measuredThreads: number;
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
      const later = (ms: number, f: () => void): void => {
        const t = setTimeout(() => { timers.delete(t); if (!dead) f(); }, ms);
        timers.add(t);
      };
      const post = (m: EngineToHost): void => { if (!dead) later(0, () => onMsg?.(m)); };
      const exit = (signal: string): void => {
        if (dead) return;
        dead = true;
        for (const t of timers) clearTimeout(t);
        setTimeout(() => exitCbs.forEach((cb) => cb({ code: null, signal })), 1);
      };
      current = { exit };
      later(5, () => onMsg?.({ kind: 'ready', pid }));
      const ev = (event: EngineEvent): void => post({ kind: 'event', event });
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
              const pieces = [...ctl.thought.map((t) => ({ k: 'thought' as const, t })), { k: 'end' as const, t: '' }, ...ctl.answer.map((t) => ({ k: 'answer' as const, t }))];
              let thinking = '', answer = '', i = 0;
              const step = (): void => {
                const piece = pieces[i++];
                if (aborted.has(rid) || !piece) {
                  const stop = aborted.has(rid) ? 'aborted' : 'eos';
                  post({ kind: 'result', id: msg.id, result: { answer, thinking, thinkingMs: 5, stopReason: stop,
                    ledger: makeLedger({ visible: answer.length, thinking: thinking.length, prompt: g.question.length, cached: 0 }) } });
                  return;
                }
                if (piece.k === 'thought') { thinking += piece.t; ev({ type: 'thought', requestId: rid, text: piece.t }); }
                else if (piece.k === 'answer') { answer += piece.t; ev({ type: 'answer', requestId: rid, text: piece.t }); }
                else ev({ type: 'thought-end', requestId: rid, ms: 5, tokens: thinking.length });
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
