/**
 * The host the WebSocket / HTTP campaigns run against: the real host and web server on 127.0.0.1 in front of the
 * scripted fake engine, in a temp folder with a fake bundled model and a one-line page; and the crash watch that
 * counts what escapes the host (an uncaught exception or rejection in this process is a host crash).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost, type Host } from '../../src-main/host/index';
import { fakeEngine, type FakeEngineControl } from '../../src-main/host/testing/fakeEngine';
import { startWebServer } from '../../src-main/web/server';

export interface CampaignHost {
  /** The temp folder (removed by close); `data` is the host's user-data folder inside it. */
  dir: string;
  data: string;
  host: Host;
  engine: FakeEngineControl;
  web: Awaited<ReturnType<typeof startWebServer>>;
  /** The page's WebSocket RPC URL, token included. */
  wsUrl: string;
  /** What the host was created with (to open another host on the same folder and engine afterwards). */
  hostOptions: Parameters<typeof createHost>[0];
  /** Closes the web server and the host, once (a campaign that checks the folder after the server calls it). */
  closeHost(): Promise<void>;
  /** closeHost, then removes the folder. */
  close(): Promise<void>;
}

export interface CampaignHostOptions {
  /** Start of the temp folder's name. */
  prefix: string;
  /** What `data/settings.json` holds before the host starts; none = no file (the defaults). */
  settings?: Record<string, unknown>;
  /** Prepares the fake engine (pieces, step) before the host spawns it. */
  engine?: (e: FakeEngineControl) => void;
  /** Holds the data folder's lock, as `reckon serve` does. Default false. */
  exclusive?: boolean;
}

export async function startCampaignHost(o: CampaignHostOptions): Promise<CampaignHost> {
  const dir = await mkdtemp(join(tmpdir(), o.prefix));
  const data = join(dir, 'data');
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'models', 'reckon-arith.gguf'), Buffer.from('GGUF-fake-bundled-model'));
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Reckon</title>');
  if (o.settings !== undefined) {
    await mkdir(data);
    await writeFile(join(data, 'settings.json'), JSON.stringify(o.settings));
  }
  const engine = fakeEngine();
  o.engine?.(engine);
  const hostOptions = { userDataDir: data, modelsDir: join(dir, 'models'), shell: 'browser' as const, spawnEngine: engine.spawner };
  const host = await createHost({ ...hostOptions, ...(o.exclusive === true ? { exclusive: true } : {}) });
  const web = await startWebServer({ host, port: 0, rendererDir: join(dir, 'renderer') });
  let closed = false;
  const closeHost = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await web.close();
    await host.close();
  };
  return {
    dir, data, host, engine, web, hostOptions, closeHost,
    wsUrl: `ws://127.0.0.1:${web.port}/api?token=${web.token}`,
    async close() {
      await closeHost();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Counts uncaught exceptions and rejections into `into` until the returned function is called. */
export function watchHostCrashes(into: string[]): () => void {
  const crash = (e: unknown): void => { into.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e)); };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  return () => {
    process.off('uncaughtException', crash);
    process.off('unhandledRejection', crash);
  };
}
