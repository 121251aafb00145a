import { describe, expect, it, vi } from 'vitest';
import { fromBase64, fromHex, toBase64, toHex } from './bytes';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('hex', () => {
  it('round-trips every byte value, reads upper case, and rejects anything that is not hex', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromHex(toHex(all))).toEqual(all);
    expect(fromHex('00FFaB10')).toEqual(Uint8Array.from([0, 255, 171, 16]));
    expect(fromHex('')).toEqual(new Uint8Array(0));
    for (const bad of ['0', 'zz', '0g', ' 0', '0x', 'é0', '\u0100a', '12 3']) expect(() => fromHex(bad), bad).toThrow(RangeError);
  });
});

describe('base64 (RFC 4648)', () => {
  it('encodes and decodes the RFC 4648 test vectors', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy']];
    for (const [plain, b64] of vectors) {
      expect(toBase64(ascii(plain))).toBe(b64);
      expect(fromBase64(b64)).toEqual(ascii(plain));
    }
  });

  it('round-trips every byte value and a view into a larger buffer', () => {
    const all = Uint8Array.from({ length: 256 * 3 + 1 }, (_, i) => (i * 7) & 255);
    expect(fromBase64(toBase64(all))).toEqual(all);
    const view = all.subarray(5, 40);
    expect(fromBase64(toBase64(view))).toEqual(Uint8Array.from(view));
  });

  it('rejects malformed input instead of decoding it leniently', () => {
    for (const bad of ['Zg=', 'Zm9v!A==', 'Z===', 'Zg==Zg==', 'Zm 9', 'Zm9v\n']) expect(() => fromBase64(bad)).toThrow(RangeError);
  });
});

describe('base64 without Node (the renderer path: btoa / atob)', () => {
  it('gives the same strings and bytes as the Buffer path', async () => {
    const data = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 31 + 7) & 255);
    const viaNode = toBase64(data);
    vi.stubGlobal('Buffer', undefined);
    vi.resetModules();
    try {
      const browser = await import('./bytes');
      expect(browser.toBase64(data)).toBe(viaNode);
      expect(browser.fromBase64(viaNode)).toEqual(data);
      expect(() => browser.fromBase64('Zm9v!A==')).toThrow(RangeError);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
