import type { SystemInfo } from '$common/types';
import type { SystemService } from '../services/systemService';
import type { ToastStore } from './toasts.svelte';

export class SystemStore {
  info = $state<SystemInfo | null>(null);

  constructor(
    private readonly service: SystemService,
    private readonly toasts: ToastStore,
  ) {}

  async refresh(): Promise<void> {
    try {
      this.info = await this.service.info();
    } catch {
      // transient (disconnected); the banner says so
    }
  }

  async refreshNotices(): Promise<void> {
    try {
      for (const n of await this.service.notices()) this.toasts.showNotice(n);
    } catch {
      // transient
    }
  }
}
