import type { DownloadInfo, HubConfig, HubModelFile, HubRepo } from '$common/downloads';
import { ReckonError } from '$common/errors';
import type { DownloadsService } from '../services/downloadsService';

/** The "Get models" view: hub search, a repo's GGUF files, and every download with its live progress. */
export class DownloadsStore {
  query = $state('');
  results = $state<HubRepo[]>([]);
  searched = $state(false);
  searching = $state(false);
  repo = $state<string | null>(null);
  files = $state<HubModelFile[]>([]);
  filesLoading = $state(false);
  /** The last failed hub call (search, files, start, resume): shown in the view. */
  error = $state<ReckonError | null>(null);
  items = $state<DownloadInfo[]>([]);
  config = $state<HubConfig | null>(null);

  constructor(
    private readonly service: DownloadsService,
    /** A download finished: its model is registered (the picker refreshes). */
    private readonly onModelAdded: (d: DownloadInfo) => void,
  ) {
    service.onDownload((d) => this.apply(d));
  }

  apply(d: DownloadInfo): void {
    const i = this.items.findIndex((x) => x.id === d.id);
    if (d.state === 'cancelled') {
      if (i !== -1) this.items = this.items.filter((x) => x.id !== d.id);
      return;
    }
    const was = i === -1 ? null : this.items[i]!;
    if (i === -1) this.items = [d, ...this.items];
    else this.items[i] = d;
    if (d.state === 'done' && was?.state !== 'done') this.onModelAdded(d);
  }

  /** The download of a repo file, if one is known. */
  downloadOf(repo: string, path: string): DownloadInfo | undefined {
    return this.items.find((d) => d.repo === repo && d.file === path);
  }

  async load(): Promise<void> {
    try {
      const [items, config] = await Promise.all([this.service.list(), this.service.config()]);
      this.items = items;
      this.config = config;
    } catch {
      // transient: the next open tries again
    }
  }

  async search(): Promise<void> {
    this.searching = true;
    this.error = null;
    try {
      this.results = await this.service.search(this.query.trim());
      this.searched = true;
    } catch (err) {
      this.error = ReckonError.from(err);
    } finally {
      this.searching = false;
    }
  }

  async openRepo(repo: string): Promise<void> {
    this.repo = repo;
    this.files = [];
    this.filesLoading = true;
    this.error = null;
    try {
      this.files = await this.service.files(repo);
    } catch (err) {
      this.error = ReckonError.from(err);
    } finally {
      this.filesLoading = false;
    }
  }

  closeRepo(): void {
    this.repo = null;
    this.files = [];
    this.error = null;
  }

  private async run(f: () => Promise<DownloadInfo | void>): Promise<void> {
    this.error = null;
    try {
      const d = await f();
      if (d) this.apply(d);
    } catch (err) {
      this.error = ReckonError.from(err);
      await this.load();
    }
  }

  start(repo: string, file: string): Promise<void> {
    return this.run(() => this.service.start({ repo, file }));
  }
  pause(id: string): Promise<void> {
    return this.run(() => this.service.pause(id));
  }
  resume(id: string): Promise<void> {
    return this.run(() => this.service.resume(id));
  }
  cancel(id: string): Promise<void> {
    return this.run(async () => {
      await this.service.cancel(id);
      this.items = this.items.filter((x) => x.id !== id);
    });
  }

  async setToken(token: string | null): Promise<void> {
    this.error = null;
    try {
      this.config = await this.service.configure({ token });
    } catch (err) {
      this.error = ReckonError.from(err);
    }
  }
}
