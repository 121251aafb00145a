import type { Settings } from '$common/types';
import { defaultSettings } from '$common/types';
import type { SettingsService } from '../services/settingsService';

const THEME_KEY = 'reckon.theme';

/** Applies a theme to the document; 'system' follows prefers-color-scheme through CSS. */
export function applyTheme(theme: Settings['theme']): void {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // storage may be unavailable; the theme still applies for this session
  }
}

export function cachedTheme(): Settings['theme'] {
  try {
    const t = localStorage.getItem(THEME_KEY);
    if (t === 'light' || t === 'dark' || t === 'system') return t;
  } catch {
    // ignore
  }
  return 'system';
}

export class SettingsStore {
  value = $state<Settings>({ ...defaultSettings, theme: cachedTheme() });
  loaded = $state(false);

  constructor(private readonly service: SettingsService) {}

  async load(): Promise<void> {
    this.value = await this.service.get();
    this.loaded = true;
    applyTheme(this.value.theme);
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    if (patch.theme) applyTheme(patch.theme);
    this.value = await this.service.update(patch);
    applyTheme(this.value.theme);
    return this.value;
  }
}
