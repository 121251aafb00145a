/**
 * One file's bytes over HTTP into a partial file, resumable: the bytes already on disk are kept and the rest is
 * asked for with `Range: bytes=<have>-` and `If-Range: <etag>` (the strong validator of the first response), so a
 * file that changed on the server comes back whole (200) instead of being spliced onto old bytes. The sha256 is
 * computed as the bytes are written (the prefix already on disk is hashed first when this process has not seen it).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, truncate } from 'node:fs/promises';
import { ReckonError } from '../../common/errors';
import { headers, networkError, statusError, type HubAuth } from './hubClient';

/** The running sha256 of a partial file's first `bytes` bytes. */
export interface PartHash {
  hash: Hash;
  bytes: number;
}

export interface TransferParams {
  url: string;
  partPath: string;
  /** Sends the token only to this origin (the hub); fetch drops it on a redirect elsewhere. */
  auth: HubAuth;
  /** The validator of the bytes on disk (null: none known, the first response's is taken). */
  etag: string | null;
  /** Bytes the file has, when the hub said; the transfer is complete when the part holds this many. */
  expectedSize: number | null;
  signal: AbortSignal;
  /** Kept across attempts so a resumed transfer does not read the whole prefix again. */
  hash: PartHash | null;
  /** The running hash this attempt updates in place (also after a failure: the next attempt goes on from it). */
  onHash?: (hash: PartHash) => void;
  /** A new validator (the first response's, or the file changed and started again). */
  onEtag: (etag: string | null) => Promise<void>;
  /** Bytes on disk now (after each chunk, and after a restart from zero). */
  onProgress: (bytesOnDisk: number) => void;
  /** The size the server reported, when it was not known before (a plain URL). */
  onSize?: (size: number) => void;
}

export interface TransferResult {
  bytes: number;
  sha256: string;
  hash: PartHash;
}

/** Thrown when the signal aborted the transfer (pause, cancel, host closing); the partial file is kept. */
export class TransferAborted extends Error {
  override readonly name = 'TransferAborted';
}

async function sizeOf(path: string): Promise<number> {
  const st = await stat(path).catch(() => null);
  return st?.isFile() ? st.size : 0;
}

async function hashPrefix(path: string, bytes: number): Promise<PartHash> {
  const hash = createHash('sha256');
  if (bytes > 0) {
    for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
  }
  return { hash, bytes };
}

/** Bytes gathered before one write to the partial file. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** A smaller batch is written once no bytes arrived for this long, ms. */
const QUIET_FLUSH_MS = 50;

const isStrong = (etag: string | null): etag is string => etag !== null && !etag.startsWith('W/');

function noSpace(err: unknown, path: string): ReckonError | null {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ReckonError('DOWNLOAD_NO_SPACE', `The disk filled up while writing ${path}; free some space and resume (the bytes so far are kept).`, { path });
  }
  return null;
}

/**
 * One attempt: resumes from the bytes on disk and returns when the part is complete. Throws TransferAborted,
 * or a ReckonError (DOWNLOAD_NETWORK for a dropped connection or a short body: the caller retries, resuming).
 */
