import { ReckonError, isErrorPayload } from '$common/errors';
import type { ModelInfo } from '$common/types';

/** Reports bytes sent of the total while an upload runs. */
export type UploadProgress = (sent: number, total: number) => void;

/**
 * Browser mode: POSTs a File to the host's /upload (same origin; the token rides along as in the page URL). The
 * browser streams the file from disk; XMLHttpRequest is used because it reports upload progress and fetch does not.
 */
export function uploadGguf(file: File, token: string | null, onProgress: UploadProgress): Promise<ModelInfo> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const q = new URLSearchParams({ name: file.name, ...(token ? { token } : {}) });
    xhr.open('POST', `/upload?${q}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 200 && body !== null) return resolve(body as ModelInfo);
      const err = (body as { error?: unknown } | null)?.error;
      reject(isErrorPayload(err) ? ReckonError.fromPayload(err) : new ReckonError(xhr.status === 401 ? 'UNAUTHORIZED' : 'IO_ERROR', `The upload failed (HTTP ${xhr.status}).`));
    };
    xhr.onerror = () => reject(new ReckonError('IO_ERROR', 'The upload was interrupted.'));
    xhr.send(file);
  });
}
