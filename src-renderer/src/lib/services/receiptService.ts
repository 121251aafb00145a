import type { ReckonClient } from '$common/api';
import type { AuditReport, ReceiptExport } from '$common/receiptApi';

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
}
