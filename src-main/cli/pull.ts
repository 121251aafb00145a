/**
 * `reckon pull <owner/repo>[:<quant or file>]` and `reckon pull <https URL>`: downloads a GGUF from the hub
 * (HF_ENDPOINT, else huggingface.co) with a progress line (bytes, speed, ETA), checks its sha256 and registers it.
 * Ctrl-C pauses: the bytes so far are kept and the same command resumes.
 */
import type { DownloadStartParams } from '../common/api';
import type { DownloadInfo } from '../common/downloads';
import { ReckonError } from '../common/errors';
import type { Host } from '../host/index';
import { humanBytes } from './format';

export interface PullCliOptions {
  ref: string;
  json: boolean;
  /** Stored for later pulls too (hub.configure), like a hub login. */
  token?: string;
}

/** `owner/repo`, `owner/repo:Q4_K_M`, `owner/repo:path/in/repo.gguf` or an http(s) URL, as downloads.start params. */
export function parsePullRef(ref: string): DownloadStartParams {
  if (/^https?:\/\//i.test(ref)) return { url: ref };
  const colon = ref.indexOf(':');
  const repo = colon === -1 ? ref : ref.slice(0, colon);
  const file = colon === -1 ? '' : ref.slice(colon + 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(repo)) {
    throw new ReckonError('BAD_REQUEST', `'${ref}' is not owner/repo[:quant or file] nor an https URL.`);
  }
  return file === '' ? { repo } : { repo, file };
}

function duration(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** "12.5 MiB / 120.0 MiB (10 %) · 8.1 MiB/s · ETA 14 s" */
export function progressLine(d: DownloadInfo): string {
  const parts = [d.totalBytes !== null
    ? `${humanBytes(d.receivedBytes)} / ${humanBytes(d.totalBytes)} (${d.totalBytes > 0 ? Math.floor((100 * d.receivedBytes) / d.totalBytes) : 100} %)`
    : humanBytes(d.receivedBytes)];
  if (d.state === 'verifying') parts.push('checking sha256');
  else {
    parts.push(d.bytesPerSecond !== null ? `${humanBytes(d.bytesPerSecond)}/s` : '- /s');
    parts.push(`ETA ${d.etaSeconds !== null ? duration(d.etaSeconds) : '-'}`);
  }
  return parts.join(' · ');
}

export async function cmdPull(host: Host, o: PullCliOptions): Promise<number> {
  const params = parsePullRef(o.ref);
  if (o.token !== undefined) await host.call('hub.configure', { token: o.token });
  const tty = !o.json && process.stderr.isTTY === true;
  let id: string | null = null;
  const early: DownloadInfo[] = [];
  let settle!: (d: DownloadInfo) => void;
  const ended = new Promise<DownloadInfo>((r) => { settle = r; });
  let lastPlain = -1;
  const show = (d: DownloadInfo): void => {
    if (d.state === 'done' || d.state === 'error' || d.state === 'cancelled' || d.state === 'paused') return settle(d);
    if (o.json) return;
    const line = progressLine(d);
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else {
      // Not a terminal: a line per 10 % (logs stay short).
      const decile = d.totalBytes ? Math.floor((10 * d.receivedBytes) / d.totalBytes) : 0;
      if (decile !== lastPlain) process.stderr.write(`${line}\n`);
      lastPlain = decile;
    }
  };
  const off = host.onTurnEvent((e) => {
    if (e.type !== 'download') return;
    if (id === null) early.push(e.download);
    else if (e.download.id === id) show(e.download);
  });
  let interrupted = false;
  const onSigint = (): void => {
    interrupted = true;
    if (id !== null) void host.call('downloads.pause', { id }).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  try {
    const started = await host.call('downloads.start', params);
    id = started.id;
    if (!o.json) process.stderr.write(`Pulling ${started.repo !== null ? `${started.repo} ${started.file}` : started.url}${started.parts > 1 ? ` (${started.parts} parts)` : ''}\n`);
    if (interrupted) void host.call('downloads.pause', { id }).catch(() => undefined);
    if (started.state === 'done') settle(started);
    for (const d of early) if (d.id === id) show(d);
    const end = await ended;
    if (tty) process.stderr.write('\r\x1b[2K');
    if (end.state === 'done') {
      const model = (await host.call('models.list')).find((m) => m.id === end.modelId);
      if (o.json) process.stdout.write(`${JSON.stringify({ download: end, model })}\n`);
      else process.stdout.write(`Downloaded ${end.file} (${humanBytes(end.totalBytes ?? end.receivedBytes)}, sha256 checked): model ${end.modelId}${model ? ` "${model.name}" at ${model.path}` : ''}\n`);
      return 0;
    }
    if (end.state === 'paused') {
      if (o.json) process.stdout.write(`${JSON.stringify({ download: end })}\n`);
      else process.stderr.write(`Paused at ${humanBytes(end.receivedBytes)}; run the same command to resume.\n`);
      return 130;
    }
    throw end.error !== null ? ReckonError.fromPayload(end.error) : new ReckonError('INTERNAL', `The download ended as ${end.state}.`);
  } finally {
    off();
    process.off('SIGINT', onSigint);
  }
}
