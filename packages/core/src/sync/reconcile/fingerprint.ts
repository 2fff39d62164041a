/**
 * A range fingerprint (Meyer 2022 §3.2): the item count and the sum of item digests mod 2^128,
 * kept as four 32-bit lanes, least significant first. Addition is commutative and invertible,
 * so an index updates it in O(1) per change and combines subtrees without rehashing.
 */
export interface Fingerprint {
  count: number;
  readonly sum: Uint32Array;
}

/** Bytes of the sum sent on the wire: its low 64 bits. A false match needs 2^-64 luck. */
export const FINGERPRINT_BYTES = 8;

/** The fingerprint of the empty range. */
export function emptyFingerprint(): Fingerprint {
  return { count: 0, sum: new Uint32Array(4) };
}

/** `into.sum += digest * sign (mod 2^128)`, `into.count += sign`; `sign` is 1 or -1. */
export function accumulate(into: Fingerprint, digest: Uint32Array, sign: 1 | -1): void {
  addLanes(into.sum, digest, sign);
  into.count += sign;
}

/** `into.sum += other.sum`, `into.count += other.count`. */
export function combine(into: Fingerprint, other: Fingerprint): void {
  addLanes(into.sum, other.sum, 1);
  into.count += other.count;
}

/** The wire form of a fingerprint's sum: the low {@link FINGERPRINT_BYTES} bytes, big-endian lanes. */
export function fingerprintBytes(fingerprint: Fingerprint): Uint8Array {
  const out = new Uint8Array(FINGERPRINT_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, fingerprint.sum[1]!);
  view.setUint32(4, fingerprint.sum[0]!);
  return out;
}

/** True when two wire sums are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function addLanes(into: Uint32Array, lanes: Uint32Array, sign: 1 | -1): void {
  let carry = 0;
  for (let i = 0; i < 4; i++) {
    // Subtraction adds the two's complement: (~x + 1) spread over the lanes by the carry.
    const operand = sign === 1 ? lanes[i]! : ~lanes[i]! >>> 0;
    const total = into[i]! + operand + carry + (sign === -1 && i === 0 ? 1 : 0);
    into[i] = total >>> 0;
    carry = total > 0xffffffff ? 1 : 0;
  }
}
