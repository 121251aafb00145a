/**
 * Replay of a remote issuer's turn over real HTTP (build first: `npx electron-vite build`): an auditor install with
 * the same model file fetches the receipt with `remote` (GET /audit/receipt/<id>, as `reckon audit --replay --remote`
 * does) and re-executes it locally. The issuer's honest turn replays to the identical root; an issuer that serves
 * the same turn inflated (padding before `</think>`, re-signed) fails: the re-executed turn spends fewer hidden
 * tokens than the receipt bills (the public export carries no token ids, so only an identical tree could pass).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnEvent } from '../../src-main/common/events';
import type { ReceiptExport } from '../../src-main/common/receiptApi';
import { ReceiptIssuer, committedSegments, generateReceiptKeyPair } from '../../src-main/common/receipts';
import type { Message } from '../../src-main/common/types';
import { TokenEmbeddings } from '../../src-main/engine/receipts/TokenEmbeddings';
import { createHost, engineEntryPath, repoRoot, type Host } from '../../src-main/host/index';
import { startWebServer, type WebServer } from '../../src-main/web/server';

let dir: string;
let issuer: Host;
let auditor: Host;
let web: WebServer;
let liar: Server | undefined;

async function hostIn(name: string): Promise<Host> {
  await mkdir(join(dir, name));
  await writeFile(join(dir, name, 'settings.json'), JSON.stringify({ threads: 1, backend: 'cpu', maxTokens: 200 }));
  return createHost({ userDataDir: join(dir, name), modelsDir: join(repoRoot(), 'models'), shell: 'browser' });
}

beforeAll(async () => {
  if (!existsSync(engineEntryPath())) throw new Error(`${engineEntryPath()} is missing: run \`npx electron-vite build\` first.`);
  dir = await mkdtemp(join(tmpdir(), 'reckon-replay-remote-'));
  issuer = await hostIn('issuer');
  auditor = await hostIn('auditor');
  web = await startWebServer({ host: issuer, rendererDir: join(repoRoot(), 'out', 'renderer') });
});
afterAll(async () => {
  await new Promise<void>((resolve) => (liar === undefined ? resolve() : liar.close(() => resolve())));
  await web?.close();
  await issuer?.close();
  await auditor?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function turn(host: Host, text: string): Promise<Message> {
  return new Promise<Message>((resolve, reject) => {
    const off = host.onTurnEvent((e: TurnEvent) => {
      if (e.type === 'done') { off(); resolve(e.message); }
      if (e.type === 'error') { off(); reject(new Error(e.error.message)); }
    });
    host.call('chat.send', { text, strategy: 'budget' }).catch(reject);
  });
}

describe('replay of a remote issuer\'s turn over HTTP', () => {
  it('an honest remote turn replays identical on the auditor\'s install; an inflated one served over HTTP fails', async () => {
    const m = await turn(issuer, 'What is 37+48?');
    expect(m.receiptError).toBeUndefined();
    expect(m.plan?.temperature).toBe(0);
    const base = `http://127.0.0.1:${web.port}`;

    // The auditor holds no conversation of this answer: it replays on the context the export carries and the
    // receipt signs (no system prompt, no earlier turns here).
    const honest = await auditor.call('receipts.replay', { messageId: m.id, remote: web.url });
    expect(honest.via).toBe(base);
    expect(honest.outcome, honest.meaning).toBe('identical');
    expect(honest.ok).toBe(true);
    expect(honest.reexecuted?.root).toBe(m.receipt!.root);
    expect(honest.inputs).toMatchObject({ context: 'signed context', historyItems: 0 });

    // A dishonest issuer: the same turn with a copy of its own reasoning put before `</think>` (the attack suite's
    // kind of padding), re-signed with its key and served at the same HTTP path.
    const exp = await issuer.call('receipts.get', { messageId: m.id, includeStore: true });
    const segments = committedSegments(exp.store!);
    const last = segments.map((s) => s.kind).lastIndexOf('thinking');
    const think = segments[last]!.tokens;
    const pad = think.slice(1, -1);
    const inflated = segments.map((s, i) => (i !== last ? s : { kind: s.kind, tokens: [...think.slice(0, -1), ...pad, think.at(-1)!] }));
    const model = (await issuer.call('models.list')).find((x) => x.sha256 === exp.receipt.modelSha256)!;
    const r = exp.receipt;
    const forged = await new ReceiptIssuer(await generateReceiptKeyPair()).issue({
      turnId: r.turnId, spec: r.embeddingSpec, segments: inflated, table: await TokenEmbeddings.open(model.path),
      binding: { conversationId: exp.conversationId, chatTurnId: r.chatTurnId ?? null, question: exp.question, answer: exp.answer, tokenizerSha256: r.tokenizerSha256 ?? null, plan: r.plan ?? null },
    });
    expect(forged.receipt.treeSize).toBe(r.treeSize + pad.length);
    const served: ReceiptExport = { version: 1, kind: 'reckon-receipt', messageId: exp.messageId, conversationId: exp.conversationId, question: exp.question, answer: exp.answer, receipt: forged.receipt };
    const paths: string[] = [];
    liar = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      paths.push(url.pathname);
      if (url.pathname !== `/audit/receipt/${m.id}`) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => liar!.listen(0, '127.0.0.1', resolve));
    const liarUrl = `http://127.0.0.1:${(liar.address() as AddressInfo).port}/?token=t`;

    const bad = await auditor.call('receipts.replay', { messageId: m.id, remote: liarUrl });
    expect(paths).toEqual([`/audit/receipt/${m.id}`]);
    expect(bad.ok, bad.meaning).toBe(false);
    expect(bad.committed).toMatchObject({ valid: true, treeSize: r.treeSize + pad.length });
    // the auditor re-executed the turn and got the honest tree, not the billed one
    expect(bad.reexecuted).toMatchObject({ root: r.root, treeSize: r.treeSize, rootMatches: false });
    expect(bad.reexecuted!.countDiffs.join('; ')).toContain(`thinking: committed ${r.counts.thinking + pad.length}, replay ${r.counts.thinking}`);
    expect(bad.outcome).toBe('diverged');
    expect(bad.meaning).toMatch(/^FAILED: the re-executed turn spent other hidden tokens than the receipt bills/);
  }, 240_000);
});
