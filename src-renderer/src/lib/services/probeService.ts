import type { ProbeCalibrateParams, ReckonClient } from '$common/api';
import type { ProbeStatus } from '$common/probe/types';

/** The DiffAdapt probe of a model: status, calibration (long call; progress is read with status), cancel. */
export class ProbeService {
  constructor(private readonly client: ReckonClient) {}
  status(modelId?: string): Promise<ProbeStatus> {
    return this.client.call('probe.status', modelId ? { modelId } : {});
  }
  calibrate(p: ProbeCalibrateParams): Promise<ProbeStatus> {
    return this.client.call('probe.calibrate', p);
  }
  /** Removes the user's calibrated probe so the shipped one applies again. */
  restore(modelId?: string): Promise<ProbeStatus> {
    return this.client.call('probe.restore', modelId ? { modelId } : {});
  }
  cancel(): Promise<void> {
    return this.client.call('probe.cancel', {});
  }
}
