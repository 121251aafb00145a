/**
 * Rows of a GGUF tensor dequantised to float32, for the storage types a token embedding table is written in by
 * llama.cpp's quantisation presets (Q4_K_M keeps `token_embd` at Q6_K, Q5_K_S at Q5_K, Q4_0 at Q4_0...). Written
 * from the block layouts of ggml's quantisation formats; each is checked against llama-quantize's own output in
 * tools/model/embeddingTypes.model.test.ts. Block sizes and names come from ggmlTypeSizes.ts.
 */
import { ggmlTypeNames, ggmlTypeSizes } from '../ggmlTypeSizes';

/** Decodes one block at `at` of `buf` into `out` from `o`. */
type BlockDecoder = (buf: Buffer, at: number, out: Float32Array, o: number) => void;

/** A readable storage type: its name, values and bytes per block, and its decoder. */
export interface RowFormat {
  readonly name: string;
  readonly blockValues: number;
  readonly blockBytes: number;
  readonly block: BlockDecoder;
}

/** IEEE half -> float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Infinity : NaN;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const half = (buf: Buffer, at: number): number => halfToFloat(buf.readUInt16LE(at));
const bf16Bits = new DataView(new ArrayBuffer(4));

/** The 6-bit scale and min of sub-block j of a Q4_K / Q5_K block (12 packed bytes at `q`). */
function scaleMinK4(buf: Buffer, q: number, j: number): [number, number] {
  if (j < 4) return [buf[q + j]! & 63, buf[q + j + 4]! & 63];
  return [
    (buf[q + j + 4]! & 0x0f) | ((buf[q + j - 4]! >> 6) << 4),
    (buf[q + j + 4]! >> 4) | ((buf[q + j]! >> 6) << 4),
  ];
}

