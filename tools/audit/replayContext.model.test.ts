/**
 * Context binding on the bundled model (build first: `npx electron-vite build`): a follow-up's receipt signs the
 * system prompt and the earlier turns, its export carries them, and a replay of the export alone (no local
 * conversation needed) re-runs exactly that context to the identical root. An export whose context was edited is
 * FAILED with the reason, by replay and by the sampling audit alike.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnEvent } from '../../src-main/common/events';
import type { ReceiptExport } from '../../src-main/common/receiptApi';
import { contextHashes } from '../../src-main/common/receipts';
import type { Message } from '../../src-main/common/types';
import { createHost, engineEntryPath, repoRoot, type Host } from '../../src-main/host/index';

let dir: string;
let host: Host;

beforeAll(async () => {
  if (!existsSync(engineEntryPath())) throw new Error(`${engineEntryPath()} is missing: run \`npx electron-vite build\` first.`);
  dir = await mkdtemp(join(tmpdir(), 'reckon-replay-ctx-'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu', maxTokens: 200 }));
  host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(repoRoot(), 'models'), shell: 'browser' });
});
afterAll(async () => {
  await host?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function turn(text: string, o: { conversationId?: string; systemPrompt?: string } = {}): Promise<Message> {
  return new Promise<Message>((resolve, reject) => {
    const off = host.onTurnEvent((e: TurnEvent) => {
      if (e.type === 'done') { off(); resolve(e.message); }
      if (e.type === 'error') { off(); reject(new Error(e.error.message)); }
    });
    host.call('chat.send', { text, strategy: 'budget', ...o }).catch(reject);
  });
}

describe('context binding on the bundled model', () => {
  it('a follow-up replays from its export alone; an edited context is FAILED with the reason', async () => {
    const systemPrompt = 'You add numbers, column by column.';
    const first = await turn('What is 37+48?', { systemPrompt });
    const firstExp: ReceiptExport = await host.call('receipts.get', { messageId: first.id });
    const m = await turn('What is 12+5?', { conversationId: firstExp.conversationId, systemPrompt });
    expect(m.receiptError).toBeUndefined();
    const exp: ReceiptExport = await host.call('receipts.get', { messageId: m.id, includeStore: true });
    const ctx = exp.context!;
    expect(ctx.systemPrompt).toBe(systemPrompt);
    // The bundled model's manifest sends no earlier turns (historyTurns 0): the receipt signs that empty history.
    const models = await host.call('models.list');
    const turns = models.find((x) => x.sha256 === exp.receipt.modelSha256)?.historyTurns;
    expect(ctx.history.length).toBe(turns === 0 ? 0 : 2);
    expect(exp.receipt.historySha256).toBe(contextHashes(ctx).historySha256);
    expect(exp.receipt.systemPromptSha256).toBe(contextHashes(ctx).systemPromptSha256);

    // The export alone: the conversation is gone, so only the signed context can give the replay its history.
    await host.call('conversations.delete', { id: exp.conversationId });
    const honest = await host.call('receipts.replay', { export: exp });
    expect(honest.inputs).toMatchObject({ context: 'signed context', historyItems: ctx.history.length });
    expect(honest.outcome, honest.meaning).toBe('identical');

    const edited: ReceiptExport = { ...exp, context: { ...ctx, history: [...ctx.history, { role: 'user', text: 'What is 1+1?' }, { role: 'assistant', text: '1 + 1 = 3' }] } };
    const replay = await host.call('receipts.replay', { export: edited });
    expect(replay.ok).toBe(false);
    expect(replay.committed.valid).toBe(false);
    expect(replay.committed.problem).toMatch(new RegExp(`${ctx.history.length + 2} earlier turns are not the ones the receipt signs`));
    const audit = await host.call('receipts.audit', { export: { ...exp, context: { ...ctx, systemPrompt: `${ctx.systemPrompt} Be brief.` } } });
    expect(audit.ok).toBe(false);
    expect(audit.checks.find((c) => c.name === 'binding')?.detail).toMatch(/system prompt is not the one the receipt signs/);

    // Without the context and without the conversation, the signed context cannot be re-run: FAILED, with why.
    const { context: _c, ...bare } = exp;
    const none = await host.call('receipts.replay', { export: bare });
    expect(none.ok).toBe(false);
    expect(none.committed.problem).toMatch(/does not carry and no local conversation holds/);
  }, 240_000);
});
