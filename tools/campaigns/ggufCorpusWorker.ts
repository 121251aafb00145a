/**
 * Child process of `npm run soak:gguf`: one Reckon host (with its own engine process) that imports each file
 * the parent sends and, when the import accepts it, loads it and generates a few tokens. One JSON reply per
 * file. The parent times each file out and treats this process dying as a host crash.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReckonError } from '../../src-main/common/errors';
import type { TurnEvent } from '../../src-main/common/events';
import type { ModelInfo } from '../../src-main/common/types';
import { createHost, type Host } from '../../src-main/host';

export interface WorkerJob { id: string; path: string; importOnly: boolean }
export interface WorkerReply {
  id: string;
  /** Where it stopped: refused at import, or imported and then used. */
  stage: 'import' | 'use';
  ok: boolean;
  code?: string;
  message?: string;
  answerChars?: number;
}

const QUESTION = 'What is 2 + 3?';
const MAX_TOKENS = 8;

const home = mkdtempSync(join(tmpdir(), 'reckon-soak-gguf-host-'));
let host: Host | null = null;
let generation = 0;

async function freshHost(): Promise<Host> {
  if (host !== null) await host.close().catch(() => undefined);
  const dir = join(home, String(generation++));
  const models = join(dir, 'no-bundled-models');
  mkdirSync(models, { recursive: true });
  host = await createHost({ userDataDir: dir, modelsDir: models, shell: 'cli' });
  await host.call('settings.update', { threads: 1, temperature: 0 });
  return host;
}

function failure(id: string, stage: WorkerReply['stage'], err: unknown): WorkerReply {
  const e = ReckonError.from(err);
  return { id, stage, ok: false, code: e.code, message: e.message };
}

/** Sends the question and resolves with the turn's end: done (with the answer) or its error. */
function ask(h: Host, modelId: string): Promise<{ ok: true; chars: number } | { ok: false; err: unknown }> {
  return new Promise((resolve) => {
    let turnId: string | null = null;
    const early: TurnEvent[] = [];
    const settle = (e: TurnEvent): void => {
      if (e.type === 'done') { off(); resolve({ ok: true, chars: e.message.text.length + (e.message.thinking ?? '').length }); }
      if (e.type === 'error') { off(); resolve({ ok: false, err: e.error }); }
    };
    const off = h.onTurnEvent((e) => {
      if (turnId === null) early.push(e);
      else if (e.turnId === turnId) settle(e);
    });
    h.call('chat.send', { text: QUESTION, modelId, maxTokens: MAX_TOKENS, strategy: 'long', seed: 1 })
      .then((r) => {
        turnId = (r as { turnId: string }).turnId;
        for (const e of early) if (e.turnId === turnId) settle(e);
      })
      .catch((err: unknown) => { off(); resolve({ ok: false, err }); });
  });
}

async function run(job: WorkerJob): Promise<WorkerReply> {
  const h = host ?? await freshHost();
  let info: ModelInfo;
  try {
    info = (await h.call('models.import', { path: job.path })) as ModelInfo;
  } catch (err) {
    return failure(job.id, 'import', err);
  }
  if (job.importOnly) {
    await h.call('models.remove', { id: info.id }).catch(() => undefined);
    return { id: job.id, stage: 'import', ok: true };
  }
  const r = await ask(h, info.id);
  await h.call('models.remove', { id: info.id }).catch(() => undefined);
  return r.ok ? { id: job.id, stage: 'use', ok: true, answerChars: r.chars } : failure(job.id, 'use', r.err);
}

process.on('message', (job: WorkerJob) => {
  void run(job).then(async (reply) => {
    // A crashed engine is restarted by the supervisor, but its crash-loop guard counts across files: start
    // the next file on a fresh host so one file's crash cannot colour the next one's result.
    if (reply.code === 'ENGINE_CRASHED' || reply.code === 'ENGINE_UNAVAILABLE') await freshHost();
    process.send?.(reply);
  });
});
process.on('disconnect', () => {
  void (host?.close() ?? Promise.resolve()).finally(() => {
    rmSync(home, { recursive: true, force: true });
    process.exit(0);
  });
});
process.send?.({ ready: true });
