import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReckonError } from '../common/errors';
import { startTestEngine, type TestEngineClient, type TestEngineSession } from '../host/testing/testEngineClient';
import { GgufType } from './gguf/readGgufHeader';
import { readGgufDocument, writeGguf } from './gguf/writeGguf';

// llama.cpp's own reason for a refused file is often just "Failed to load model": the engine must say more.
const stories = resolve(__dirname, '../../../shared/fixtures/gguf/stories260K.gguf');
// The real engine process, as the host drives it: a refused file must leave it running.
let session: TestEngineSession;
let engine: TestEngineClient;
let tmp: string;

beforeAll(async () => {
  session = await startTestEngine({ tmpPrefix: 'reckon-gguf-load-' });
  ({ engine, tmp } = session);
});

afterAll(() => session?.close());

describe('engine load failures', () => {
  it('names the file, the architecture and the likely cause when llama.cpp refuses a file the check passed', async () => {
    // stories260K relabelled as an architecture llama.cpp has never heard of: the generic checks pass it
    const doc = readGgufDocument(stories);
    doc.kv = doc.kv.map((e) => {
      if ('raw' in e) return e;
      const key = String(e.key);
      if (key === 'general.architecture') return { key, type: GgufType.STRING, value: 'someday' };
      return key.startsWith('llama.') ? { ...e, key: `someday.${key.slice('llama.'.length)}` } : e;
    });
    const path = join(tmp, 'someday.gguf');
    writeFileSync(path, writeGguf(doc));
    const err = await engine.call('load', { modelPath: path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReckonError);
    const e = err as ReckonError;
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toContain('someday.gguf (someday, 5 layers)');
    expect(e.message).toContain('may not support the someday architecture');
    expect(e.message).not.toContain(tmp); // the file's name, not the whole path
    expect(e.details?.path).toBe(path);
    // the engine keeps working: the real file still loads
    await expect(engine.call('load', { modelPath: stories })).resolves.toMatchObject({ active: 'cpu' });
  });
});
