import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReckonError } from '../common/errors';
import { damagedVariants } from './gguf/damageGguf';
import { checkGguf } from './ggufCheck';

// A reduced, seeded run of `npm run soak:gguf` (header checks only, no engine): every damaged file must end
// in a ReckonError with a stable code and a printable message, never in anything else thrown.
const sources = [
  resolve(__dirname, '../../models/reckon-arith.gguf'),
  resolve(__dirname, '../../../shared/fixtures/gguf/stories260K.gguf'),
  resolve(__dirname, '../../../shared/fixtures/gguf/llama-2-tiny-random.gguf'),
];
const tmp = mkdtempSync(join(tmpdir(), 'reckon-gguf-corpus-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('damaged-GGUF corpus (reduced)', () => {
  it('derives the same variants from the same seed and covers every kind of damage in a small sample', () => {
    const a = damagedVariants(sources, 7, 40).map((v) => v.id);
    expect(a).toEqual(damagedVariants(sources, 7, 40).map((v) => v.id));
    expect(new Set(a).size).toBe(40);
    const kinds = new Set(damagedVariants(sources, 7, 40).map((v) => v.kind));
    expect(kinds.size).toBe(13);
    expect(damagedVariants(sources, 7).length).toBeGreaterThanOrEqual(400);
  });

  it('40 seeded variants: 0 INTERNAL, 0 thrown non-ReckonErrors, only printable messages', () => {
    const codes = new Map<string, number>();
    let accepted = 0;
    for (const [i, v] of damagedVariants(sources, 7, 40).entries()) {
      const path = join(tmp, `v${i}.gguf`);
      writeFileSync(path, v.make());
      try {
        checkGguf(path);
        accepted++;
      } catch (err) {
        expect(err, v.id).toBeInstanceOf(ReckonError);
        const e = err as ReckonError;
        expect(e.code, v.id).not.toBe('INTERNAL');
        expect(e.message, v.id).not.toMatch(/[\p{Cc}\uFFFD]/u);
        expect(e.message, v.id).toContain(`v${i}.gguf`);
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      } finally {
        rmSync(path, { force: true });
      }
    }
    // Most damage is refused; what passes is damage llama.cpp does not care about (a name, an unused id...).
    expect(accepted).toBeLessThan(20);
    expect([...codes.keys()].every((c) => c.startsWith('GGUF_'))).toBe(true);
  });
});
