import { ReckonError } from '$common/errors';

/**
 * A settings section's actions: one at a time marks `busy`, clears the last error and records its own (shown
 * through ErrorAlert). `run` resolves true when the action succeeded.
 */
export class ActionState {
  error = $state<ReckonError | null>(null);
  busy = $state(false);

  protected async run(f: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await f();
      return true;
    } catch (err) {
      this.error = ReckonError.from(err);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
