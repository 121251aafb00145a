/**
 * The hub's HTTP API as Hugging Face serves it (and mirrors that copy it, HF_ENDPOINT):
 *   GET /api/models?search=<q>&filter=gguf&limit=<n>       repositories
 *   GET /api/models/<owner>/<name>/tree/main?recursive=true files with size and, for LFS files, lfs.oid (sha256)
 *   GET /<owner>/<name>/resolve/main/<path>                the bytes (usually a redirect to a CDN host)
 * A token (gated or private repos) goes as `Authorization: Bearer`; fetch drops it on a redirect to another
 * origin, so the CDN never sees it.
 */
import { ReckonError } from '../../common/errors';
import { quantizationFromName, splitPart, type HubFilePart, type HubModelFile, type HubRepo } from '../../common/downloads';

export const defaultHubEndpoint = 'https://huggingface.co';

export interface HubAuth {
  endpoint: string;
  token: string | null;
}

/** Maps a hub response status to a download error; null when the response is usable. */
export function statusError(status: number, what: string, details: Record<string, unknown> = {}): ReckonError | null {
  if (status >= 200 && status < 300) return null;
  if (status === 401 || status === 403) {
    return new ReckonError('DOWNLOAD_UNAUTHORIZED', `The hub refused ${what} (HTTP ${status}): the repo is gated or private. Set a user token (reckon pull --token, HF_TOKEN, or Get models > Token) with access to it.`, { status, ...details });
  }
  if (status === 404) return new ReckonError('DOWNLOAD_NOT_FOUND', `The hub has no ${what} (HTTP 404).`, { status, ...details });
  return new ReckonError('DOWNLOAD_NETWORK', `The hub answered HTTP ${status} for ${what}.`, { status, ...details });
}

/** A fetch failure (refused, reset, DNS, aborted by a timeout) as DOWNLOAD_NETWORK; an abort is passed through. */
export function networkError(err: unknown, what: string): ReckonError {
  if (err instanceof ReckonError) return err;
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
  return new ReckonError('DOWNLOAD_NETWORK', `Could not reach the hub for ${what}: ${why}.`, { reason: String(why) });
}

export function headers(auth: HubAuth, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}), 'user-agent': 'reckon', ...extra };
}

function apiUrl(auth: HubAuth, path: string): string {
  return `${auth.endpoint.replace(/\/+$/, '')}${path}`;
}

async function getJson(auth: HubAuth, path: string, what: string, signal?: AbortSignal): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(apiUrl(auth, path), { headers: headers(auth, { accept: 'application/json' }), ...(signal ? { signal } : {}) });
  } catch (err) {
    throw networkError(err, what);
  }
  const bad = statusError(res.status, what);
  if (bad) {
    await res.body?.cancel().catch(() => {});
    throw bad;
  }
  try {
    return await res.json();
  } catch (err) {
    throw new ReckonError('DOWNLOAD_NETWORK', `The hub's answer for ${what} is not JSON: ${(err as Error).message}`);
  }
}

const encodePath = (p: string): string => p.split('/').map(encodeURIComponent).join('/');

export function resolveUrl(auth: HubAuth, repo: string, path: string, revision = 'main'): string {
  return apiUrl(auth, `/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`);
}

export async function searchRepos(auth: HubAuth, query: string, limit = 30): Promise<HubRepo[]> {
  const q = new URLSearchParams({ search: query, filter: 'gguf', limit: String(limit) });
  const raw = await getJson(auth, `/api/models?${q}`, `a search for '${query}'`);
  if (!Array.isArray(raw)) throw new ReckonError('DOWNLOAD_NETWORK', 'The hub answered the search with something that is not a list.');
  const out: HubRepo[] = [];
  for (const r of raw as Record<string, unknown>[]) {
    const id = typeof r?.['id'] === 'string' ? r['id'] : typeof r?.['modelId'] === 'string' ? r['modelId'] : null;
    if (id === null) continue;
    const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    out.push({
      id,
      downloads: num(r['downloads']),
      likes: num(r['likes']),
      // The hub says false, "auto" or "manual".
      gated: r['gated'] !== undefined && r['gated'] !== false,
      lastModified: typeof r['lastModified'] === 'string' ? r['lastModified'] : null,
    });
  }
  return out;
}

