import { describe, expect, it } from 'vitest';
import { engineChoiceFrom } from './forkEngine';

describe('engineChoiceFrom', () => {
  it('is the built-in engine without --engine or RECKON_ENGINE_URL', () => {
    expect(engineChoiceFrom({}, {})).toEqual({ kind: 'builtin' });
    expect(engineChoiceFrom({}, { RECKON_ENGINE_URL: '' })).toEqual({ kind: 'builtin' });
  });

  it('takes the flag over the environment, and the key the same way', () => {
    const env = { RECKON_ENGINE_URL: 'http://env:1', RECKON_ENGINE_KEY: 'envkey' };
    expect(engineChoiceFrom({}, env)).toEqual({ kind: 'llama-server', url: 'http://env:1', apiKey: 'envkey' });
    expect(engineChoiceFrom({ url: 'http://flag:2', key: 'flagkey' }, env)).toEqual({ kind: 'llama-server', url: 'http://flag:2', apiKey: 'flagkey' });
    expect(engineChoiceFrom({ url: 'http://flag:2' }, {})).toEqual({ kind: 'llama-server', url: 'http://flag:2' });
  });
});
