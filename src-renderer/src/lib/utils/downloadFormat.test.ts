import { describe, expect, it } from 'vitest';
import type { DownloadInfo } from '$common/downloads';
import { downloadFraction, downloadText } from './downloadFormat';

const d = (o: Partial<DownloadInfo>): DownloadInfo => ({
  id: 'x', repo: 'a/b', file: 'f.gguf', url: 'u', state: 'downloading', receivedBytes: 0, totalBytes: 100, bytesPerSecond: null,
  etaSeconds: null, parts: 1, modelId: null, error: null, createdAt: '', ...o,
});

describe('download progress text', () => {
  it('says bytes, speed and ETA while downloading, and the state otherwise', () => {
    expect(downloadText(d({ receivedBytes: 3 * 1024 * 1024, totalBytes: 12 * 1024 * 1024, bytesPerSecond: 1024 * 1024, etaSeconds: 9 })))
      .toBe('3.0 MiB of 12.0 MiB · 1.0 MiB/s · 9 s left');
    expect(downloadText(d({}))).toBe('0 B of 100 B · starting…');
    expect(downloadText(d({ state: 'paused', receivedBytes: 50 }))).toBe('50 B of 100 B · paused');
    expect(downloadText(d({ state: 'verifying', receivedBytes: 100 }))).toBe('100 B of 100 B · checking sha256…');
    expect(downloadFraction(d({ receivedBytes: 25 }))).toBe(0.25);
    expect(downloadFraction(d({ totalBytes: null }))).toBeNull();
  });
});
