import type { AppClient, ConnectionState } from '../transport/types';

export class ConnectionStore {
  state = $state<ConnectionState>({ status: 'open' });
  /** How many times the connection went down after being open: tells one outage from the next. */
  outages = $state(0);
  readonly kind: AppClient['kind'];

  constructor(client: AppClient, onReconnect: () => void) {
    this.kind = client.kind;
    this.state = client.connection();
    let wasDown = false;
    client.onConnectionChange((s) => {
      if (this.state.status === 'open' && s.status !== 'open') this.outages++;
      this.state = s;
      if (s.status === 'closed') wasDown = true;
      if (s.status === 'open' && wasDown) {
        wasDown = false;
        onReconnect();
      }
    });
  }

  get online(): boolean {
    return this.state.status === 'open';
  }
}
