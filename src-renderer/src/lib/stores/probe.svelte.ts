import { ReckonError } from '$common/errors';
import type { ProbeCalibrateParams } from '$common/api';
import type { ProbeStatus } from '$common/probe/types';
import type { ProbeService } from '../services/probeService';

/** How often a running calibration's progress is polled (the host sends no progress event). */
export const PROBE_POLL_MS = 500;

/**
 * The difficulty probe of the current model in Settings: its status, a calibration started here (the call
 * resolves when the run ends) with progress polled from probe.status, and cancel. Lives in AppState, so a
 * calibration keeps its progress when the dialog is closed and reopened.
 */
export class ProbeStore {
  status = $state<ProbeStatus | null>(null);
  modelId = $state<string | null>(null);
  /** A calibrate call from this window is in flight. */
  calibrating = $state(false);
  cancelling = $state(false);
  /** How the last calibration from this window ended. */
  outcome = $state<'done' | 'kept-aside' | 'cancelled' | 'restored' | null>(null);
  /** A restore call from this window is in flight. */
  restoring = $state(false);
  error = $state<string | null>(null);
  private timer: ReturnType<typeof setTimeout> | null = null;
  private seq = 0;

  constructor(private readonly service: ProbeService) {}

  get running(): boolean {
    return this.calibrating || (this.status?.running ?? null) !== null;
  }

  async refresh(modelId?: string | null): Promise<void> {
    if (modelId !== undefined && modelId !== this.modelId) {
      this.modelId = modelId;
      this.status = null;
      this.outcome = null;
      this.error = null;
    }
    const seq = ++this.seq;
    try {
      const s = await this.service.status(this.modelId ?? undefined);
      if (seq !== this.seq) return;
      this.status = s;
      if (s.running || this.calibrating) this.schedulePoll();
    } catch (err) {
      if (seq === this.seq && !this.calibrating) this.error = ReckonError.from(err).message;
    }
  }

  async calibrate(p: Omit<ProbeCalibrateParams, 'modelId' | 'modelPath'>): Promise<void> {
    if (this.running) return;
    this.calibrating = true;
    this.outcome = null;
    this.error = null;
    // Show the run at once; the first poll replaces this with the host's progress.
    if (this.status) this.status = { ...this.status, running: { phase: 'features', done: 0, total: p.questions ?? 0, elapsedS: 0 } };
    this.schedulePoll();
    try {
      const s = await this.service.calibrate({ ...p, ...(this.modelId ? { modelId: this.modelId } : {}) });
      this.seq++;
      this.status = s;
      // A successful install clears the kept-aside candidate, so one present now is this run's.
      this.outcome = s.keptAside !== null ? 'kept-aside' : 'done';
    } catch (err) {
      const e = ReckonError.from(err);
      if (e.code === 'TURN_ABORTED') this.outcome = 'cancelled';
      else this.error = e.message;
    } finally {
      this.calibrating = false;
      this.cancelling = false;
      await this.refresh();
    }
  }

  /** Removes the user's calibrated probe of the current model; the shipped one (if any) applies again. */
  async restore(): Promise<void> {
    if (this.running || this.restoring) return;
    this.restoring = true;
    this.outcome = null;
    this.error = null;
    try {
      const s = await this.service.restore(this.modelId ?? undefined);
      this.seq++;
      this.status = s;
      this.outcome = 'restored';
    } catch (err) {
      this.error = ReckonError.from(err).message;
    } finally {
      this.restoring = false;
    }
  }

  async cancel(): Promise<void> {
    if (!this.running) return;
    this.cancelling = true;
    try {
      await this.service.cancel();
    } catch (err) {
      this.error = ReckonError.from(err).message;
      this.cancelling = false;
    }
  }

  private schedulePoll(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) void this.refresh();
    }, PROBE_POLL_MS);
  }
}
