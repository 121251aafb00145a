import { describe, expect, it } from 'vitest';
import { defaultControllerSettings } from '$common/controller/defaults';
import { controllerSettingsError } from '$common/schemas/controller';
import { defaultController, editableController, errorField, fieldHasError, formatRounds, nullableNumber, parseRounds, sameController } from './strategySettings';

describe('strategy settings editor', () => {
  it('starts from the stored value merged over the defaults', () => {
    const e = editableController({ strategies: { easy: { budgetFraction: 0.8 } } } as never);
    expect(e.strategies.easy.budgetFraction).toBe(0.8);
    expect(e.strategies.normal).toEqual(defaultControllerSettings.strategies.normal);
    expect(editableController(undefined)).toEqual(defaultControllerSettings);
    const d = defaultController();
    expect(d).toEqual(defaultControllerSettings);
    expect(d).not.toBe(defaultControllerSettings);
    expect(sameController(d, defaultControllerSettings)).toBe(true);
  });

  it('reads nullable number inputs and PDR rounds', () => {
    expect(nullableNumber('')).toBeNull();
    expect(nullableNumber(null)).toBeNull();
    expect(nullableNumber(undefined)).toBeNull();
    expect(nullableNumber(0.9)).toBe(0.9);
    expect(nullableNumber('1.5')).toBe(1.5);
    expect(nullableNumber('x')).toBeNaN();
    expect(parseRounds('4, 2, 1')).toEqual([4, 2, 1]);
    expect(parseRounds('4 → 2 → 1')).toEqual([4, 2, 1]);
    expect(parseRounds('4,x')[1]).toBeNaN();
    expect(formatRounds([4, 2, 1])).toBe('4, 2, 1');
  });

  it('maps the host validation errors onto fields', () => {
    const bad = (patch: object) => controllerSettingsError(patch)!;
    const t = bad({ strategies: { easy: { temperature: 9 } } });
    expect(errorField(t)).toBe('strategies.easy.temperature');
    expect(fieldHasError(errorField(t), 'strategies.easy.temperature')).toBe(true);
    expect(fieldHasError(errorField(t), 'strategies.normal.temperature')).toBe(false);
    const mk = bad({ shortMK: { k: 2, m: 3 } });
    expect(errorField(mk)).toBe('shortMK');
    expect(fieldHasError('shortMK', 'shortMK.k')).toBe(true);
    expect(errorField(bad({ pdr: { rounds: [] } }))).toBe('pdr.rounds');
    // The host names the exact temperature field; the editor marks that input only.
    expect(errorField(bad({ pdr: { temperature: 7 } }))).toBe('pdr.temperature');
    expect(fieldHasError(errorField(bad({ pdr: { temperature: 7 } })), 'shortMK.temperature')).toBe(false);
    expect(fieldHasError('temperatures', 'pdr.temperature')).toBe(true);
    expect(errorField('something else')).toBeNull();
    expect(fieldHasError(null, 'x')).toBe(false);
  });
});
