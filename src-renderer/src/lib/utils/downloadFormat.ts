import type { DownloadInfo } from '$common/downloads';

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

function duration(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** 0..1, or null when the size is unknown. */
export function downloadFraction(d: DownloadInfo): number | null {
  if (d.totalBytes === null || d.totalBytes === 0) return d.state === 'done' ? 1 : null;
  return Math.min(1, d.receivedBytes / d.totalBytes);
}

/** "12.5 MiB of 120.0 MiB · 8.1 MiB/s · 14 s left", or what the state says. */
export function downloadText(d: DownloadInfo): string {
  const bytes = d.totalBytes !== null ? `${formatBytes(d.receivedBytes)} of ${formatBytes(d.totalBytes)}` : formatBytes(d.receivedBytes);
  switch (d.state) {
    case 'downloading': {
      const speed = d.bytesPerSecond !== null ? `${formatBytes(d.bytesPerSecond)}/s` : 'starting…';
      const eta = d.etaSeconds !== null ? ` · ${duration(d.etaSeconds)} left` : '';
      return `${bytes} · ${speed}${eta}`;
    }
    case 'verifying': return `${bytes} · checking sha256…`;
    case 'paused': return `${bytes} · paused`;
    case 'done': return `${bytes} · done`;
    case 'error': return `${bytes} · stopped`;
    case 'cancelled': return 'cancelled';
  }
}
