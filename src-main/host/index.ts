/**
 * The host: store, services, engine supervisor and API router behind one `call(method, params)`.
 * The same host serves the desktop app (electron/), browser mode (web/) and the terminal (cli/).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientFrame, ReckonApi, ReckonClient, ServerFrame } from '../common/api';
import { engineCrashMessage, type EngineCrashDetails } from '../common/engineCrash';
import type { StoredChange, TurnEvent } from '../common/events';
import { ReckonError } from '../common/errors';
import { createPortPair } from '../common/rpc/createPortPair';
import { RpcClient } from '../common/rpc/RpcClient';
import { RpcServer } from '../common/rpc/RpcServer';
import type { SystemInfo } from '../common/types';
import { appVersion, defaultUserDataDir, repoRoot } from './paths';
import { DownloadsService, hubOptionsFromEnv } from './downloads/DownloadsService';
import { ApiListener } from './openai/ApiListener';
import { createOpenAiApi } from './openai/openaiApi';
import { createRouter } from './router';
import { ApiKeyService } from './services/ApiKeyService';
import { PageTokenService } from './services/PageTokenService';
import { ModelSettingsService } from './services/ModelSettingsService';
import { ChatService } from './services/ChatService';
import { explainCrash } from './services/explainCrash';
import { ConversationsService, summaryOf } from './services/ConversationsService';
import { LoadedModel } from './services/LoadedModel';
import { ModelsService } from './services/ModelsService';
import { ProbeService } from './services/ProbeService';
import { ReceiptService } from './services/ReceiptService';
import { ReplayService } from './services/ReplayService';
import { SettingsService } from './services/SettingsService';
import { Store } from './store/Store';
import { lockDataFolder, type FolderLock } from './store/folderLock';
import { ThreadCache } from './store/threadCache';
import { EngineSupervisor } from './supervisor/EngineSupervisor';
import { spawnerFor } from './supervisor/forkEngine';
import { testEngine } from './services/engineTest';
import type { EngineChoice, Host, HostOptions } from './types';
import type { Settings } from '../common/types';

export type { EngineChannel, EngineChoice, EngineSpawner, Host, HostOptions } from './types';
export { defaultUserDataDir, repoRoot } from './paths';
export { cleanEngineEnv, engineChoiceFrom, engineEntryPath, forkEngineSpawner, remoteEngineEntryPath, spawnerFor } from './supervisor/forkEngine';
export { FailureLog } from './supervisor/FailureLog';

export async function createHost(opts: HostOptions): Promise<Host> {
  await mkdir(opts.userDataDir, { recursive: true });
  const lock = opts.exclusive === true ? await lockDataFolder(opts.userDataDir, opts.shell) : null;
  try {
    return await openHost(opts, lock);
  } catch (err) {
    await lock?.release();
    throw err;
  }
}

async function openHost(opts: HostOptions, lock: FolderLock | null): Promise<Host> {
  const store = await Store.open(opts.userDataDir);
  const settings = await SettingsService.open(store);
  const modelSettings = await ModelSettingsService.open(store);
  const threadCache = await ThreadCache.open(store);

  let chat: ChatService | null = null;
  const loadedModel = new LoadedModel();
  // The engine choice: --engine / RECKON_ENGINE_URL (opts.engine, a llama-server) win over Settings > Engine.
  const flagsChoice = opts.engine?.kind === 'llama-server' ? opts.engine : null;
  let choice: EngineChoice = flagsChoice ?? engineChoiceOf(settings.get());
  const spawnerOf = (c: EngineChoice) => opts.spawnEngineFor?.(c) ?? opts.spawnEngine ?? spawnerFor(c);
  const engine = new EngineSupervisor({
    spawn: spawnerOf(choice),
    initParams: () => {
      const s = settings.get();
      return { backend: s.backend, threads: s.threads, cachedThreads: threadCache.threads() };
    },
    // Events no turn is waiting for: load progress of models.load goes out with turnId ''.
    onEvent: (e) => {
      if (e.type === 'load-progress') chat?.emit({ type: 'load-progress', turnId: '', progress: e.progress });
      // The engine measured the thread count: the host keeps it (the engine writes no user-data files).
      if (e.type === 'threads-measured') {
        void threadCache.record(e).catch((err: unknown) => {
          process.stderr.write(`reckon: could not save the thread cache: ${(err as Error).message}\n`);
        });
      }
    },
    // Told once the outcome is known (restarted, not restarted, or closing), so the line is true when written.
    onCrash: (report) => {
      loadedModel.current = null; // a restarted engine has nothing loaded
      const model = loadedModel.asked?.name;
      process.stderr.write(`reckon: ${engineCrashMessage(model !== undefined ? { ...report, model } : report)}\n`);
    },
  });
  void engine.start().catch((err: unknown) => {
    process.stderr.write(`reckon: the engine did not start: ${(err as Error).message}\n`);
  });

  const conversations = new ConversationsService(store);
  await conversations.open();
  const models = new ModelsService(store, engine, settings, opts.modelsDir);
  await models.open();
  const probes = new ProbeService({ engine, models, settings, store, modelsDir: opts.modelsDir });
  const chatCrash = explainCrash({ engine, models });
  /** The latest crash for system.info, naming the model the engine was asked to run. */
  const lastCrash = (): { lastCrash?: EngineCrashDetails } => {
    const c = engine.lastCrash;
    if (c === null) return {};
    const { crash: _n, ...details } = c;
    const model = loadedModel.asked?.name;
    return { lastCrash: model !== undefined ? { ...details, model } : details };
  };
  const receipts = new ReceiptService(engine, conversations, models, store);
  chat = new ChatService({
    engine, conversations, models, settings, loadedModel, explainCrash: chatCrash,
    modelSettings: (id) => modelSettings.get(id),
    // The model's stored probe (user-calibrated or shipped); the engine runs it on each question.
    probePathFor: (model) => probes.probePathFor(model),
    issueReceipt: (input) => receipts.issue(input),
  });
  const c = chat;
  const replays = new ReplayService({ engine, conversations, models, settings, receipts, probePathFor: (model) => probes.probePathFor(model) });
  const apiKey = new ApiKeyService(store, opts.apiKey);
  const pageToken = new PageTokenService(store);
  // Downloads go out on the event stream as turn-less events (turnId ''), like a plain models.load's progress.
  const downloads = new DownloadsService({
    store, models, userDataDir: opts.userDataDir, hub: opts.hub,
    emit: (download) => c.emit({ type: 'download', turnId: '', download }),
  });
  await downloads.open();

  /**
   * Runs a call that changes stored state and, once it succeeded, tells every connected client (`changed`), so
   * another tab shows a rename, a delete or new settings without a reload. A failed call changed nothing: no event.
   */
  const told = async <T>(change: StoredChange, run: () => Promise<T>): Promise<T> => {
    const out = await run();
    c.emit({ type: 'changed', turnId: '', change });
    return out;
  };

  /** The API's own port, when this front door opens one (opts.serveApi); created once the client exists. */
  let listener: ApiListener | null = null;
  const call = createRouter({
    'system.info': async (): Promise<SystemInfo> => ({
      version: appVersion(),
      shell: opts.shell,
      backend: engine.backend,
      model: loadedModel.current,
      engine: { state: engine.state, pid: engine.pid, restarts: engine.restarts, ...lastCrash() },
      engineChoice: {
        kind: choice.kind,
        url: choice.kind === 'llama-server' ? choice.url : null,
        source: flagsChoice !== null ? 'flags' : choice.kind === 'builtin' ? 'default' : 'settings',
      },
      userDataDir: opts.userDataDir,
      receiptPublicKey: await receipts.publicKey(),
      measuredThreads: threadCache.entry(),
    }),
    'system.notices': async () => store.notices(),
    'system.dismissNotice': async (p) => store.dismissNotice(p.id),
    'settings.get': async () => settings.get(),
    'settings.update': async (p) => told({ what: 'settings' }, async () => {
      const before = settings.get();
      // Settings > Engine's Apply: a llama-server is asked what it runs before anything is saved, so a wrong URL
      // or key changes nothing (the engine in use keeps running). --engine / RECKON_ENGINE_URL win: then the
      // setting is only stored.
      const next = p.engine !== undefined && flagsChoice === null ? engineChoiceOf({ engine: p.engine }) : null;
      const switching = next !== null && !sameChoice(next, choice);
      if (switching && next.kind === 'llama-server') await testEngine({ url: next.url, ...(next.apiKey !== undefined ? { apiKey: next.apiKey } : {}) });
      const after = await settings.update(p);
      // The API's port follows at once: opened, moved or closed before the update answers.
      await listener?.sync(after.api);
      if (switching) {
        // Running turns end first, stored as stopped (not left half-written by a vanished engine); the new engine
        // starts with the current backend / threads.
        await Promise.all([c.stopAll(), probes.stopAll()]);
        choice = next;
        loadedModel.current = null;
        await engine.replace(spawnerOf(next));
        return after;
      }
      if (after.backend !== before.backend || after.threads !== before.threads) {
        // The running engine picks the new backend / thread count up at once (a restart would too).
        await engine.reinit().catch((err: unknown) => {
          process.stderr.write(`reckon: the engine could not apply the new settings: ${(err as Error).message}\n`);
        });
      }
      return after;
    }),
    'models.list': async () => models.list(),
    'models.import': async (p) => told({ what: 'models' }, () => models.import(p.path)),
    'models.remove': async (p) => told({ what: 'models' }, () => models.remove(p.id)),
    'models.settings': async (p) => modelSettings.get((await models.resolve(p.id)).id),
    'models.updateSettings': async (p) => modelSettings.set((await models.resolve(p.id)).id, p.settings),
    'models.load': async (p) => {
      const m = await models.resolve(p.id);
      loadedModel.asked = m;
      try {
        const info = await engine.call('load', { modelPath: m.path });
        loadedModel.current = m;
        return info;
      } catch (err) {
        const e = ReckonError.from(err);
        if (e.code !== 'ENGINE_CRASHED') throw e;
        throw await chatCrash(m, e);
      }
    },
    'models.clearBroken': async (p) => told({ what: 'models' }, () => models.clearBroken(p.id)),
    'conversations.list': async (p) => conversations.list(p?.query),
    'conversations.get': async (p) => conversations.get(p.id),
    'conversations.create': async (p) => {
      const created = summaryOf(await conversations.create(p?.title));
      c.emit({ type: 'changed', turnId: '', change: { what: 'conversation', id: created.id, how: 'created' } });
      return created;
    },
    'conversations.rename': async (p) => told({ what: 'conversation', id: p.id, how: 'renamed' }, () => conversations.rename(p.id, p.title)),
    'conversations.pin': async (p) => told({ what: 'conversation', id: p.id, how: 'pinned' }, () => conversations.pin(p.id, p.pinned)),
    'conversations.delete': async (p) => told({ what: 'conversation', id: p.id, how: 'deleted' }, async () => {
      conversations.require(p.id);
      await c.stopConversation(p.id);
      await conversations.delete(p.id);
    }),
    'conversations.deleteMessage': async (p) => told({ what: 'conversation', id: p.id, how: 'messages' }, async () => {
      conversations.require(p.id);
      if (c.isRunning(p.id)) throw new ReckonError('BUSY', 'A turn is running in this conversation; stop it or wait for it to finish.');
      return conversations.deleteMessage(p.id, p.messageId);
    }),
    'conversations.switchBranch': async (p) => told({ what: 'conversation', id: p.id, how: 'messages' }, async () => {
      conversations.require(p.id);
      if (c.isRunning(p.id)) throw new ReckonError('BUSY', 'A turn is running in this conversation; stop it or wait for it to finish.');
      return conversations.switchBranch(p.id, p.messageId);
    }),
    'conversations.export': async (p) => conversations.export(p.id, p.format),
    'conversations.setSystemPrompt': async (p) =>
      told({ what: 'conversation', id: p.id, how: 'system-prompt' }, () => conversations.setSystemPrompt(p.id, p.systemPrompt)),
    'chat.send': async (p) => c.send(p),
    'chat.regenerate': async (p) => c.regenerate(p),
    'chat.stop': async (p) => c.stop(p.turnId),
    'chat.answerNow': async (p) => c.answerNow(p.turnId),
    'probe.calibrate': async (p) => probes.calibrate(p),
    'probe.status': async (p) => probes.status(p),
    'probe.restore': async (p) => probes.restore(p),
    'probe.cancel': async () => probes.cancel(),
    'hub.search': async (p) => downloads.search(p.query, p.limit),
    'hub.files': async (p) => downloads.files(p.repo),
    'hub.config': async () => downloads.config(),
    'hub.configure': async (p) => downloads.configure(p),
    'downloads.start': async (p) => downloads.start(p),
    'downloads.list': async () => downloads.list(),
    'downloads.pause': async (p) => downloads.pause(p.id),
    'downloads.resume': async (p) => downloads.resume(p.id),
    'downloads.cancel': async (p) => downloads.cancel(p.id),
    'receipts.get': async (p) => receipts.get(p.messageId, p.includeStore === true),
    'receipts.challenge': async (p) => receipts.challenge(p.messageId, p.challenge),
    'receipts.audit': async (p) => receipts.audit(p),
    'receipts.replay': async (p) => replays.replay(p),
    'receipts.trustedKeys': async () => receipts.trustedKeys(),
    'receipts.trustKey': async (p) => receipts.trustKey(p),
    'receipts.untrustKey': async (p) => receipts.untrustKey(p),
    'api.key': async () => apiKey.get(),
    'api.rotateKey': async () => apiKey.rotate(),
    'api.status': async () => listener?.status() ?? { state: 'unserved', port: null, baseUrl: null, error: null },
    'page.rotateToken': async () => ({ token: await pageToken.rotate() }),
    'engine.test': async (p) => testEngine(p),
  });

  // Every door, the in-process one included, is a client of this one server: the same frames, the same router.
  const server = new RpcServer<TurnEvent>(call);
  c.onTurnEvent((e) => server.emit(e));
  const link = createPortPair<ClientFrame, ServerFrame>();
  server.serve(link.b);
  const client = new RpcClient<ReckonApi, TurnEvent>({
    onListenerError: (err) => process.stderr.write(`reckon: turn event listener failed: ${(err as Error).message}\n`),
  });
  client.connect(link.a);

  const front: ReckonClient = {
    call: (method, ...params) => client.call(method, ...params),
    onTurnEvent: (l) => client.onEvent(l),
  };
  const openAi = createOpenAiApi({ host: front });
  if (opts.serveApi !== undefined) {
    listener = new ApiListener({
      host: front, openAi,
      ...(opts.serveApi.port !== undefined ? { portOverride: opts.serveApi.port } : {}),
      onError: (e) => void store.addNotice('warning', e.message).catch(() => undefined),
    });
    await listener.sync(settings.get().api);
  }

  let closing: Promise<void> | null = null;
  return {
    ...front,
    openAi,
    pageToken: { get: () => pageToken.get(), rotate: () => pageToken.rotate(), onRotate: (l) => pageToken.onRotate(l) },
    serve: (port) => server.serve(port),
    importUpload: (name, body, sizeBytes) => downloads.importUpload(name, body, sizeBytes),
    close: () => {
      closing ??= (async () => {
        // From here an engine that dies (it may take the same SIGTERM as we do) is part of the shutdown.
        engine.beginShutdown();
        await listener?.close();
        await Promise.race([Promise.all([c.stopAll(), probes.stopAll(), downloads.close()]), new Promise((r) => setTimeout(r, 3000))]);
        await store.flush();
        await engine.close();
        await lock?.release();
      })();
      return closing;
    },
  };
}

