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
import { exportPublicKeyHex, generateReceiptKeyPair, receiptBody, signReceipt } from '../common/receipts';
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
    // The probe reads the turn's own prefill (a logit-sketch probe) or is skipped (a shipped file of the retired
    // hidden-state kind): either way it decodes nothing of its own, so the receipt commits no probe segment.
    expect(['probe', 'fallback']).toContain(m.difficulty?.source);
    expect(m.ledger!.overhead.probe).toBe(0);
    expect(r.counts.overhead.probe).toBe(0);
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
    expect(remote.checks.find((c) => c.name === 'issuer')?.passed).toBe(true);

    // v2 binds the question and answer; the verdict names the signer and says what it proves.
    expect(r.version).toBe(2);
    expect(r.messageId).toBe(m.id);
    expect(r.tokenizerSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.plan?.strategy).toBe(m.plan?.strategy);
    expect(local.signer).toMatchObject({ trust: 'own', publicKey: r.publicKey });
    expect(local.meaning).toMatch(/cannot prove the tokens were really generated/);
    expect(local.checks.find((c) => c.name === 'canonical-tokens')?.passed).toBe(true);

    const failed = (v: { checks: { name: string; passed: boolean; detail: string }[] }, name: string): string => {
      const c = v.checks.find((x) => x.name === name);
      expect(c?.passed, `${name}: ${JSON.stringify(v.checks.filter((x) => !x.passed))}`).toBe(false);
      return c!.detail;
    };
    // A swapped question: FAILED, naming the binding, locally and against the issuer.
    const swapped: ReceiptExport = { ...exp, question: 'What is 38+48?' };
    expect(failed(await host.call('receipts.audit', { export: swapped }), 'binding')).toMatch(/question is not the one/);
    expect(failed(await host.call('receipts.audit', { export: { ...pub, question: 'What is 38+48?' }, remote: web.url }), 'issuer')).toMatch(/signed another receipt/);
    // A tampered store: a FAILED verdict, not an INTERNAL error.
    const leaves = Buffer.from(exp.store!.leaves, 'base64');
    leaves[leaves.length - 1] = leaves[leaves.length - 1]! ^ 1;
    const torn = await host.call('receipts.audit', { export: { ...exp, store: { ...exp.store!, leaves: leaves.toString('base64') } } });
    expect(failed(torn, 'response')).toMatch(/stored leaves do not match the receipt root/);
    // Re-signed with a fresh key: untrusted until pinned; the issuer over HTTP never signed it.
    const fresh = await generateReceiptKeyPair();
    const body = { ...receiptBody(exp.receipt), publicKey: await exportPublicKeyHex(fresh.publicKey) };
    const resigned = await signReceipt(body, fresh.privateKey);
    const rexp: ReceiptExport = { ...exp, receipt: resigned, store: { ...exp.store!, receipt: resigned } };
    const untrusted = await host.call('receipts.audit', { export: rexp });
    expect(untrusted.signer?.trust).toBe('untrusted');
    expect(failed(untrusted, 'trust')).toContain(untrusted.signer!.fingerprint);
    expect(failed(await host.call('receipts.audit', { export: { ...pub, receipt: resigned }, remote: web.url }), 'issuer')).toMatch(/signed another receipt/);
    // The identity key is refused by the verifier and by receipts.trustKey.
    const identity = { ...exp.receipt, publicKey: '01' + '00'.repeat(31), signature: '01' + '00'.repeat(63) };
    expect(failed(await host.call('receipts.audit', { export: { ...exp, receipt: identity, store: { ...exp.store!, receipt: identity } } }), 'receipt')).toMatch(/small-order/);
    await expect(host.call('receipts.trustKey', { publicKey: identity.publicKey })).rejects.toThrow(/small-order/);
    // Pinning the fresh key makes the re-signed (otherwise identical) receipt trusted; untrusting undoes it.
    const pinned = await host.call('receipts.trustKey', { publicKey: body.publicKey, label: 'colleague' });
    expect((await host.call('receipts.trustedKeys', {})).map((k) => k.source)).toEqual(['own', 'pinned']);
    const nowTrusted = await host.call('receipts.audit', { export: rexp });
    expect(nowTrusted.signer).toMatchObject({ trust: 'pinned', label: 'colleague', fingerprint: pinned.fingerprint });
    expect(nowTrusted.ok, JSON.stringify(nowTrusted.checks.filter((c) => !c.passed))).toBe(true);
    expect(await host.call('receipts.untrustKey', { publicKey: body.publicKey })).toEqual({ removed: true });
    expect((await host.call('receipts.audit', { export: rexp })).ok).toBe(false);
  }, 180_000);
});
