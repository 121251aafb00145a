/**
 * Block sketches: a 128-bit SimHash of each block's int8 embedding. They are committed for every block (their
 * digest is signed in the receipt) and sent whole with a challenge response, so the auditor can look for
 * duplicated or near-duplicated blocks across the whole trace, not only inside its sample. A sketch reveals
 * only on which side of 128 fixed hyperplanes a block's mean embedding lies.
 *
 * Hyperplane j, coordinate i is +1 or -1: bit (j·dims + i) of the stream SHA-256(seed || u32be counter),
 * counter = 0, 1, 2, ..., bits taken most significant first. Bit j of the sketch is 1 when
 * sum_i h[j][i]·q[i] >= 0 (q = the int8 block embedding, integer arithmetic). Sketch byte j>>3, bit 7-(j&7).
 */
import { utf8 } from './bytes';
import { sha256 } from './sha256';

const planeCache = new Map<string, Int8Array>();

function hyperplanes(seed: string, bits: number, dims: number): Int8Array {
  const key = `${seed}\u0000${bits}\u0000${dims}`;
  let p = planeCache.get(key);
  if (p !== undefined) return p;
  p = new Int8Array(bits * dims);
  const seedBytes = utf8(seed);
  const ctr = new Uint8Array(4);
  let block: Uint8Array = new Uint8Array(32);
  for (let n = 0; n < p.length; n++) {
    if ((n & 255) === 0) {
      // 256 bits per hash: block c covers stream bits 256c .. 256c+255
      const c = n >>> 8;
      ctr[0] = c >>> 24; ctr[1] = c >>> 16; ctr[2] = c >>> 8; ctr[3] = c;
      block = sha256(seedBytes, ctr);
    }
    p[n] = (block[(n >> 3) & 31]! >> (7 - (n & 7))) & 1 ? 1 : -1;
  }
  planeCache.set(key, p);
  return p;
}

export function blockSketch(q: Int8Array, spec: { dims: number; sketch: { bits: number; seed: string } }): Uint8Array {
  const { bits, seed } = spec.sketch;
  const dims = spec.dims;
  const h = hyperplanes(seed, bits, dims);
  const out = new Uint8Array(bits / 8);
  for (let j = 0; j < bits; j++) {
    let s = 0;
    const base = j * dims;
    for (let i = 0; i < dims; i++) s += h[base + i]! * q[i]!;
    if (s >= 0) out[j >> 3]! |= 0x80 >> (j & 7);
  }
  return out;
}

const POP = new Uint8Array(256).map((_, i) => { let c = 0; for (let x = i; x; x >>= 1) c += x & 1; return c; });

/** Hamming distance between sketch `a` at byte offset `ao` and `b` at `bo`, `len` bytes each. */
export function hamming(a: Uint8Array, ao: number, b: Uint8Array, bo: number, len: number): number {
  let d = 0;
  for (let i = 0; i < len; i++) d += POP[a[ao + i]! ^ b[bo + i]!]!;
  return d;
}
