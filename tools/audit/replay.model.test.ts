/**
 * Replay audit on the bundled model (build first: `npx electron-vite build`). Written against whatever the model
 * generates (it is retrained from time to time): an honest greedy turn replays to the identical root; the same turn
 * inflated with the attack suite's padding before `</think>` and re-signed (an issuer that lies) fails replay, and the
 * teacher-forced divergence starts inside the padding.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnEvent } from '../../src-main/common/events';
import type { ReceiptExport } from '../../src-main/common/receiptApi';
import { ReceiptIssuer, committedSegments, generateReceiptKeyPair, type HiddenSegment, type Receipt } from '../../src-main/common/receipts';
import type { Message } from '../../src-main/common/types';
import { TokenEmbeddings } from '../../src-main/engine/receipts/TokenEmbeddings';
import { createHost, engineEntryPath, repoRoot, type Host } from '../../src-main/host/index';
import { mulberry32 } from '../../src-main/common/probe/rng';
import { paddingFor } from './attackSuite';

let dir: string;
let host: Host;

beforeAll(async () => {
  if (!existsSync(engineEntryPath())) throw new Error(`${engineEntryPath()} is missing: run \`npx electron-vite build\` first.`);
  dir = await mkdtemp(join(tmpdir(), 'reckon-replay-'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu', maxTokens: 200 }));
  host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(repoRoot(), 'models'), shell: 'browser' });
});
afterAll(async () => {
  await host?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function turn(text: string, strategy: 'budget' | 'auto' = 'budget'): Promise<Message> {
  return new Promise<Message>((resolve, reject) => {
    const off = host.onTurnEvent((e: TurnEvent) => {
      if (e.type === 'done') { off(); resolve(e.message); }
      if (e.type === 'error') { off(); reject(new Error(e.error.message)); }
    });
    host.call('chat.send', { text, strategy }).catch(reject);
  });
}

describe('replay audit on the bundled model', () => {
  it('an honest greedy turn replays to the identical root; the same turn inflated and re-signed fails with the divergence named', async () => {
    const m = await turn('What is 37+48?');
    expect(m.receiptError).toBeUndefined();
    expect(m.plan?.temperature).toBe(0);

    const honest = await host.call('receipts.replay', { messageId: m.id });
    expect(honest.outcome, honest.meaning).toBe('identical');
    expect(honest.ok).toBe(true);
    expect(honest.reexecuted?.root).toBe(m.receipt!.root);
    expect(honest.reexecuted?.answerMatches).toBe(true);

    // The attack suite's padding (25 %) put into the thinking before its closing `</think>`, re-signed.
    const exp: ReceiptExport = await host.call('receipts.get', { messageId: m.id, includeStore: true });
    const segments = committedSegments(exp.store!);
    const lastThinking = segments.map((s) => s.kind).lastIndexOf('thinking');
    const seg = segments[lastThinking]!;
    const insertAt = segments.slice(0, lastThinking).filter((s) => s.kind === 'thinking').reduce((n, s) => n + s.tokens.length, 0) + seg.tokens.length - 1;
    const models = await host.call('models.list');
    const model = models.find((x) => x.sha256 === m.receipt!.modelSha256)!;
    const table = await TokenEmbeddings.open(model.path);
    const r: Receipt = exp.receipt;
    for (const attack of ['duplicate-blocks', 'filler-repeat'] as const) {
      const pad = paddingFor(attack, { turnId: r.turnId, questionTokens: [], answerTokens: [], segments: segments as HiddenSegment[] }, 0.25, mulberry32(7), r.blockSize, {
        otherReasoning: () => [], randomToken: () => 0, repeatTokens: seg.tokens.slice(1, -1), closeToken: seg.tokens.at(-1),
      });
      const inflated = segments.map((s, i) => i !== lastThinking ? s : { kind: s.kind, tokens: [...s.tokens.slice(0, -1), ...pad, s.tokens.at(-1)!] });
      const issued = await new ReceiptIssuer(await generateReceiptKeyPair()).issue({
        turnId: r.turnId, spec: r.embeddingSpec, segments: inflated, table,
        binding: { conversationId: exp.conversationId, chatTurnId: r.chatTurnId ?? null, question: exp.question, answer: exp.answer, tokenizerSha256: r.tokenizerSha256 ?? null, plan: r.plan ?? null },
      });
      expect(issued.receipt.treeSize).toBe(r.treeSize + pad.length);
      const forged = await host.call('receipts.replay', { export: { ...exp, receipt: issued.receipt, store: issued.store } });
      expect(forged.ok, attack).toBe(false);
      expect(forged.outcome, `${attack}: ${forged.meaning}`).toBe('diverged');
      expect(forged.reexecuted?.rootMatches).toBe(false);
      const tf = forged.teacherForced!;
      expect(tf.positions).toBe(insertAt + pad.length + 1);
      // The honest prefix is the model's own; the first token it would not produce is inside the padding.
      expect(tf.firstDivergence, attack).toBeGreaterThanOrEqual(insertAt);
      expect(tf.firstDivergence!, attack).toBeLessThan(insertAt + pad.length);
      expect(tf.divergent, attack).toBeGreaterThan(0);
      expect(forged.meaning).toMatch(/^FAILED: from hidden token \d+ of \d+ on/);
    }
  }, 240_000);

  it('a turn under the default plan (auto: the shipped probe, then its class strategy) replays to the identical root', async () => {
    const m = await turn('What is 512+389?', 'auto');
    expect(m.receiptError).toBeUndefined();
    // the shipped probe planned it (read from the generation's own prefill, so it may cost no tokens at all)
    expect(m.difficulty?.source).toBe('probe');
    const r = await host.call('receipts.replay', { messageId: m.id });
    expect(r.outcome, r.meaning).toBe('identical');
    expect(r.inputs.strategy).toBe('auto');
  }, 120_000);
});
