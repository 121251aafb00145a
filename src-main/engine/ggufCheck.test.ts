import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReckonError } from '../common/errors';
import { checkGguf } from './ggufCheck';

const fixtures = resolve(__dirname, '../../../shared/fixtures/gguf');
const stories = join(fixtures, 'stories260K.gguf');
const tinyRandom = join(fixtures, 'llama-2-tiny-random.gguf');
const tmp = mkdtempSync(join(tmpdir(), 'reckon-gguf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ReckonError);
    return (err as ReckonError).code;
  }
  return undefined;
}

/** A minimal GGUF v3 header with the given counts and no entries. */
function header(tensorCount: bigint, kvCount: bigint): Buffer {
  const b = Buffer.alloc(24);
  b.write('GGUF', 0, 'latin1');
  b.writeUInt32LE(3, 4);
  b.writeBigUInt64LE(tensorCount, 8);
  b.writeBigUInt64LE(kvCount, 16);
  return b;
}

describe('checkGguf', () => {
  it('accepts both real fixtures and finds their data end', () => {
    for (const path of [stories, tinyRandom]) {
      const s = checkGguf(path);
      expect(s.version).toBe(3);
      expect(s.tensorCount).toBeGreaterThan(0);
      expect(s.alignment).toBe(32);
      expect(s.dataEnd).not.toBeNull();
      expect(s.dataEnd).toBeLessThanOrEqual(s.fileSize);
      // the data section is the bulk of these files: the end must be within one alignment of the size
      expect(s.fileSize - (s.dataEnd ?? 0)).toBeLessThan(64);
    }
  });

  it('reports a truncated copy as GGUF_TRUNCATED with the missing bytes', () => {
    const full = readFileSync(stories);
    const path = join(tmp, 'cut.gguf');
    writeFileSync(path, full.subarray(0, Math.floor(full.length * 0.7)));
    let err: ReckonError | undefined;
    try {
      checkGguf(path);
    } catch (e) {
      err = e as ReckonError;
    }
    expect(err?.code).toBe('GGUF_TRUNCATED');
    expect(err?.message).toMatch(/incomplete/);
    expect(err?.details?.missingBytes).toBeGreaterThan(0);
  });

  it('reports a file cut inside its header as GGUF_TRUNCATED', () => {
    const path = join(tmp, 'cut-header.gguf');
    writeFileSync(path, readFileSync(tinyRandom).subarray(0, 5000));
    expect(codeOf(() => checkGguf(path))).toBe('GGUF_TRUNCATED');
  });

  it('reports a non-GGUF file as GGUF_INVALID', () => {
    const path = join(tmp, 'notes.gguf');
    writeFileSync(path, 'hello, this is plain text and not a model at all\n');
    expect(codeOf(() => checkGguf(path))).toBe('GGUF_INVALID');
    const empty = join(tmp, 'empty.gguf');
    writeFileSync(empty, '');
    expect(codeOf(() => checkGguf(empty))).toBe('GGUF_INVALID');
  });

  it('reports absurd header counts as GGUF_INVALID without allocating', () => {
    const a = join(tmp, 'absurd-tensors.gguf');
    writeFileSync(a, header(1n << 60n, 0n));
    expect(codeOf(() => checkGguf(a))).toBe('GGUF_INVALID');
    const b = join(tmp, 'absurd-kv.gguf');
    writeFileSync(b, header(1n, 0xffffffffffffffffn));
    expect(codeOf(() => checkGguf(b))).toBe('GGUF_INVALID');
    const c = join(tmp, 'absurd-string.gguf');
    const key = Buffer.alloc(8);
    key.writeBigUInt64LE(1n << 62n);
    writeFileSync(c, Buffer.concat([header(0n, 1n), key]));
    expect(codeOf(() => checkGguf(c))).toBe('GGUF_INVALID');
  });

  it('rejects unknown versions and reports a missing file', () => {
    const v = header(0n, 0n);
    v.writeUInt32LE(7, 4);
    const path = join(tmp, 'v7.gguf');
    writeFileSync(path, v);
    expect(codeOf(() => checkGguf(path))).toBe('GGUF_INVALID');
    expect(codeOf(() => checkGguf(join(tmp, 'nope.gguf')))).toBe('MODEL_NOT_FOUND');
  });
});
