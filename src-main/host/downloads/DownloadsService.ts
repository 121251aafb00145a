/**
 * Model downloads (docs/downloads.md): resolves a hub repo's GGUF (or a URL), checks the free disk, fetches each
 * part into <userData>/downloads/<id>/<file>.part with resumable HTTP (transfer.ts), checks every part's sha256
 * against the hub's LFS metadata, moves the parts to <userData>/models/<folder>/ and only then imports the model
 * (ModelsService.import, which inspects it). What is being fetched, with each part's validator, lives in
 * downloads.json through the Store, so a download that a dropped connection, a pause or a restart interrupted
 * continues from the bytes it had. Nothing is registered until every byte checked out.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open as openFile, rename, rm, stat, statfs, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DownloadStartParams, HubConfigureParams } from '../../common/api';
import type { DownloadInfo, DownloadState, HubConfig, HubModelFile, HubRepo } from '../../common/downloads';
import type { ModelInfo } from '../../common/types';
import { ReckonError, type ErrorPayload } from '../../common/errors';
import { parseDownloadsFile, parseHubFile, type StoredDownload, type StoredDownloadPart } from '../../common/schemas/downloads';
import type { ModelsService } from '../services/ModelsService';
import type { JsonDoc, Store } from '../store/Store';
import { defaultHubEndpoint, ggufModels, listFiles, networkError, parseResolveUrl, pickModel, resolveUrl, searchRepos, statusError, type HubAuth } from './hubClient';
import { TransferAborted, transferOnce, type PartHash } from './transfer';

/** Free bytes kept beyond the download's own size, so a download never fills the disk to the last byte. */
export const DISK_RESERVE_BYTES = 64 * 1024 * 1024;

export interface HubOptions {
  /** The hub's base URL (a mirror). Default: hub.json's endpoint (hub.configure), else https://huggingface.co. */
  endpoint?: string;
  /** A user token for gated and private repos. Default: hub.json's token (hub.configure), else none. */
  token?: string;
  /** Free bytes on the file system holding `dir`. Default: fs.statfs (bavail x bsize). Tests inject a small disk. */
  freeBytes?: (dir: string) => Promise<number>;
  /** Delay before the first retry after a network error, ms; doubles per attempt that got no bytes. Default 1000. */
  retryDelayMs?: number;
  /** Attempts in a row that get no bytes before the download stops with DOWNLOAD_NETWORK. Default 5. */
  maxRetries?: number;
  /** Resume the downloads that were running when the host last stopped. Default true (the CLI passes false). */
  autoResume?: boolean;
  /** Least time between two progress events of one download, ms. Default 250. */
  progressIntervalMs?: number;
}

/** HF_ENDPOINT and HF_TOKEN (as the Hugging Face tools read them) as hub options. */
export function hubOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): HubOptions {
  const endpoint = env['HF_ENDPOINT']?.trim();
  const token = (env['HF_TOKEN'] ?? env['HUGGING_FACE_HUB_TOKEN'])?.trim();
  return { ...(endpoint ? { endpoint } : {}), ...(token ? { token } : {}) };
}

interface Live {
  abort: AbortController;
  done: Promise<void>;
}

interface Job {
  rec: StoredDownload;
  live: Live | null;
  verifying: boolean;
  /** Bytes on disk per part (parts already moved into place count whole). */
  bytes: number[];
  hashes: (PartHash | null)[];
  /** [ms, total bytes] samples of the last few seconds, for speed and ETA. */
  samples: [number, number][];
  lastEmit: number;
  /** The trailing progress event of a throttled burst. */
  trailing: ReturnType<typeof setTimeout> | null;
}

const speedWindowMs = 5000;

export interface DownloadsServiceOptions {
  store: Store;
  models: Pick<ModelsService, 'import'>;
  userDataDir: string;
  emit: (d: DownloadInfo) => void;
  hub?: HubOptions;
}

export class DownloadsService {
  readonly #jobs = new Map<string, Job>();
  readonly #doc: JsonDoc<{ downloads: StoredDownload[] }>;
  readonly #hubDoc: JsonDoc<{ endpoint?: string; token?: string }>;
  #hubFile: { endpoint?: string; token?: string } = {};
  readonly #o: DownloadsServiceOptions;
  readonly #hub: HubOptions;
  #closed = false;

