import { getContext, setContext } from 'svelte';
import type { StoredChange } from '$common/events';
import { ApiService } from '../services/apiService';
import { ChatService } from '../services/chatService';
import { ConversationService } from '../services/conversationService';
import { DownloadsService } from '../services/downloadsService';
import { ModelService } from '../services/modelService';
import { PageAccessService } from '../services/pageAccessService';
import { ProbeService } from '../services/probeService';
import { ReceiptService } from '../services/receiptService';
import { SettingsService } from '../services/settingsService';
import { EngineService } from '../services/engineService';
import { SystemService } from '../services/systemService';
import type { AppClient } from '../transport/types';
import { ApiStore } from './api.svelte';
import { AuditStore } from './audit.svelte';
import { ChatStore } from './chat.svelte';
import { ConnectionStore } from './connection.svelte';
import { ConversationsStore } from './conversations.svelte';
import { DownloadsStore } from './downloads.svelte';
import { ModelsStore } from './models.svelte';
import { PageAccessStore } from './pageAccess.svelte';
import { ProbeStore } from './probe.svelte';
import { SettingsStore } from './settings.svelte';
import { EngineStore } from './engine.svelte';
import { SystemStore } from './system.svelte';
import { ToastStore } from './toasts.svelte';
import { TrustedKeysStore } from './trustedKeys.svelte';
import { readUiState, writeUiState } from './uiState';

/** Wires services to stores once; components reach the stores through context, never the client. */
export class AppState {
  readonly toasts: ToastStore;
  readonly connection: ConnectionStore;
  readonly settings: SettingsStore;
  readonly system: SystemStore;
  readonly models: ModelsStore;
  readonly conversations: ConversationsStore;
  readonly chat: ChatStore;
  readonly audit: AuditStore;
  /** Settings > Trusted keys. */
  readonly keys: TrustedKeysStore;
  /** The difficulty probe of the current model (Settings → Calibrate difficulty probe). */
  readonly probe: ProbeStore;
  /** The "Get models" view (hub search and downloads), opened from the model picker. */
  readonly downloads: DownloadsStore;
  /** Settings > API: the OpenAI-compatible API's key, port status and settings. */
  readonly api: ApiStore;
  /** Settings > Engine: the built-in engine or a llama-server (test connection, apply). */
  readonly engine: EngineStore;
  /** Settings > Page link (browser mode): rotates the page's access token. */
  readonly pageAccess: PageAccessStore;
  settingsOpen = $state(false);
  /** The keyboard-shortcut sheet (`?`). */
  shortcutsOpen = $state(false);
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(client: AppClient) {
    const system = new SystemService(client);
    const convs = new ConversationService(client);
    this.toasts = new ToastStore((id) => void system.dismissNotice(id).catch(() => {}));
    this.settings = new SettingsStore(new SettingsService(client));
    this.system = new SystemStore(system, this.toasts);
    this.models = new ModelsStore(new ModelService(client, client.pickGguf, client.uploadGguf), this.settings);
    this.conversations = new ConversationsStore(convs);
    this.chat = new ChatStore(new ChatService(client), convs, this.conversations, () => {
      void this.system.refresh();
      void this.system.refreshNotices();
      // A turn may have marked its model broken (or fallen back from one): the picker shows it.
      void this.models.refresh();
    });
    const receipts = new ReceiptService(client);
    this.audit = new AuditStore(receipts, () => this.chat.messages);
    this.keys = new TrustedKeysStore(receipts);
    this.probe = new ProbeStore(new ProbeService(client));
    this.downloads = new DownloadsStore(new DownloadsService(client), () => void this.models.refresh());
    this.api = new ApiStore(new ApiService(client), this.settings);
    this.engine = new EngineStore(new EngineService(client), this.settings, this.system);
    this.pageAccess = new PageAccessStore(new PageAccessService(client), client.kind === 'websocket');
    this.connection = new ConnectionStore(client, () => void this.reload());
    new ChatService(client).onEvent((e) => {
      if (e.type === 'changed') this.follow(e.change);
    });
  }

  /** Stored state changed through the API, maybe in another tab or window: re-read what it names. */
  private follow(change: StoredChange): void {
    if (change.what === 'settings') void this.settings.load().catch(() => {});
    else if (change.what === 'models') void this.models.refresh();
    else {
      void this.conversations.refresh();
      if (change.id !== this.chat.activeId) return;
      if (change.how === 'deleted') {
        if (!this.conversations.removingHere(change.id)) this.toasts.push('info', 'This conversation was deleted in another window.');
        this.chat.newChat();
      }
      else if (change.how === 'messages' || change.how === 'system-prompt') void this.chat.refreshOpen(change.id).catch(() => {});
    }
  }

  /** Brings back the open chat and the composer's choices from the last visit, then keeps them saved. */
  private restoreUi(): void {
    const saved = readUiState();
    if (saved.strategy) this.chat.strategy = saved.strategy;
    if (saved.effort !== undefined) this.chat.effort = saved.effort;
    if (saved.activeId) {
      void this.chat.open(saved.activeId).catch(() => {
        // gone (deleted elsewhere) or the host is not reachable yet: a new chat, as on a first visit
      });
    }
    $effect.root(() => {
      $effect(() => {
        writeUiState({ activeId: this.chat.activeId, strategy: this.chat.strategy, effort: this.chat.effort });
      });
    });
  }

  async start(): Promise<void> {
    this.restoreUi();
    await this.reload();
    // Engine state and notices change on the host's side (restarts, corrupt files): poll gently.
    this.timer ??= setInterval(() => {
      if (!this.connection.online) return;
      void this.system.refresh();
      void this.system.refreshNotices();
    }, 5000);
  }

  async reload(): Promise<void> {
    await Promise.allSettled([
      this.settings.load(),
      this.system.refresh(),
      this.system.refreshNotices(),
      this.models.refresh(),
      this.conversations.refresh(),
      this.chat.resync(),
    ]);
  }
}

const KEY = Symbol('reckon-app');
export function provideApp(app: AppState): void {
  setContext(KEY, app);
}
export function useApp(): AppState {
  return getContext<AppState>(KEY);
}
