/**
 * A small in-process stand-in for the engine process, for host tests and e2e: it speaks the engine protocol
 * (ready, init, inspect, load, generate with streamed TurnEvents, abort, crash) without node-llama-cpp.
 * A generate streams the scripted thought and answer pieces, then its ledger, and returns the thinking as hidden
 * tokens (one per character) with their fingerprint leaves over `fakeEmbeddingTable`, so the host issues receipts.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { EngineEvent, EngineToHost, GenerateParams, GenerateResult, HostToEngine, TurnFingerprints } from '../../common/engineProtocol';
import { makeLedger } from '../../common/ledger';
import { fingerprintSegments, flatEmbeddingTable, makeEmbeddingSpec, toBase64, type EmbeddingTable, type HiddenSegment } from '../../common/receipts';
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
  /** Rewrites each generate's result before it is sent (a misbehaving engine). Defaults to none. */
  editResult?: (r: GenerateResult) => GenerateResult;
}

/** The fake model's embedding table: 256 rows (one per byte, the fake tokeniser), 8 dims, fixed values. */
export const fakeEmbeddingTable: EmbeddingTable = flatEmbeddingTable(Float32Array.from({ length: 256 * 8 }, (_, i) => Math.sin(i * 12.9898) * 0.5), 8);

/** Hidden tokens of a fake turn: its thinking text, one token per character (its code, below 256). */
export function fakeHiddenTokens(thinking: string): HiddenSegment[] {
  return thinking === '' ? [] : [{ kind: 'thinking', tokens: Array.from(thinking, (ch) => ch.charCodeAt(0) & 255) }];
}

function fakeFingerprints(modelSha256: string, hidden: HiddenSegment[]): TurnFingerprints {
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
      return {
        pid,
        send(msg) {
          if (dead) return;
          ctl.calls.push(msg);
          const p = msg.params as Record<string, unknown>;
          switch (msg.method) {
            case 'init': post({ kind: 'result', id: msg.id, result: backend }); break;
            case 'info': post({ kind: 'result', id: msg.id, result: backend }); break;
            case 'load': post({ kind: 'result', id: msg.id, result: backend }); break;
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
              const g = p as unknown as GenerateParams & { requestId: string };
              const rid = g.requestId;
              const pieces = [...ctl.thought.map((t) => ({ k: 'thought' as const, t })), { k: 'end' as const, t: '' }, ...ctl.answer.map((t) => ({ k: 'answer' as const, t }))];
              let thinking = '', answer = '', i = 0;
              const step = (): void => {
                const piece = pieces[i++];
                if (aborted.has(rid) || !piece) {
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