/** The decoders, by ggml type id. */
const decoders: Record<number, BlockDecoder> = {
  0: (b, at, out, o) => { out[o] = b.readFloatLE(at); }, // F32
  1: (b, at, out, o) => { out[o] = half(b, at); }, // F16
  30: (b, at, out, o) => { bf16Bits.setUint32(0, b.readUInt16LE(at) << 16); out[o] = bf16Bits.getFloat32(0); }, // BF16
  // 32 values: scale (f16), 16 bytes of 4-bit values (low nibbles first), offset 8.
  2: (b, at, out, o) => { // Q4_0
    const d = half(b, at);
    for (let j = 0; j < 16; j++) {
      const q = b[at + 2 + j]!;
      out[o + j] = ((q & 0x0f) - 8) * d;
      out[o + j + 16] = ((q >> 4) - 8) * d;
    }
  },
  // Q4_0 with a min instead of the fixed offset.
  3: (b, at, out, o) => { // Q4_1
    const d = half(b, at), m = half(b, at + 2);
    for (let j = 0; j < 16; j++) {
      const q = b[at + 4 + j]!;
      out[o + j] = (q & 0x0f) * d + m;
      out[o + j + 16] = (q >> 4) * d + m;
    }
  },
  // 5-bit: the fifth bits of all 32 values in one little-endian u32 after the scale, offset 16.
  6: (b, at, out, o) => { // Q5_0
    const d = half(b, at), qh = b.readUInt32LE(at + 2);
    for (let j = 0; j < 16; j++) {
      const q = b[at + 6 + j]!;
      out[o + j] = (((q & 0x0f) | (((qh >>> j) & 1) << 4)) - 16) * d;
      out[o + j + 16] = (((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * d;
    }
  },
  7: (b, at, out, o) => { // Q5_1
    const d = half(b, at), m = half(b, at + 2), qh = b.readUInt32LE(at + 4);
    for (let j = 0; j < 16; j++) {
      const q = b[at + 8 + j]!;
      out[o + j] = ((q & 0x0f) | (((qh >>> j) & 1) << 4)) * d + m;
      out[o + j + 16] = ((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) * d + m;
    }
  },
  8: (b, at, out, o) => { // Q8_0
    const d = half(b, at);
    for (let j = 0; j < 32; j++) out[o + j] = b.readInt8(at + 2 + j) * d;
  },
  // 256 values in 8 sub-blocks of 32: d, dmin (f16), 12 bytes of 6-bit scales and mins, 128 bytes of nibbles.
  12: (b, at, out, o) => { // Q4_K
    const d = half(b, at), dmin = half(b, at + 2), sc = at + 4;
    let q = at + 16, y = o;
    for (let is = 0; is < 8; is += 2, q += 32) {
      const [s1, m1] = scaleMinK4(b, sc, is), [s2, m2] = scaleMinK4(b, sc, is + 1);
      for (let l = 0; l < 32; l++) out[y++] = d * s1 * (b[q + l]! & 0x0f) - dmin * m1;
      for (let l = 0; l < 32; l++) out[y++] = d * s2 * (b[q + l]! >> 4) - dmin * m2;
    }
  },
  // Q4_K plus a fifth bit per value: 32 bytes of high bits, two bit planes per 64 values.
  13: (b, at, out, o) => { // Q5_K
    const d = half(b, at), dmin = half(b, at + 2), sc = at + 4, qh = at + 16;
    let ql = at + 48, y = o, u1 = 1, u2 = 2;
    for (let is = 0; is < 8; is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      const [s1, m1] = scaleMinK4(b, sc, is), [s2, m2] = scaleMinK4(b, sc, is + 1);
      for (let l = 0; l < 32; l++) out[y++] = d * s1 * ((b[ql + l]! & 0x0f) + (b[qh + l]! & u1 ? 16 : 0)) - dmin * m1;
      for (let l = 0; l < 32; l++) out[y++] = d * s2 * ((b[ql + l]! >> 4) + (b[qh + l]! & u2 ? 16 : 0)) - dmin * m2;
    }
  },
  // 256 values: 128 bytes of low nibbles, 64 of high 2-bit pairs, 16 int8 scales, then d (f16); offset 32.
  14: (b, at, out, o) => { // Q6_K
    const d = half(b, at + 208);
    for (let n = 0; n < 2; n++) {
      const ql = at + 64 * n, qh = at + 128 + 32 * n, sc = at + 192 + 8 * n, y = o + 128 * n;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4, h = b[qh + l]!;
        out[y + l] = d * b.readInt8(sc + is) * (((b[ql + l]! & 0x0f) | ((h & 3) << 4)) - 32);
        out[y + l + 32] = d * b.readInt8(sc + is + 2) * (((b[ql + l + 32]! & 0x0f) | (((h >> 2) & 3) << 4)) - 32);
        out[y + l + 64] = d * b.readInt8(sc + is + 4) * (((b[ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32);
        out[y + l + 96] = d * b.readInt8(sc + is + 6) * (((b[ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32);
      }
    }
  },
};

/** The format of ggml type `id`, or null when rows of it cannot be read here. */
export function rowFormat(id: number): RowFormat | null {
  const block = decoders[id], size = ggmlTypeSizes.get(id), name = ggmlTypeNames.get(id);
  return block === undefined || size === undefined || name === undefined ? null : { name, blockValues: size[0], blockBytes: size[1], block };
}

/** Names of the readable formats, for error messages. */
export const READABLE_TYPES = Object.keys(decoders).map((id) => ggmlTypeNames.get(Number(id))).join(', ');

/** Bytes of one row of `dims` values. */
export function rowBytes(f: RowFormat, dims: number): number {
  return (dims / f.blockValues) * f.blockBytes;
}

/** Decodes one row of `out.length` values starting at byte `at` of `buf`. */
export function decodeRow(f: RowFormat, buf: Buffer, at: number, out: Float32Array): void {
  for (let k = 0, o = 0; o < out.length; k++, o += f.blockValues) f.block(buf, at + k * f.blockBytes, out, o);
}
