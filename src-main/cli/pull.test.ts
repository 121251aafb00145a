import { describe, expect, it } from 'vitest';
import type { DownloadInfo } from '../common/downloads';
import { parseArgs } from './cli';
import { parsePullRef, progressLine } from './pull';

const info = (o: Partial<DownloadInfo>): DownloadInfo => ({
  id: 'x', repo: 'a/b', file: 'f.gguf', url: 'http://h/a/b/resolve/main/f.gguf', state: 'downloading', receivedBytes: 0,
  totalBytes: 100, bytesPerSecond: null, etaSeconds: null, parts: 1, modelId: null, error: null, createdAt: '', ...o,
});

describe('reckon pull', () => {
  it('reads owner/repo[:quant or file] and URLs', () => {
    expect(parsePullRef('acme/Tiny-GGUF')).toEqual({ repo: 'acme/Tiny-GGUF' });
    expect(parsePullRef('acme/Tiny-GGUF:Q4_K_M')).toEqual({ repo: 'acme/Tiny-GGUF', file: 'Q4_K_M' });
    expect(parsePullRef('acme/Tiny-GGUF:sub/tiny.Q8_0.gguf')).toEqual({ repo: 'acme/Tiny-GGUF', file: 'sub/tiny.Q8_0.gguf' });
    expect(parsePullRef('https://huggingface.co/a/b/resolve/main/x.gguf')).toEqual({ url: 'https://huggingface.co/a/b/resolve/main/x.gguf' });
    expect(() => parsePullRef('justaname')).toThrow(/owner\/repo/);
    expect(parseArgs(['pull', 'a/b:Q4_0', '--token', 'hf_x']).flags.get('token')).toBe('hf_x');
  });

  it('formats the progress line with bytes, speed and ETA', () => {
    expect(progressLine(info({ receivedBytes: 25 * 1024 * 1024, totalBytes: 100 * 1024 * 1024, bytesPerSecond: 5 * 1024 * 1024, etaSeconds: 15 })))
      .toBe('25.0 MiB / 100.0 MiB (25 %) · 5.0 MiB/s · ETA 15 s');
    expect(progressLine(info({ receivedBytes: 10, totalBytes: null }))).toBe('10 B · - /s · ETA -');
    expect(progressLine(info({ state: 'verifying', receivedBytes: 100 }))).toBe('100 B / 100 B (100 %) · checking sha256');
    expect(progressLine(info({ etaSeconds: 125, bytesPerSecond: 1 }))).toContain('ETA 2 min 5 s');
  });
});
