/**
 * Schemas of model downloads (docs/downloads.md): the API's params for hub.* and downloads.*, and the two files
 * the downloads service keeps through the Store: downloads.json (what is being fetched, with each part's
 * validator) and hub.json (the endpoint and token the user set; mode 0600).
 */
import { z } from 'zod';
import { storedJsonLimits } from './limits';
import { safeParseJson } from './parse';
import { intIn, MAX_PATH, nonEmpty, text } from './primitives';
import { errorPayloadSchema } from './stored';

/** A hub repo id, "owner/name" (letters, digits, . _ -). */
export const repoIdSchema = z.string().max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  error: 'must be a repo id like owner/name',
});

const httpUrl = () => nonEmpty(4000).regex(/^https?:\/\/[^\s]+$/i, { error: 'must be an http(s) URL' });

export const hubSearchParams = z.strictObject({ query: text(200), limit: intIn(1, 100).optional() });
export const hubFilesParams = z.strictObject({ repo: repoIdSchema });
export const hubConfigureParams = z.strictObject({
  endpoint: httpUrl().nullable().optional(),
  token: nonEmpty(1000).regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces' }).nullable().optional(),
});
export const downloadsStartParams = z.strictObject({
  repo: repoIdSchema.optional(),
  /** A file path in the repo, or a quantisation (Q4_K_M) picking the GGUF whose name says it. */
  file: nonEmpty(1000).optional(),
  url: httpUrl().optional(),
}).refine((p) => (p.repo === undefined) !== (p.url === undefined), { error: 'give repo (with an optional file) or url' })
  .refine((p) => p.url === undefined || p.file === undefined, { error: 'file goes with repo, not with url' });

// ---- stored ----

const partSchema = z.strictObject({
  /** Path in the repo (or the URL's file name). */
  path: text(MAX_PATH),
  url: text(4000),
  sizeBytes: z.number().int().min(0).nullable(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  /** The strong validator of the bytes on disk (If-Range on resume); null until the first response. */
  etag: text(1000).nullable(),
  /** Verified and moved into place. */
  done: z.boolean(),
});

export const storedDownloadSchema = z.strictObject({
  /** Also a folder name under downloads/: 16 hex digits only. */
  id: z.string().regex(/^[0-9a-f]{16}$/),
  repo: text(200).nullable(),
  file: text(MAX_PATH),
  url: text(4000),
  /** What the user asked for: downloading (resumed on the next start), paused, done or error. */
  state: z.enum(['downloading', 'paused', 'done', 'error']),
  parts: z.array(partSchema).min(1).max(1000),
  /** Where the verified model goes: a folder under <userData>/models/. */
  folder: z.string().max(200).regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/),
  modelId: text(100).nullable(),
  error: errorPayloadSchema.nullable(),
  createdAt: text(100),
});
export type StoredDownload = z.output<typeof storedDownloadSchema>;
export type StoredDownloadPart = StoredDownload['parts'][number];

export const downloadsFileSchema = z.strictObject({ downloads: z.array(storedDownloadSchema).max(10_000) });
export type DownloadsFile = z.output<typeof downloadsFileSchema>;

export const hubFileSchema = z.strictObject({ endpoint: text(4000).optional(), token: text(1000).optional() });
export type HubFile = z.output<typeof hubFileSchema>;

/** store.json parse functions: throw on a wrong shape, so the Store sets the file aside. */
export function parseDownloadsFile(raw: unknown): DownloadsFile {
  const r = safeParseJson(downloadsFileSchema, raw, { limits: storedJsonLimits });
  if (!r.ok) throw new Error(r.message);
  return r.value as DownloadsFile;
}
export function parseHubFile(raw: unknown): HubFile {
  const r = safeParseJson(hubFileSchema, raw, { limits: storedJsonLimits });
  if (!r.ok) throw new Error(r.message);
  return r.value as HubFile;
}
