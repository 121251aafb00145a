/**
 * Hidden-token receipts end to end on the bundled model (build first: `npx electron-vite build`): a turn issues a
 * receipt whose tree size equals the ledger's hidden count, its audit passes locally and over real HTTP
 * (browser mode's /audit endpoints, token required), and a tampered receipt fails.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StrategyName } from '../common/controller/types';
import type { TurnEvent } from '../common/events';
import { overheadTotal } from '../common/ledger';
import type { ReceiptExport } from '../common/receiptApi';
import type { Message } from '../common/types';
import { startWebServer, type WebServer } from './server';
import { createHost, engineEntryPath, repoRoot, type Host } from '../host/index';

let dir: string;
let host: Host;
let web: WebServer;

beforeAll(async () => {
  if (!existsSync(engineEntryPath())) throw new Error(`${engineEntryPath()} is missing: run \`npx electron-vite build\` first.`);
  dir = await mkdtemp(join(tmpdir(), 'reckon-receipts-'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu', maxTokens: 200 }));
  host = await createHost({ userDataDir: join(dir, 'data'), modelsDir: join(repoRoot(), 'models'), shell: 'browser' });
  web = await startWebServer({ host, rendererDir: join(repoRoot(), 'out', 'renderer') });
});
afterAll(async () => {
  await web?.close();
  await host?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function turn(text: string, strategy?: StrategyName): Promise<Message> {
  return new Promise<Message>((resolve, reject) => {
    const off = host.onTurnEvent((e: TurnEvent) => {
      if (e.type === 'done') { off(); resolve(e.message); }
      if (e.type === 'error') { off(); reject(new Error(e.error.message)); }
    });
    host.call('chat.send', strategy === undefined ? { text } : { text, strategy }).catch(reject);
  });
}

describe('receipts on the bundled model', () => {
  it('parallel drafting turns (PDR, short-m@k) get receipts over every draft and workspace token, and honest ones audit clean', async () => {
    for (const strategy of ['pdr', 'short-m@k'] as const) {
      const m = await turn('What is 512+389?', strategy);
      expect(m.receiptError, strategy).toBeUndefined();
      const r = m.receipt!;
      expect(m.ledger!.overhead.draft, strategy).toBeGreaterThan(0);
      expect(r.treeSize, strategy).toBe(m.ledger!.thinking + overheadTotal(m.ledger!));
      expect(r.counts.overhead, strategy).toEqual(m.ledger!.overhead);
      const audit = await host.call('receipts.audit', { messageId: m.id });
      expect(audit.ok, `${strategy}: ${JSON.stringify(audit.checks.filter((c) => !c.passed))}`).toBe(true);
    }
  }, 120_000);

  it('issues a receipt per turn that audits locally and over HTTP; tampering fails', async () => {
    const m = await turn('What is 37+48?');
    expect(m.receiptError).toBeUndefined();
    const r = m.receipt!;
    expect(r.treeSize).toBe(m.ledger!.thinking + overheadTotal(m.ledger!));
    expect(r.counts.thinking).toBe(m.ledger!.thinking);
    // The engine ran the shipped probe inside the same request; its decoded prompt is committed as the probe segment.
    expect(m.difficulty?.source).toBe('probe');
    expect(m.ledger!.overhead.probe).toBeGreaterThan(0);
    expect(r.counts.overhead.probe).toBe(m.ledger!.overhead.probe);
    const info = await host.call('system.info');
    expect(r.publicKey).toBe(info.receiptPublicKey);

    const local = await host.call('receipts.audit', { messageId: m.id });
    expect(local.ok, JSON.stringify(local.checks.filter((c) => !c.passed))).toBe(true);
    expect(local.treeSize).toBe(r.treeSize);
    const conv = await host.call('conversations.list', undefined);
    const stored = await host.call('conversations.get', { id: conv[0]!.id });
    expect(stored.messages.find((x) => x.id === m.id)?.audit?.ok).toBe(true);

    // Export with the store: a tampered count fails, whatever the provider answers.
    const exp = await host.call('receipts.get', { messageId: m.id, includeStore: true });
    const forged: ReceiptExport = { ...exp, receipt: { ...exp.receipt, treeSize: r.treeSize + 5, counts: { ...r.counts, thinking: r.counts.thinking + 5, hidden: r.counts.hidden + 5 } } };
    const bad = await host.call('receipts.audit', { export: forged });
    expect(bad.ok).toBe(false);

    // Over real HTTP: the token is required; the public export carries no provider store.
    const base = `http://127.0.0.1:${web.port}`;
    expect((await fetch(`${base}/audit/receipt/${m.id}`)).status).toBe(401);
    const pub = (await (await fetch(`${base}/audit/receipt/${m.id}?token=${web.token}`)).json()) as ReceiptExport;
    expect(pub.store).toBeUndefined();
    expect(pub.receipt.root).toBe(r.root);
    const unknown = await fetch(`${base}/audit/challenge?token=${web.token}`, { method: 'POST', body: JSON.stringify({ version: 1, turnId: 'nope', root: r.root, treeSize: 1, indices: [0], nonce: 'aa' }) });
    expect(unknown.status).toBe(404);
    const remote = await host.call('receipts.audit', { messageId: m.id, remote: web.url });
    expect(remote.ok, JSON.stringify(remote.checks.filter((c) => !c.passed))).toBe(true);
    expect(remote.summary.via).toBe(base);
  }, 120_000);
});
