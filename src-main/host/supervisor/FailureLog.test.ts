import { describe, expect, it } from 'vitest';
import { FailureLog } from './FailureLog';

describe('FailureLog', () => {
  it('gives only what was written since the engine last answered', () => {
    const log = new FailureLog();
    log.write('llama_model_load: error loading model: bad tensor\n');
    log.mark(); // the failed load was answered with an error
    expect(log.reason()).toBeUndefined();
    log.write('some progress\n/src/ggml.c:1234: GGML_ASSERT(n_head > 0) failed\nbacktrace line 1\nbacktrace line 2\n');
    expect(log.reason()).toBe('/src/ggml.c:1234: GGML_ASSERT(n_head > 0) failed');
  });

  it('takes the last line when none reads like a failure, and strips control characters', () => {
    const log = new FailureLog();
    log.write('first\nsecond \x1b[0m\n\n');
    expect(log.reason()).toBe('second  [0m');
  });

  it('bounds the reason', () => {
    const log = new FailureLog();
    log.write(`error ${'x'.repeat(1000)}\n`);
    expect(log.reason()!.length).toBe(300);
    expect(log.reason()!.endsWith('...')).toBe(true);
  });
});
