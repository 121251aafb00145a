/** Byte helpers for the receipt wire format (hex for hashes and keys, base64 for bulk leaf data). */

const NodeHex = (globalThis as { Buffer?: { from(b: ArrayBufferLike, off: number, len: number): { toString(enc: 'hex'): string } } }).Buffer;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(b: Uint8Array): string {
  // Node's encoder where there is one (a challenge response carries ~1,500 proof hashes).
  if (NodeHex !== undefined) return NodeHex.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
}

/** Nibble value of a hex digit's char code, -1 for anything else. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  NIBBLE['0123456789abcdef'.charCodeAt(i)] = i;
  NIBBLE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** Lower- or upper-case hex of even length; throws RangeError on anything else. */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new RangeError('not a hex string');
  // A char-code table, not a regex and parseInt per byte: an audit decodes ~1,500 proof hashes (docs/bench.md).
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = NIBBLE[s.charCodeAt(i * 2)] ?? -1, lo = NIBBLE[s.charCodeAt(i * 2 + 1)] ?? -1;
    if (hi < 0 || lo < 0) throw new RangeError('not a hex string');
    out[i] = (hi << 4) | lo;
  }
  return out;
}


/** Lower-case hex of even length (`bytes` bytes, when given). A char loop: it runs on every proof hash of an audit. */
export function isHex(s: unknown, bytes?: number): s is string {
  if (typeof s !== 'string' || s.length % 2 !== 0 || (bytes !== undefined && s.length !== bytes * 2)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Node's Buffer when this runs in Node (host, engine, CLI); absent in the renderer. */
type NodeBuffer = { from(b: ArrayBufferLike, off: number, len: number): { toString(enc: 'base64'): string }; from(s: string, enc: 'base64'): Uint8Array };
const NodeBufferImpl = (globalThis as { Buffer?: NodeBuffer }).Buffer;

/**
 * Standard base64 with padding (RFC 4648 section 4). A turn's leaves are ~9 MB for 32k hidden tokens, so this uses
 * the platform's encoder (Buffer in Node, btoa in the browser): a per-character loop here cost ~0.9 s of the
 * commitment (docs/bench.md).
 */
export function toBase64(b: Uint8Array): string {
  if (NodeBufferImpl !== undefined) return NodeBufferImpl.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += 0x6000) parts.push(String.fromCharCode(...b.subarray(i, i + 0x6000)));
  return btoa(parts.join(''));
}

const BASE64_SHAPE = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 with padding; throws RangeError on malformed input. */
export function fromBase64(s: string): Uint8Array {
  if (s.length % 4 !== 0) throw new RangeError('not base64 (length)');
  if (!BASE64_SHAPE.test(s)) throw new RangeError('not base64 (character)');
  if (NodeBufferImpl !== undefined) {
    return new Uint8Array(NodeBufferImpl.from(s, 'base64')); // a copy: small Buffers share one pool
  }
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
