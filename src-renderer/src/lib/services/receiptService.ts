import type { ReckonClient } from '$common/api';
import type { AuditReport, ReceiptExport, ReplayReport, TrustedKeyInfo } from '$common/receiptApi';

export class ReceiptService {
  constructor(private readonly client: ReckonClient) {}
  /** The receipt with its question and answer; `includeStore` adds the provider store (every hidden token id). */
  get(messageId: string, includeStore = false): Promise<ReceiptExport> {
    return this.client.call('receipts.get', includeStore ? { messageId, includeStore: true } : { messageId });
  }
  /** Audits a message's receipt against the host's own provider store; the host stores the summary on the message. */
  audit(messageId: string): Promise<AuditReport> {
    return this.client.call('receipts.audit', { messageId });
  }
  /** Replay audit: the host re-runs the committed plan with the same model and compares the tree (teacher forcing where it differs). */
  replay(messageId: string): Promise<ReplayReport> {
    return this.client.call('receipts.replay', { messageId });
  }
  /** This install's key first, then pinned and remembered remote keys. */
  trustedKeys(): Promise<TrustedKeyInfo[]> {
    return this.client.call('receipts.trustedKeys', {});
  }
  trustKey(publicKey: string, label?: string): Promise<TrustedKeyInfo> {
    return this.client.call('receipts.trustKey', label !== undefined && label !== '' ? { publicKey, label } : { publicKey });
  }
  untrustKey(publicKey: string): Promise<{ removed: boolean }> {
    return this.client.call('receipts.untrustKey', { publicKey });
  }
}
