import { ReckonError, type ErrorPayload } from '$common/errors';
import type { TrustedKeyInfo } from '$common/receiptApi';
import type { ReceiptService } from '../services/receiptService';

/**
 * Settings > Trusted keys: this install's signing key and the issuer keys audits trust (pinned by the user or
 * remembered on first use of a remote). Import is a pasted key (bare hex or `reckon keys export --json`).
 */
export class TrustedKeysStore {
  keys = $state<TrustedKeyInfo[]>([]);
  loading = $state(false);
  error = $state<ErrorPayload | null>(null);
  /** What the import field holds and its label. */
  pasted = $state('');
  label = $state('');
  importing = $state(false);
  importError = $state<ErrorPayload | null>(null);

  constructor(private readonly service: ReceiptService) {}

  get own(): TrustedKeyInfo | undefined {
    return this.keys.find((k) => k.source === 'own');
  }

  get others(): TrustedKeyInfo[] {
    return this.keys.filter((k) => k.source !== 'own');
  }

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      this.keys = await this.service.trustedKeys();
      this.error = null;
    } catch (err) {
      this.error = ReckonError.from(err).toPayload();
    } finally {
      this.loading = false;
    }
  }

  /** Trusts the pasted key; the host refuses anything but a strict Ed25519 public key (BAD_REQUEST says why). */
  async importPasted(): Promise<boolean> {
    const key = keyFromPaste(this.pasted);
    this.importing = true;
    this.importError = null;
    try {
      await this.service.trustKey(key, this.label.trim());
      this.pasted = '';
      this.label = '';
      await this.refresh();
      return true;
    } catch (err) {
      this.importError = ReckonError.from(err).toPayload();
      return false;
    } finally {
      this.importing = false;
    }
  }

  async remove(publicKey: string): Promise<void> {
    try {
      await this.service.untrustKey(publicKey);
      await this.refresh();
    } catch (err) {
      this.error = ReckonError.from(err).toPayload();
    }
  }
}

/** The key in a paste: a `{"publicKey": ...}` export (reckon keys export --json) or the bare hex, trimmed. */
export function keyFromPaste(text: string): string {
  const t = text.trim();
  if (t.startsWith('{')) {
    try {
      const v = (JSON.parse(t) as { publicKey?: unknown }).publicKey;
      return typeof v === 'string' ? v.trim() : t;
    } catch {
      return t;
    }
  }
  return t;
}
