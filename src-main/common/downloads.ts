/**
 * Model downloads from a Hugging Face-like hub (docs/downloads.md): what the API says about hub repos, their GGUF
 * files and the downloads in progress. The host does the HTTP (host/downloads/); clients only see these shapes.
 */
import type { ErrorPayload } from './errors';

/** One repository the hub's search returned. */
export interface HubRepo {
  /** "owner/name". */
  id: string;
  downloads: number | null;
  likes: number | null;
  /** The hub says a user token (and accepted terms) is needed to download. */
  gated: boolean;
  /** ISO time of the last change, when the hub says. */
  lastModified: string | null;
}

/** One GGUF model in a repo: a single file, or the parts of a split GGUF (`-00001-of-0000N.gguf`) as one. */
export interface HubModelFile {
  /** The file's path in the repo (a split model: its first part). */
  path: string;
  /** Bytes, all parts together. */
  sizeBytes: number;
  /** Quantisation read from the file name (Q4_K_M, F16, ...), null when the name does not say. */
  quantization: string | null;
  /** Every part with its size and LFS sha256 (one entry for a single file). */
  parts: HubFilePart[];
}

export interface HubFilePart {
  path: string;
  sizeBytes: number;
  /** The LFS object's sha256 (lower-case hex), null when the hub gave none (the file is not in LFS). */
  sha256: string | null;
}

/** `cancelled` is only ever the last event of a download that downloads.cancel removed. */
export const DownloadStates = ['downloading', 'paused', 'verifying', 'done', 'error', 'cancelled'] as const;
export type DownloadState = (typeof DownloadStates)[number];

/** A download as the API reports it (downloads.list, the `download` event). */
export interface DownloadInfo {
  /** Stable for the same endpoint, repo and file: starting it again resumes it. */
  id: string;
  /** "owner/name", or null for a plain URL. */
  repo: string | null;
  /** The model's file (a split model: its first part). */
  file: string;
  /** Where it comes from: the hub endpoint's resolve URL of `file`, or the URL given. */
  url: string;
  state: DownloadState;
  /** Bytes on disk so far, all parts together. */
  receivedBytes: number;
  /** Bytes in all, all parts together (null when a plain URL did not say). */
  totalBytes: number | null;
  /** Recent speed, bytes per second; null when nothing is moving. */
  bytesPerSecond: number | null;
  /** Seconds left at the recent speed; null when unknown. */
  etaSeconds: number | null;
  /** Parts (a split GGUF has several). */
  parts: number;
  /** The registered model once `done`. */
  modelId: string | null;
  /** Why it stopped, when `error` (DOWNLOAD_* codes, or the import's GGUF_* code). */
  error: ErrorPayload | null;
  createdAt: string;
}

/** How the host talks to the hub (hub.config). The token itself never leaves the host. */
export interface HubConfig {
  endpoint: string;
  /** Where the endpoint came from: the HF_ENDPOINT environment / host option, the stored setting, or the default. */
  endpointSource: 'environment' | 'setting' | 'default';
  hasToken: boolean;
  tokenSource: 'environment' | 'setting' | null;
}

/** `-00001-of-00003.gguf`: a split GGUF's part number and count. */
const splitPattern = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;

/** The part index (1-based) and count of a split GGUF's name, or null for a plain file. */
export function splitPart(path: string): { stem: string; index: number; count: number } | null {
  const m = splitPattern.exec(path);
  if (!m) return null;
  const index = Number(m[2]), count = Number(m[3]);
  return index >= 1 && count >= 1 && index <= count ? { stem: m[1]!, index, count } : null;
}

/** The quantisation a GGUF's file name says (`model.Q4_K_M.gguf`, `model-IQ3_XXS.gguf`, `model-f16.gguf`). */
export function quantizationFromName(path: string): string | null {
  const name = (path.split('/').pop() ?? path).replace(/-\d{5}-of-\d{5}(?=\.gguf$)/i, '');
  const m = /(?:^|[-_.])(I?Q\d(?:_[A-Z0-9]+)*|BF16|F16|F32|MXFP4(?:_MOE)?)(?=\.gguf$|[-_.])/i.exec(name);
  return m ? m[1]!.toUpperCase() : null;
}
