import { ReckonError } from '$common/errors';
import type { PageAccessService } from '../services/pageAccessService';

/**
 * Settings > Page link (browser mode only): rotates the access token in the page's URL. The server refuses the old
 * one from its reply on and closes every socket opened with it; this page then moves to the new URL (`navigate`).
 */
export class PageAccessStore {
  busy = $state(false);
  error = $state<ReckonError | null>(null);

  constructor(
    private readonly service: PageAccessService,
    /** Whether this page runs in browser mode (a WebSocket client); the desktop app has no page token. */
    readonly browser: boolean,
    /** Opens a URL in place of this page; defaults to location.replace. */
    private readonly navigate: (url: string) => void = (url) => location.replace(url),
  ) {}

  /** The new token, after this page was sent to its URL; null when the rotation failed (`error` says why). */
  async rotate(): Promise<string | null> {
    this.busy = true;
    this.error = null;
    try {
      const { token } = await this.service.rotateToken();
      const url = new URL(location.href);
      url.searchParams.set('token', token);
      this.navigate(url.toString());
      return token;
    } catch (err) {
      this.error = ReckonError.from(err);
      this.busy = false;
      return null;
    }
  }
}
