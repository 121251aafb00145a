import { ReckonError, type ErrorPayload } from '$common/errors';
import type { AuditReport, ReceiptExport, ReplayReport } from '$common/receiptApi';
import type { ReceiptService } from '../services/receiptService';
import { exportFilename, exportJson } from '../utils/auditFormat';
import type { ChatMessage } from '../utils/chatMessage';
import { downloadText } from '../utils/download';

/**
 * The audit panel: which message it is open for, the receipt (details), the running or finished audit and its
 * errors. A finished audit also sets the message's `audit` summary (the host stores it too, so it survives a reload).
 */
export class AuditStore {
  messageId = $state<string | null>(null);
  status = $state<'idle' | 'auditing' | 'done' | 'error'>('idle');
  report = $state<AuditReport | null>(null);
  receipt = $state<ReceiptExport | null>(null);
  error = $state<ErrorPayload | null>(null);
  /** Why the message has no receipt (set by the host when issuing failed). */
  receiptError = $state<string | null>(null);
  /** The replay audit ("Verify by replay"): idle until asked, it re-runs the turn on the engine. */
  replayStatus = $state<'idle' | 'replaying' | 'done' | 'error'>('idle');
  replay = $state<ReplayReport | null>(null);
  replayError = $state<ErrorPayload | null>(null);
  exporting = $state(false);
  exportError = $state<string | null>(null);
  private seq = 0;
  /** Replays have their own counter: auditing again does not drop a replay that is running. */
  private replaySeq = 0;

  constructor(
    private readonly service: ReceiptService,
    private readonly messages: () => ChatMessage[],
  ) {}

  get open(): boolean {
    return this.messageId !== null;
  }

  /** Opens the panel for a message and audits its receipt (or shows why it has none). */
  start(message: Pick<ChatMessage, 'id' | 'receipt' | 'receiptError'>): void {
    this.messageId = message.id;
    this.report = null;
    this.receipt = null;
    this.error = null;
    this.exportError = null;
    this.replay = null;
    this.replayError = null;
    this.replayStatus = 'idle';
    this.replaySeq++;
    this.receiptError = message.receipt ? null : (message.receiptError ?? 'This answer has no receipt.');
    if (this.receiptError !== null) {
      this.seq++;
      this.status = 'error';
      return;
    }
    void this.run();
  }

  /** Audits (again) the message the panel is open for. */
  async run(): Promise<void> {
    const id = this.messageId;
    if (id === null) return;
    const seq = ++this.seq;
    this.status = 'auditing';
    this.error = null;
    try {
      if (this.receipt?.messageId !== id) {
        const r = await this.service.get(id);
        if (seq !== this.seq) return;
        this.receipt = r;
      }
      const report = await this.service.audit(id);
      // The host stored the summary on the message: show the badge even if the panel was closed meanwhile.
      const m = this.messages().find((x) => x.id === id);
      if (m) m.audit = report.summary;
      if (seq !== this.seq) return;
      this.report = report;
      this.status = 'done';
    } catch (err) {
      if (seq !== this.seq) return;
      this.error = ReckonError.from(err).toPayload();
      this.status = 'error';
    }
  }

  /** Verifies the receipt by replay (the host re-executes the committed plan). */
  async runReplay(): Promise<void> {
    const id = this.messageId;
    if (id === null) return;
    const seq = ++this.replaySeq;
    this.replayStatus = 'replaying';
    this.replayError = null;
    try {
      const r = await this.service.replay(id);
      if (seq !== this.replaySeq) return;
      this.replay = r;
      this.replayStatus = 'done';
    } catch (err) {
      if (seq !== this.replaySeq) return;
      this.replayError = ReckonError.from(err).toPayload();
      this.replayStatus = 'error';
    }
  }

  close(): void {
    this.seq++;
    this.replaySeq++;
    this.messageId = null;
    this.status = 'idle';
  }

  /** Downloads the receipt export as JSON; `includeStore` adds the provider store (every hidden token id). */
  async download(includeStore: boolean): Promise<void> {
    const id = this.messageId;
    if (id === null) return;
    this.exporting = true;
    this.exportError = null;
    try {
      const e = await this.service.get(id, includeStore);
      downloadText(exportFilename(e, includeStore), exportJson(e), 'application/json');
    } catch (err) {
      this.exportError = ReckonError.from(err).message;
    } finally {
      this.exporting = false;
    }
  }
}
