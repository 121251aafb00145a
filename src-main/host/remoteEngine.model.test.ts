/**
 * The remote engine through the host and the CLI, against llama.cpp's real llama-server (built by
 * tools/engines/buildLlamaCpp.sh; npm test's pretest): a server killed mid-stream fails the turn and stores it as
 * failed; llama-server in front of two rpc-server workers answers `reckon ask --engine` end to end.
 * Build first: `npx electron-vite build` (the host and the CLI fork out/main/remoteEngine.js).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TurnEvent } from '../common/events';
import { createHost, repoRoot } from './index';
import { gatedProxy, startLlamaServer, startRpcServer } from './testing/llamaServer';

const root = repoRoot();
const bundled = join(root, 'models', 'reckon-arith.gguf');

describe('remote engine through the host', () => {
  it('a server killed mid-stream fails the turn with ENGINE_STREAM_DROPPED, stored as failed (through the host)', async () => {
    if (!existsSync(join(root, 'out', 'main', 'remoteEngine.js'))) throw new Error('out/main/remoteEngine.js is missing: run `npx electron-vite build` first.');
    const doomed = await startLlamaServer({ slots: 1 });
    const proxy = await gatedProxy(doomed.url);
    const dir = await mkdtemp(join(tmpdir(), 'reckon-remote-'));
    await mkdir(join(dir, 'models'));
    const host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'cli', engine: { kind: 'llama-server', url: proxy.url } });
    try {
      const hold = proxy.holdNextStream();
      const events: TurnEvent[] = [];
      const ended = new Promise<TurnEvent>((resolve) => host.onTurnEvent((e) => {
        events.push(e);
        if (e.type === 'error' || e.type === 'done') resolve(e);
      }));
      const { conversationId } = await host.call('chat.send', { text: 'What is 37+48?', modelPath: bundled, strategy: 'long' });
      await hold.reached;
      await doomed.kill();
      hold.cut(); // the connection breaks where the server died, after the stream's first chunk
      const end = await ended;
      expect(end).toMatchObject({ type: 'error', error: { code: 'ENGINE_STREAM_DROPPED' } });
      const conv = await host.call('conversations.get', { id: conversationId });
      const answer = conv.messages.find((m) => m.role === 'assistant');
      expect(answer).toMatchObject({ status: 'error', error: { code: 'ENGINE_STREAM_DROPPED' } });
    } finally {
      await host.close();
      await proxy.close();
      await doomed.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a remote turn gets a receipt over its token ids that names the server; the audit says what it cannot vouch for', async () => {
    if (!existsSync(join(root, 'out', 'main', 'remoteEngine.js'))) throw new Error('out/main/remoteEngine.js is missing: run `npx electron-vite build` first.');
    const server = await startLlamaServer({ slots: 4 });
    const dir = await mkdtemp(join(tmpdir(), 'reckon-remote-receipt-'));
    await mkdir(join(dir, 'models'));
    const host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(dir, 'models'), shell: 'cli', engine: { kind: 'llama-server', url: server.url } });
    try {
      const ended = new Promise<TurnEvent>((resolve) => host.onTurnEvent((e) => { if (e.type === 'error' || e.type === 'done') resolve(e); }));
      const { conversationId } = await host.call('chat.send', { text: 'What is 37+48?', modelPath: bundled, strategy: 'early-exit' });
      expect(await ended).toMatchObject({ type: 'done' });
      const conv = await host.call('conversations.get', { id: conversationId });
      const answer = conv.messages.find((m) => m.role === 'assistant')!;
      expect(answer.receiptError).toBeUndefined();
      const exp = await host.call('receipts.get', { messageId: answer.id });
      expect(exp.receipt.remote).toMatchObject({ kind: 'llama-server', model: 'reckon-arith.gguf', vocabSize: 358 });
      expect(JSON.stringify(exp.receipt)).not.toContain(server.url);
      expect(exp.receipt.embeddingSpec.dims).toBe(0);
      expect(exp.receipt.treeSize).toBe(answer.ledger!.thinking + answer.ledger!.overhead.trial + answer.ledger!.overhead.probe);
      await host.call('models.import', { path: bundled }); // the auditor's model: the local file the receipt names
      const verdict = await host.call('receipts.audit', { messageId: answer.id });
      expect(verdict.ok, JSON.stringify(verdict.checks)).toBe(true);
      expect(verdict.checks.find((c) => c.name === 'remote')?.detail).toMatch(/no embeddings/);
      expect(verdict.meaning).toMatch(/cannot vouch for more/);
    } finally {
      await host.close();
      await server.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs end to end on two rpc-server workers through `reckon ask --engine`', async () => {
    for (const f of ['cli.js', 'remoteEngine.js']) {
      if (!existsSync(join(root, 'out', 'main', f))) throw new Error(`out/main/${f} is missing: run \`npx electron-vite build\` first.`);
    }
    const workers = await Promise.all([startRpcServer(), startRpcServer()]);
    const front = await startLlamaServer({ slots: 1, rpc: workers.map((w) => w.endpoint) });
    const home = await mkdtemp(join(tmpdir(), 'reckon-rpc-'));
    try {
      await writeFile(join(home, 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu' }));
      const r = spawnSync(process.execPath, [join(root, 'bin', 'reckon.mjs'), 'ask', 'What is 37+48?', '--engine', front.url, '--json', '--model', bundled], {
        cwd: root, env: { ...process.env, RECKON_HOME: home }, encoding: 'utf8', timeout: 120_000,
      });
      expect(r.status, `${r.stderr}\n${front.log().slice(-2000)}`).toBe(0);
      const out = JSON.parse(r.stdout.trim()) as { answer: string; backend: string; ledger: { visible: number } };
      expect(out.answer).toMatch(/\d/);
      expect(out.backend).toBe(`remote llama-server at ${front.url}`);
      expect(out.ledger.visible).toBeGreaterThan(0);
      // The weights really went to the workers: llama-server names the RPC devices it offloaded to.
      for (const w of workers) expect(front.log()).toMatch(new RegExp(`using device RPC\\d \\(${w.endpoint.replace(/\./g, '\\.')}\\)`));
      expect(front.log()).toMatch(/offloading \d+ repeating layers to GPU/);
    } finally {
      await front.kill();
      await Promise.all(workers.map((w) => w.kill()));
      await rm(home, { recursive: true, force: true });
    }
  });
});
