/**
 * Strict checks of Ed25519 public keys and signatures, made before WebCrypto sees them. WebCrypto (Node 20's
 * OpenSSL) follows the cofactored, permissive verification of RFC 8032: it accepts the identity point as a public
 * key, and with R = identity, S = 0 that key "signs" every message. Receipts need a signature nobody can make
 * without the private key, so a key or an R must be a canonical encoding of a point of the prime-order subgroup
 * (never small-order, never mixed with a torsion component), and S must be reduced (S < L).
 *
 * Plain bigint arithmetic on the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19), extended
 * coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, xy = T/Z. Not constant time: it only ever handles public data.
 */

const P = 2n ** 255n - 19n;
/** Order of the prime-order subgroup (RFC 8032 section 5.1). */
export const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

const mod = (a: bigint): bigint => { const r = a % P; return r >= 0n ? r : r + P; };

function pow(b: bigint, e: bigint): bigint {
  let r = 1n, x = mod(b);
  while (e > 0n) {
    if ((e & 1n) === 1n) r = (r * x) % P;
    x = (x * x) % P;
    e >>= 1n;
  }
  return r;
}

const inv = (a: bigint): bigint => pow(a, P - 2n);
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

type Point = readonly [bigint, bigint, bigint, bigint];
const IDENTITY: Point = [0n, 1n, 1n, 0n];

function add(p: Point, q: Point): Point {
  const a = mod((p[1] - p[0]) * (q[1] - q[0]));
  const b = mod((p[1] + p[0]) * (q[1] + q[0]));
  const c = mod(2n * p[3] * q[3] * D);
  const d = mod(2n * p[2] * q[2]);
  const e = b - a, f = d - c, g = d + c, h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function mul(s: bigint, p: Point): Point {
  let r = IDENTITY, x = p;
  while (s > 0n) {
    if ((s & 1n) === 1n) r = add(r, x);
    x = add(x, x);
    s >>= 1n;
  }
  return r;
}

const isIdentity = (p: Point): boolean => mod(p[0]) === 0n && mod(p[1] - p[2]) === 0n;

function littleEndian(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

/** Why a 32-byte point encoding is refused, or the point. */
function decodePoint(b: Uint8Array): { point: Point } | { why: string } {
  if (b.length !== 32) return { why: 'not 32 bytes' };
  const sign = b[31]! >> 7;
  const y = littleEndian(b) & ((1n << 255n) - 1n);
  if (y >= P) return { why: 'non-canonical encoding (y >= p)' };
  const y2 = (y * y) % P;
  const x2 = mod((y2 - 1n) * inv(D * y2 + 1n));
  if (x2 === 0n) {
    if (sign === 1) return { why: 'non-canonical encoding (x = 0 with the sign bit set)' };
    return { point: [0n, y, 1n, 0n] };
  }
  let x = pow(x2, (P + 3n) / 8n);
  if (mod(x * x - x2) !== 0n) x = (x * SQRT_M1) % P;
  if (mod(x * x - x2) !== 0n) return { why: 'not a point on the curve' };
  if (Number(x & 1n) !== sign) x = P - x;
  return { point: [x, y, 1n, (x * y) % P] };
}

/** Why this point encoding may not be a key or an R, or null when it is a canonical prime-order point. */
function pointProblem(b: Uint8Array, what: string, fullOrder: boolean): string | null {
  const d = decodePoint(b);
  if ('why' in d) return `${what}: ${d.why}`;
  if (isIdentity(mul(8n, d.point))) return `${what}: a small-order point (order dividing 8)`;
  if (fullOrder && !isIdentity(mul(ED25519_L, d.point))) return `${what}: not in the prime-order subgroup (has a torsion component)`;
  return null;
}

// Keys are checked in full (a scalar multiplication by L, a few ms) and remembered; receipts reuse few keys.
const goodKeys = new Set<string>();

/**
 * Why `publicKey` (32 raw bytes) is no Ed25519 key a receipt may name, or null when it is one: canonical, on the
 * curve, not small-order, in the prime-order subgroup.
 */
export function ed25519PublicKeyProblem(publicKey: Uint8Array): string | null {
  const hex = Array.from(publicKey, (x) => x.toString(16).padStart(2, '0')).join('');
  if (goodKeys.has(hex)) return null;
  const p = pointProblem(publicKey, 'public key', true);
  if (p === null) {
    if (goodKeys.size > 1024) goodKeys.clear();
    goodKeys.add(hex);
  }
  return p;
}

/**
 * Why a 64-byte signature (R || S) is refused before verification, or null: R must be a canonical point that is
 * not small-order, S must be below L (no malleable S + L).
 */
export function ed25519SignatureProblem(signature: Uint8Array): string | null {
  if (signature.length !== 64) return 'signature: not 64 bytes';
  if (littleEndian(signature.subarray(32)) >= ED25519_L) return 'signature: non-canonical S (S >= L)';
  return pointProblem(signature.subarray(0, 32), 'signature R', false);
}