  constructor(o: DownloadsServiceOptions) {
    this.#o = o;
    this.#hub = o.hub ?? {};
    this.#doc = o.store.json('downloads.json', {
      parse: parseDownloadsFile,
      pretty: true,
      describe: (f, aside) => `${f} was unreadable and was set aside (as ${aside}); unfinished downloads start again from the beginning.`,
    });
    this.#hubDoc = o.store.json('hub.json', {
      parse: parseHubFile,
      mode: 0o600,
      pretty: true,
      describe: (f, aside) => `${f} was unreadable and was set aside (as ${aside}); set the hub endpoint and token again.`,
    });
  }

  get downloadsDir(): string {
    return join(this.#o.userDataDir, 'downloads');
  }

  async open(): Promise<void> {
    this.#hubFile = (await this.#hubDoc.read()) ?? {};
    const file = await this.#doc.read();
    for (const rec of file?.downloads ?? []) {
      const job = this.#newJob(rec);
      await this.#measure(job);
      this.#jobs.set(rec.id, job);
    }
    if (this.#hub.autoResume !== false) {
      for (const job of this.#jobs.values()) if (job.rec.state === 'downloading') this.#run(job);
    }
  }

  /** Stops every transfer (the partial bytes and the state stay: running ones resume on the next start). */
  async close(): Promise<void> {
    this.#closed = true;
    const running = [...this.#jobs.values()].map((j) => j.live).filter((l): l is Live => l !== null);
    for (const l of running) l.abort.abort();
    await Promise.all(running.map((l) => l.done));
    for (const j of this.#jobs.values()) if (j.trailing !== null) clearTimeout(j.trailing);
  }

  // ---- hub ----

  #auth(): HubAuth {
    return {
      endpoint: (this.#hub.endpoint ?? this.#hubFile.endpoint ?? defaultHubEndpoint).replace(/\/+$/, ''),
      token: this.#hub.token ?? this.#hubFile.token ?? null,
    };
  }

  config(): HubConfig {
    const auth = this.#auth();
    return {
      endpoint: auth.endpoint,
      endpointSource: this.#hub.endpoint !== undefined ? 'environment' : this.#hubFile.endpoint !== undefined ? 'setting' : 'default',
      hasToken: auth.token !== null,
      tokenSource: this.#hub.token !== undefined ? 'environment' : this.#hubFile.token !== undefined ? 'setting' : null,
    };
  }

  async configure(p: HubConfigureParams): Promise<HubConfig> {
    const next = { ...this.#hubFile };
    if (p.endpoint === null) delete next.endpoint;
    else if (p.endpoint !== undefined) next.endpoint = p.endpoint.replace(/\/+$/, '');
    if (p.token === null) delete next.token;
    else if (p.token !== undefined) next.token = p.token;
    await this.#hubDoc.write(next);
    this.#hubFile = next;
    return this.config();
  }

  search(query: string, limit?: number): Promise<HubRepo[]> {
    return searchRepos(this.#auth(), query, limit);
  }

  async files(repo: string): Promise<HubModelFile[]> {
    return ggufModels(await listFiles(this.#auth(), repo));
  }

  // ---- downloads ----

  list(): DownloadInfo[] {
    return [...this.#jobs.values()].map((j) => this.#info(j));
  }

  async start(p: DownloadStartParams): Promise<DownloadInfo> {
    const rec = await this.#resolve(p);
    const known = this.#jobs.get(rec.id);
    if (known) {
      if (known.rec.state === 'done' || known.live !== null) return this.#info(known);
      return this.resume(rec.id);
    }
    const job = this.#newJob(rec);
    await this.#measure(job);
    await this.#checkDisk(job);
    this.#jobs.set(rec.id, job);
    await this.#save();
    this.#run(job);
    return this.#info(job);
  }

  async pause(id: string): Promise<DownloadInfo> {
    const job = this.#require(id);
    if (job.rec.state === 'done') return this.#info(job);
    job.rec.state = 'paused';
    await this.#stop(job);
    await this.#save();
    this.#emit(job, true);
    return this.#info(job);
  }

  async resume(id: string): Promise<DownloadInfo> {
    const job = this.#require(id);
    if (job.rec.state === 'done' || job.live !== null) return this.#info(job);
    await this.#measure(job);
    try {
      await this.#checkDisk(job);
    } catch (err) {
      await this.#fail(job, ReckonError.from(err));
      throw err;
    }
    job.rec.state = 'downloading';
    job.rec.error = null;
    await this.#save();
    this.#run(job);
    return this.#info(job);
  }

  async cancel(id: string): Promise<void> {
    const job = this.#require(id);
    job.rec.state = 'paused'; // keeps a transfer that is ending from recording anything else
    await this.#stop(job);
    if (job.rec.modelId === null) {
      // Parts already checked and moved into place belong to no registered model yet: they go too.
      for (const part of job.rec.parts) if (part.done) await unlink(this.#finalPath(job, part)).catch(() => {});
    }
    await rm(join(this.downloadsDir, id), { recursive: true, force: true });
    this.#jobs.delete(id);
    await this.#save();
    this.#o.emit({ ...this.#info(job), state: 'cancelled', bytesPerSecond: null, etaSeconds: null });
  }

  // ---- upload (browser mode) ----

  /**
   * A .gguf sent by a browser (POST /upload in browser mode): streamed to a partial file in downloads/, never held
   * in memory, moved to <userData>/models/uploads/<name> once complete and imported (the engine inspects it). A
   * body that ends short of `sizeBytes`, a client that goes away, or a file the engine refuses leaves nothing
   * behind. `sizeBytes` (the Content-Length) is checked against the free disk first.
   */
  async importUpload(name: string, body: AsyncIterable<Uint8Array>, sizeBytes: number | null): Promise<ModelInfo> {
    const base = safeSegment(basename(name.replace(/\\/g, '/')));
    if (!/\.gguf$/i.test(base)) throw new ReckonError('BAD_REQUEST', `${name} is not a .gguf file.`);
    await mkdir(this.downloadsDir, { recursive: true });
    if (sizeBytes !== null) {
      const free = await (this.#hub.freeBytes ?? diskFree)(this.downloadsDir);
      if (free < sizeBytes + DISK_RESERVE_BYTES) {
        throw new ReckonError('DOWNLOAD_NO_SPACE', `Not enough free disk for ${base}: it needs ${mib(sizeBytes)} (plus ${mib(DISK_RESERVE_BYTES)} to spare), ${mib(free)} is free.`,
          { neededBytes: sizeBytes, freeBytes: free });
      }
    }
    const tmp = join(this.downloadsDir, `upload-${randomUUID()}`);
    await mkdir(tmp, { recursive: true });
    const part = join(tmp, `${base}.part`);
    let final: string | null = null;
    try {
      const fh = await openFile(part, 'w');
      let bytes = 0;
      try {
        let batch: Uint8Array[] = [];
        let batched = 0;
        const flush = async (): Promise<void> => {
          if (batched === 0) return;
          const buf = Buffer.concat(batch, batched);
          batch = [];
          batched = 0;
          await fh.write(buf).catch((err: unknown) => {
            const code = (err as NodeJS.ErrnoException).code;
            throw code === 'ENOSPC' || code === 'EDQUOT'
              ? new ReckonError('DOWNLOAD_NO_SPACE', `The disk filled up while receiving ${base}.`)
              : new ReckonError('IO_ERROR', `Cannot write ${part}: ${(err as Error).message}`);
          });
        };
        for await (const chunk of body) {
          bytes += chunk.byteLength;
          if (sizeBytes !== null && bytes > sizeBytes) throw new ReckonError('BAD_REQUEST', `The upload of ${base} sent more than its ${sizeBytes} bytes.`);
          batch.push(chunk);
          batched += chunk.byteLength;
          if (batched >= 1024 * 1024) await flush();
        }
        await flush();
      } finally {
        await fh.close().catch(() => {});
      }
      if (sizeBytes !== null && bytes !== sizeBytes) {
        throw new ReckonError('IO_ERROR', `The upload of ${base} ended after ${bytes} of ${sizeBytes} bytes; nothing was imported.`, { bytes, sizeBytes });
      }
      const folder = join(this.#o.userDataDir, 'models', 'uploads');
      await mkdir(folder, { recursive: true });
      final = await freeName(folder, base);
      await rename(part, final);
      const model = await this.#o.models.import(final);
      // The same bytes were registered already (same sha256): that entry stands, the copy goes.
      if (model.path !== final) await unlink(final).catch(() => {});
      final = null;
      return model;
    } catch (err) {
      if (final !== null) await unlink(final).catch(() => {});
      throw ReckonError.from(err, 'IO_ERROR');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  // ---- internals ----

  #require(id: string): Job {
    const job = this.#jobs.get(id);
    if (!job) throw new ReckonError('DOWNLOAD_NOT_FOUND', `No download with id '${id}'.`, { id });
    return job;
  }

  #newJob(rec: StoredDownload): Job {
    return { rec, live: null, verifying: false, bytes: rec.parts.map(() => 0), hashes: rec.parts.map(() => null), samples: [], lastEmit: 0, trailing: null };
  }

  /** What the request names, as a new download record (nothing stored yet). */
  async #resolve(p: DownloadStartParams): Promise<StoredDownload> {
    const auth = this.#auth();
    let endpoint = auth.endpoint, repo = p.repo ?? null, want = p.file;
    if (p.url !== undefined) {
      const r = parseResolveUrl(p.url);
      if (r === null) return this.#plainUrlRecord(p.url);
      endpoint = r.endpoint;
      repo = r.repo;
      want = r.path;
    }
    const hubAuth: HubAuth = { endpoint, token: sameOrigin(endpoint, auth.endpoint) ? auth.token : null };
    const model = pickModel(repo!, ggufModels(await listFiles(hubAuth, repo!)), want);
    const id = createHash('sha256').update(`${endpoint}\n${repo}\n${model.path}`).digest('hex').slice(0, 16);
    return {
      id, repo, file: model.path, url: resolveUrl(hubAuth, repo!, model.path),
      state: 'downloading',
      parts: model.parts.map((part) => ({ path: part.path, url: resolveUrl(hubAuth, repo!, part.path), sizeBytes: part.sizeBytes, sha256: part.sha256, etag: null, done: false })),
      folder: safeSegment(repo!.replace('/', '--')),
      modelId: null, error: null, createdAt: new Date().toISOString(),
    };
  }

  /** Any https URL of a .gguf: no hub metadata, so no sha256 to check (the size is the server's). */
  async #plainUrlRecord(url: string): Promise<StoredDownload> {
    const u = new URL(url);
    const name = decodeURIComponent(u.pathname.split('/').pop() ?? '');
    if (!/\.gguf$/i.test(name)) throw new ReckonError('BAD_REQUEST', `${url} does not name a .gguf file (nor a hub resolve URL).`);
    let size: number | null = null;
    try {
      const res = await fetch(url, { method: 'HEAD', redirect: 'follow' });
      const bad = res.status === 405 ? null : statusError(res.status, url);
      if (bad) throw bad;
      const len = Number(res.headers.get('content-length'));
      if (Number.isFinite(len) && len > 0) size = len;
    } catch (err) {
      throw err instanceof ReckonError ? err : networkError(err, url);
    }
    return {
      id: createHash('sha256').update(url).digest('hex').slice(0, 16), repo: null, file: name, url, state: 'downloading',
      parts: [{ path: name, url, sizeBytes: size, sha256: null, etag: null, done: false }],
      folder: safeSegment(`url--${u.hostname}`), modelId: null, error: null, createdAt: new Date().toISOString(),
    };
  }

  #partPath(job: Job, part: StoredDownloadPart): string {
    return join(this.downloadsDir, job.rec.id, `${safeSegment(basename(part.path))}.part`);
  }

  #finalPath(job: Job, part: StoredDownloadPart): string {
    return join(this.#o.userDataDir, 'models', job.rec.folder, safeSegment(basename(part.path)));
  }

  /** Bytes on disk per part, from the files themselves (the truth after a crash). */
  async #measure(job: Job): Promise<void> {
    for (let i = 0; i < job.rec.parts.length; i++) {
      const part = job.rec.parts[i]!;
      const path = part.done ? this.#finalPath(job, part) : this.#partPath(job, part);
      const st = await stat(path).catch(() => null);
      if (part.done && !st) part.done = false; // moved away since: fetch it again
      job.bytes[i] = st?.isFile() ? st.size : 0;
    }
  }

  async #checkDisk(job: Job): Promise<void> {
    const needed = job.rec.parts.reduce((n, part, i) => n + (part.done ? 0 : Math.max(0, (part.sizeBytes ?? 0) - job.bytes[i]!)), 0);
    await mkdir(this.downloadsDir, { recursive: true });
    const free = await (this.#hub.freeBytes ?? diskFree)(this.downloadsDir);
    if (free < needed + DISK_RESERVE_BYTES) {
      throw new ReckonError('DOWNLOAD_NO_SPACE',
        `Not enough free disk for ${job.rec.file}: it needs ${mib(needed)} (plus ${mib(DISK_RESERVE_BYTES)} to spare), ${mib(free)} is free.`,
        { neededBytes: needed, freeBytes: free });
    }
  }

  #run(job: Job): void {
    if (job.live !== null || this.#closed) return;
    const abort = new AbortController();
    const live: Live = { abort, done: Promise.resolve() };
    job.live = live;
    job.samples = [];
    live.done = this.#transferAll(job, abort.signal)
      .catch(async (err: unknown) => {
        if (err instanceof TransferAborted || abort.signal.aborted) return;
        const e = ReckonError.from(err);
        // the disk can fill up under downloads.json's progress write as well as under the bytes themselves
        const full = e.code === 'IO_ERROR' && ['ENOSPC', 'EDQUOT'].includes(String(e.details?.['errno']));
        await this.#fail(job, full ? new ReckonError('DOWNLOAD_NO_SPACE', `The disk filled up while downloading ${job.rec.file}; free some space and resume (the bytes so far are kept).`) : e);
      })
      .finally(() => {
        if (job.live === live) job.live = null;
        job.verifying = false;
        job.samples = [];
      });
    this.#emit(job, true);
  }

  async #stop(job: Job): Promise<void> {
    const live = job.live;
    if (!live) return;
    live.abort.abort();
    await live.done;
  }

  async #fail(job: Job, e: ReckonError): Promise<void> {
    job.rec.state = 'error';
    job.rec.error = e.toPayload() as ErrorPayload;
    job.samples = [];
    await this.#save().catch(() => {});
    this.#emit(job, true);
  }

  async #transferAll(job: Job, signal: AbortSignal): Promise<void> {
    for (let i = 0; i < job.rec.parts.length; i++) {
      const part = job.rec.parts[i]!;
      if (part.done) continue;
      const partPath = this.#partPath(job, part);
      await mkdir(join(this.downloadsDir, job.rec.id), { recursive: true });
      const result = await this.#withRetries(job, i, partPath, signal);
      // Checked before anything moves: bytes that do not match the hub's never become a model.
      job.verifying = true;
      this.#emit(job, true);
      if ((part.sizeBytes !== null && result.bytes !== part.sizeBytes) || (part.sha256 !== null && result.sha256 !== part.sha256)) {
        await unlink(partPath).catch(() => {});
        job.bytes[i] = 0;
        job.hashes[i] = null;
        part.etag = null;
        throw new ReckonError('DOWNLOAD_CHECKSUM',
          `${basename(part.path)} did not match the hub's checksum (got sha256 ${result.sha256.slice(0, 12)}... of ${result.bytes} bytes, expected ${part.sha256?.slice(0, 12) ?? '-'}... of ${part.sizeBytes ?? '?'}); the bytes were discarded. Resume to fetch it again.`,
          { file: part.path, expectedSha256: part.sha256, actualSha256: result.sha256, expectedBytes: part.sizeBytes, actualBytes: result.bytes });
      }
      const final = this.#finalPath(job, part);
      await mkdir(join(this.#o.userDataDir, 'models', job.rec.folder), { recursive: true });
      await rename(partPath, final);
      part.done = true;
      job.verifying = false;
      await this.#save();
    }
    if (signal.aborted) throw new TransferAborted();
    job.verifying = true;
    this.#emit(job, true);
    const first = this.#finalPath(job, job.rec.parts[0]!);
    let modelId: string;
    try {
      const model = await this.#o.models.import(first);
      modelId = model.id;
      // The same bytes were registered already (same sha256, another file): that entry stands, the copy goes.
      if (model.path !== first) for (const part of job.rec.parts) await unlink(this.#finalPath(job, part)).catch(() => {});
    } catch (err) {
      // Not a model after all (or the engine refused it): nothing is registered and its files go.
      for (const part of job.rec.parts) {
        await unlink(this.#finalPath(job, part)).catch(() => {});
        part.done = false;
      }
      job.bytes = job.rec.parts.map(() => 0);
      throw err;
    }
    job.rec.modelId = modelId;
    job.rec.state = 'done';
    job.rec.error = null;
    await rm(join(this.downloadsDir, job.rec.id), { recursive: true, force: true });
    await this.#save();
    job.verifying = false;
    this.#emit(job, true);
  }

  /** One part, retrying dropped connections (each retry resumes); gives up after maxRetries attempts without bytes. */
  async #withRetries(job: Job, i: number, partPath: string, signal: AbortSignal): Promise<{ bytes: number; sha256: string }> {
    const part = job.rec.parts[i]!;
    const maxRetries = this.#hub.maxRetries ?? 5;
    const baseDelay = this.#hub.retryDelayMs ?? 1000;
    let failures = 0;
    for (;;) {
      if (signal.aborted) throw new TransferAborted();
      const before = job.bytes[i]!;
      const auth = this.#auth();
      try {
        const r = await transferOnce({
          url: part.url, partPath, signal, etag: part.etag, expectedSize: part.sizeBytes, hash: job.hashes[i] ?? null,
          auth: { endpoint: auth.endpoint, token: sameOrigin(part.url, auth.endpoint) ? auth.token : null },
          onEtag: async (etag) => {
            part.etag = etag;
            await this.#save();
          },
          onSize: (size) => { part.sizeBytes = size; },
          onHash: (h) => { job.hashes[i] = h; },
          onProgress: (bytes) => {
            job.bytes[i] = bytes;
            this.#emit(job, false);
          },
        });
        job.hashes[i] = r.hash;
        return r;
      } catch (err) {
        if (err instanceof TransferAborted) throw err;
        const e = ReckonError.from(err);
        if (e.code !== 'DOWNLOAD_NETWORK') throw e;
        failures = job.bytes[i]! > before ? 1 : failures + 1;
        if (failures > maxRetries) throw e;
        await sleep(baseDelay * 2 ** (failures - 1), signal);
      }
    }
  }

  async #save(): Promise<void> {
    await this.#doc.write({ downloads: [...this.#jobs.values()].map((j) => j.rec) });
  }

  #state(job: Job): DownloadState {
    if (job.rec.state === 'downloading' && job.verifying) return 'verifying';
    if (job.rec.state === 'downloading' && job.live === null && this.#closed) return 'paused';
    return job.rec.state;
  }

  #info(job: Job): DownloadInfo {
    const received = job.bytes.reduce((a, b) => a + b, 0);
    const total = job.rec.parts.every((p) => p.sizeBytes !== null) ? job.rec.parts.reduce((n, p) => n + (p.sizeBytes ?? 0), 0) : null;
    const s = job.samples;
    let speed: number | null = null;
    if (s.length >= 2) {
      const dt = (s[s.length - 1]![0] - s[0]![0]) / 1000;
      if (dt > 0) speed = (s[s.length - 1]![1] - s[0]![1]) / dt;
    }
    const state = this.#state(job);
    if (state !== 'downloading') speed = null;
    return {
      id: job.rec.id, repo: job.rec.repo, file: job.rec.file, url: job.rec.url, state,
      receivedBytes: received, totalBytes: total,
      bytesPerSecond: speed,
      etaSeconds: speed !== null && speed > 0 && total !== null ? Math.max(0, (total - received) / speed) : null,
      parts: job.rec.parts.length, modelId: job.rec.modelId, error: job.rec.error, createdAt: job.rec.createdAt,
    };
  }

  /** Progress goes out at most every progressIntervalMs per download; state changes (`force`) at once. */
  #emit(job: Job, force: boolean): void {
    const now = Date.now();
    const received = job.bytes.reduce((a, b) => a + b, 0);
    job.samples.push([now, received]);
    while (job.samples.length > 2 && now - job.samples[0]![0] > speedWindowMs) job.samples.shift();
    const interval = this.#hub.progressIntervalMs ?? 250;
    if (!force && job.lastEmit !== 0 && now - job.lastEmit < interval) {
      // The last bytes of a burst still go out, one interval later (a listener sees where it stopped).
      job.trailing ??= setTimeout(() => {
        job.trailing = null;
        job.lastEmit = Date.now();
        this.#o.emit(this.#info(job));
      }, interval - (now - job.lastEmit));
      return;
    }
    if (job.trailing !== null) clearTimeout(job.trailing);
    job.trailing = null;
    job.lastEmit = now;
    this.#o.emit(this.#info(job));
  }
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** A file or folder name made safe (letters, digits, . _ - only; never hidden). */
function safeSegment(s: string): string {
  const out = s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 200);
  return out === '' ? '_' : out;
}

/** `name`, or `name-2.gguf`, `name-3.gguf`... when a file by that name is already there. */
async function freeName(folder: string, name: string): Promise<string> {
  const stem = name.replace(/\.gguf$/i, '');
  for (let i = 1; ; i++) {
    const candidate = join(folder, i === 1 ? name : `${stem}-${i}.gguf`);
    if (!(await stat(candidate).catch(() => null))) return candidate;
  }
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

async function diskFree(dir: string): Promise<number> {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new TransferAborted());
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(t); reject(new TransferAborted()); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
