import { describe, expect, it } from 'vitest';
import { configsFor, defaultConfigs } from './configs';

describe('eval arms', () => {
  it('--effort runs one arm per strategy and effort (the effort curve)', () => {
    const arms = configsFor('long,auto', ['low', 0.5]);
    expect(arms).toEqual([
      { label: 'long CoT @ low', strategy: 'long', effort: 'low' },
      { label: 'long CoT @ 50%', strategy: 'long', effort: 0.5 },
      { label: 'Auto @ low', strategy: 'auto', effort: 'low' },
      { label: 'Auto @ 50%', strategy: 'auto', effort: 0.5 },
    ]);
    expect(configsFor(undefined, ['high']).map((a) => a.label)).toEqual(['long CoT @ high', 'budget @ high', 'Auto @ high']);
    expect(() => configsFor('fast', ['low'])).toThrow(/unknown strategy 'fast'/);
    expect(configsFor(undefined, [])).toBe(defaultConfigs);
  });
});