/** Every file of a repo with its size and LFS sha256. */
export async function listFiles(auth: HubAuth, repo: string): Promise<HubFilePart[]> {
  const raw = await getJson(auth, `/api/models/${repo}/tree/main?recursive=true`, `repo ${repo}`);
  if (!Array.isArray(raw)) throw new ReckonError('DOWNLOAD_NETWORK', `The hub's file list of ${repo} is not a list.`);
  const out: HubFilePart[] = [];
  for (const f of raw as Record<string, unknown>[]) {
    if (f?.['type'] !== 'file' || typeof f['path'] !== 'string') continue;
    const lfs = f['lfs'] as Record<string, unknown> | undefined;
    const sha = typeof lfs?.['oid'] === 'string' ? lfs['oid'].replace(/^sha256:/, '').toLowerCase() : null;
    const size = typeof lfs?.['size'] === 'number' ? lfs['size'] : typeof f['size'] === 'number' ? f['size'] : 0;
    out.push({ path: f['path'], sizeBytes: size, sha256: sha !== null && /^[0-9a-f]{64}$/.test(sha) ? sha : null });
  }
  return out;
}

/** The GGUF models among a repo's files: single files, and split GGUFs grouped into one entry (all parts present). */
export function ggufModels(files: HubFilePart[]): HubModelFile[] {
  const models: HubModelFile[] = [];
  const splits = new Map<string, HubFilePart[]>();
  for (const f of files) {
    if (!/\.gguf$/i.test(f.path)) continue;
    const s = splitPart(f.path);
    if (s === null) {
      models.push({ path: f.path, sizeBytes: f.sizeBytes, quantization: quantizationFromName(f.path), parts: [f] });
      continue;
    }
    const key = `${s.stem}/${s.count}`;
    splits.set(key, [...(splits.get(key) ?? []), f]);
  }
  for (const parts of splits.values()) {
    const sorted = parts.sort((a, b) => splitPart(a.path)!.index - splitPart(b.path)!.index);
    const count = splitPart(sorted[0]!.path)!.count;
    // A set with a part missing cannot load; it is left out rather than offered broken.
    if (sorted.length !== count || sorted.some((p, i) => splitPart(p.path)!.index !== i + 1)) continue;
    models.push({ path: sorted[0]!.path, sizeBytes: sorted.reduce((n, p) => n + p.sizeBytes, 0), quantization: quantizationFromName(sorted[0]!.path), parts: sorted });
  }
  return models.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Picks the model `want` names among a repo's GGUF models: an exact path (or a split's part), else a file name,
 * else a quantisation (case-insensitive). Absent: the repo's only model.
 */
export function pickModel(repo: string, models: HubModelFile[], want: string | undefined): HubModelFile {
  const names = models.map((m) => m.path).join(', ') || 'none';
  if (models.length === 0) throw new ReckonError('DOWNLOAD_NOT_FOUND', `${repo} has no GGUF files.`, { repo });
  if (want === undefined) {
    if (models.length === 1) return models[0]!;
    throw new ReckonError('BAD_REQUEST', `${repo} has ${models.length} GGUF models; name one (a file or a quantisation): ${names}.`, { repo, files: models.map((m) => m.path) });
  }
  const w = want.toLowerCase();
  const byPath = models.find((m) => m.parts.some((p) => p.path.toLowerCase() === w || p.path.split('/').pop()!.toLowerCase() === w));
  if (byPath) return byPath;
  const byQuant = models.filter((m) => m.quantization?.toLowerCase() === w);
  if (byQuant.length === 1) return byQuant[0]!;
  if (byQuant.length > 1) throw new ReckonError('BAD_REQUEST', `${repo} has several ${want} files; name one: ${byQuant.map((m) => m.path).join(', ')}.`, { repo });
  throw new ReckonError('DOWNLOAD_NOT_FOUND', `${repo} has no GGUF matching '${want}'. It has: ${names}.`, { repo, want });
}

/** `<endpoint>/<owner>/<name>/resolve/<rev>/<path>` split into its parts, or null for any other URL. */
export function parseResolveUrl(url: string): { endpoint: string; repo: string; revision: string; path: string } | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const m = /^(.*?)\/([A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*)\/(?:resolve|blob)\/([^/]+)\/(.+)$/.exec(u.pathname);
  if (!m) return null;
  return { endpoint: `${u.origin}${m[1]}`, repo: m[2]!, revision: decodeURIComponent(m[3]!), path: m[4]!.split('/').map(decodeURIComponent).join('/') };
}