/** Settings > Engine as an engine choice: a llama-server once one is chosen with a URL, else the built-in engine. */
export function engineChoiceOf(s: Pick<Settings, 'engine'>): EngineChoice {
  const e = s.engine;
  if (e === undefined || e.kind !== 'llama-server' || e.url === '') return { kind: 'builtin' };
  return { kind: 'llama-server', url: e.url, ...(e.apiKey !== '' ? { apiKey: e.apiKey } : {}) };
}

function sameChoice(a: EngineChoice, b: EngineChoice): boolean {
  if (a.kind === 'builtin' || b.kind === 'builtin') return a.kind === b.kind;
  return a.url === b.url && (a.apiKey ?? '') === (b.apiKey ?? '');
}

/**
 * Host options for the node front doors (browser mode, CLI): $RECKON_HOME data, the repo's models/, HF_ENDPOINT
 * and HF_TOKEN for downloads (the CLI resumes only the download it is asked for).
 */
export function defaultHostOptions(shell: HostOptions['shell']): HostOptions {
  return { userDataDir: defaultUserDataDir(), modelsDir: join(repoRoot(), 'models'), shell, hub: { ...hubOptionsFromEnv(), autoResume: shell !== 'cli' }, exclusive: true };
}

export { hubOptionsFromEnv } from './downloads/DownloadsService';
