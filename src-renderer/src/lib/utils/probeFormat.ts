import type { CalibrationProgress, ConfusionMatrix, ProbeReport } from '$common/probe/types';
import { DIFFICULTIES, type Difficulty } from '$common/probe/types';

/** Share of a calibration run done, 0..1: features 0-10 %, sampling 10-75 % (most of the time), trials 75-90 %, training 90-100 %. */
export function calibrationFraction(p: CalibrationProgress | null): number {
  if (!p) return 0;
  const part = p.total > 0 ? Math.min(1, Math.max(0, p.done / p.total)) : 0;
  switch (p.phase) {
    case 'features':
      return 0.1 * part;
    case 'sampling':
      return 0.1 + 0.65 * part;
    case 'trials':
      return 0.75 + 0.15 * part;
    case 'training':
      return 0.9 + 0.1 * part;
    case 'done':
      return 1;
  }
}

/** "Sampling 34 / 120 questions · 1 min 12 s". */
export function calibrationLabel(p: CalibrationProgress | null): string {
  if (!p) return 'Starting…';
  const phase = { features: 'Reading features', sampling: 'Sampling answers', trials: 'Timing early exits', training: 'Training the probe', done: 'Finishing' }[p.phase];
  const count = p.total > 0 && p.phase !== 'done' ? ` ${p.done} / ${p.total}` : '';
  return `${phase}${count} · ${formatElapsed(p.elapsedS)}`;
}

export function formatElapsed(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '0 s';
  if (s < 60) return `${Math.floor(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
}

export interface ConfusionCell {
  truth: Difficulty;
  predicted: Difficulty;
  count: number;
  /** Share of the true class's row, 0..1 (the cell's shade). */
  rowShare: number;
  diagonal: boolean;
}

/** The 3x3 matrix as rows of cells (`matrix[true][predicted]`, class order easy, normal, hard); null when malformed. */
export function confusionRows(m: ConfusionMatrix | null | undefined): { truth: Difficulty; total: number; cells: ConfusionCell[] }[] | null {
  if (!Array.isArray(m) || m.length !== 3 || !m.every((r) => Array.isArray(r) && r.length === 3)) return null;
  return DIFFICULTIES.map((truth, i) => {
    const row = m[i]!;
    const total = row.reduce((a, b) => a + b, 0);
    return {
      truth,
      total,
      cells: DIFFICULTIES.map((predicted, j) => ({ truth, predicted, count: row[j]!, rowShare: total > 0 ? row[j]! / total : 0, diagonal: i === j })),
    };
  });
}

/** One line: "held-out accuracy 59 % (majority baseline 55 %)". */
export function accuracyLine(r: ProbeReport): string {
  return `held-out accuracy ${pct(r.heldOutAccuracy)} (majority baseline ${pct(r.majorityBaseline)})`;
}

export function pct(x: number): string {
  return `${Math.round(x * 1000) / 10} %`;
}

/** "23 Nov 2026" for a report's createdAt ('' when unreadable). */
export function formatReportDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}
