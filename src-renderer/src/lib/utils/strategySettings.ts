import type { ControllerSettings } from '$common/controller/types';
import { defaultControllerSettings, mergeControllerSettings } from '$common/controller/defaults';

/** The controller settings as the editor starts from them: the stored (possibly partial) value over the defaults. */
export function editableController(stored: ControllerSettings | undefined | null): ControllerSettings {
  return mergeControllerSettings(stored ?? null);
}

export function defaultController(): ControllerSettings {
  return mergeControllerSettings(null, defaultControllerSettings);
}

/**
 * A number input's value: '' / null / undefined -> null (the "none" of nullable fields); anything else as a number
 * (NaN stays NaN: the host rejects it and says which field).
 */
export function nullableNumber(v: unknown): number | null {
  if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) return null;
  return typeof v === 'number' ? v : Number(v);
}

/** "4, 2, 1" -> [4, 2, 1] (non-numbers are kept as NaN for the host to reject). */
export function parseRounds(text: string): number[] {
  return text
    .split(/[\s,→>-]+/)
    .filter((x) => x !== '')
    .map(Number);
}

export function formatRounds(r: readonly number[]): string {
  return r.join(', ');
}

/**
 * The field a host validation error is about (`controllerSettingsError` texts), as the editor's key:
 * `strategies.easy.temperature`, `shortMK`, `pdr.rounds`, ...; null when it names none.
 */
export function errorField(message: string): string | null {
  const m = /controller\.([A-Za-z]+(?:\.[A-Za-z]+)*)/.exec(message);
  if (!m) return /controller temperatures/.test(message) ? 'temperatures' : null;
  return m[1]!;
}

/** Whether a field key is hit by the error field (a whole group like `shortMK` marks each of its inputs). */
export function fieldHasError(errorKey: string | null, field: string): boolean {
  if (errorKey === null) return false;
  if (errorKey === 'temperatures') return field === 'shortMK.temperature' || field === 'pdr.temperature';
  return field === errorKey || field.startsWith(errorKey + '.');
}

export function sameController(a: ControllerSettings, b: ControllerSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