export async function transferOnce(p: TransferParams): Promise<TransferResult> {
  let have = await sizeOf(p.partPath);
  if (p.expectedSize !== null && have > p.expectedSize) {
    await truncate(p.partPath, 0);
    have = 0;
  }
  let hash = p.hash !== null && p.hash.bytes === have ? p.hash : await hashPrefix(p.partPath, have);
  p.onHash?.(hash);
  if (p.expectedSize !== null && have === p.expectedSize) return { bytes: have, sha256: hash.hash.copy().digest('hex'), hash };

  const h: Record<string, string> = {};
  if (have > 0) {
    h['range'] = `bytes=${have}-`;
    if (isStrong(p.etag)) h['if-range'] = p.etag;
  }
  let res: Response;
  try {
    res = await fetch(p.url, { headers: headers(p.auth, h), redirect: 'follow', signal: p.signal });
  } catch (err) {
    if (p.signal.aborted) throw new TransferAborted();
    throw networkError(err, p.url);
  }
  if (res.status === 416 && have > 0) {
    // The server has no bytes past ours: either the file is complete, or ours are not its bytes. Start again.
    await res.body?.cancel().catch(() => {});
    await truncate(p.partPath, 0);
    throw new ReckonError('DOWNLOAD_NETWORK', `The server refused to resume ${p.url} (HTTP 416); starting it again.`, { status: 416 });
  }
  const bad = statusError(res.status, `the file ${p.url}`);
  if (bad) {
    await res.body?.cancel().catch(() => {});
    throw bad;
  }
  let start = 0;
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
    start = m ? Number(m[1]) : -1;
    if (start !== have) {
      await res.body?.cancel().catch(() => {});
      await truncate(p.partPath, 0);
      throw new ReckonError('DOWNLOAD_NETWORK', `The server resumed ${p.url} at the wrong byte (${res.headers.get('content-range')}); starting it again.`);
    }
    if (m && m[3] !== '*' && p.expectedSize === null) p.onSize?.(Number(m[3]));
  } else {
    // 200: the whole file (no range support, or the validator changed): what we had is not part of it.
    if (have > 0) await truncate(p.partPath, 0);
    have = 0;
    hash = { hash: createHash('sha256'), bytes: 0 };
    p.onHash?.(hash);
    const len = Number(res.headers.get('content-length'));
    if (p.expectedSize === null && Number.isFinite(len) && len > 0) p.onSize?.(len);
  }
  const etag = res.headers.get('etag');
  if (res.status === 200 || (etag !== null && etag !== p.etag)) await p.onEtag(etag);
  p.onProgress(have);

  const fh = await open(p.partPath, have === 0 ? 'w' : 'a');
  let bytes = have;
  // Chunks are written in batches (fewer, larger writes), and a batch also goes out once the stream has been quiet
  // for a moment, so a stalled transfer still shows (and keeps) what it got. Writes are serialised; what is hashed
  // and reported is only what was written.
  let batch: Uint8Array[] = [];
  let batched = 0;
  let writing: Promise<void> = Promise.resolve();
  let writeError: unknown = null;
  let quiet: ReturnType<typeof setTimeout> | null = null;
  const writeBatch = async (): Promise<void> => {
    if (batched === 0) return;
    const buf = Buffer.concat(batch, batched);
    batch = [];
    batched = 0;
    try {
      await fh.write(buf);
    } catch (err) {
      throw noSpace(err, p.partPath) ?? new ReckonError('IO_ERROR', `Cannot write ${p.partPath}: ${(err as Error).message}`);
    }
    hash.hash.update(buf);
    bytes += buf.byteLength;
    hash.bytes = bytes;
    p.onProgress(bytes);
  };
  const flush = (): Promise<void> => {
    if (quiet !== null) clearTimeout(quiet);
    quiet = null;
    writing = writing.then(writeBatch).catch((err: unknown) => { writeError ??= err; });
    return writing;
  };
  try {
    if (res.body === null) throw new ReckonError('DOWNLOAD_NETWORK', `The server sent no body for ${p.url}.`);
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (writeError !== null) throw writeError;
        batch.push(chunk);
        batched += chunk.byteLength;
        if (batched >= WRITE_BATCH_BYTES) await flush();
        else if (quiet === null) quiet = setTimeout(() => void flush(), QUIET_FLUSH_MS);
      }
    } finally {
      // The bytes that arrived before a drop or a pause are kept too: a resume asks only for the rest.
      await flush();
    }
    if (writeError !== null) throw writeError;
  } catch (err) {
    if (err instanceof ReckonError) throw err;
    if (p.signal.aborted) throw new TransferAborted();
    throw networkError(err, p.url);
  } finally {
    await fh.close().catch(() => {});
  }
  if (p.signal.aborted) throw new TransferAborted();
  if (p.expectedSize !== null && bytes < p.expectedSize) {
    throw new ReckonError('DOWNLOAD_NETWORK', `The connection for ${p.url} ended after ${bytes} of ${p.expectedSize} bytes.`, { bytes });
  }
  return { bytes, sha256: hash.hash.copy().digest('hex'), hash };
}
