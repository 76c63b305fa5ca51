// Sequence number arithmetic modulo 2^32 (RFC 9293 §3.4). DESIGN rule 4:
// every comparison of sequence numbers (and of RFC 7323 timestamps, which
// wrap the same way) goes through these functions, never `<` on raw numbers.
//
// Two numbers exactly 2^31 apart are ambiguous: each is "less than" the
// other. RFC 9293 §3.4 keeps windows far below 2^31, so this never matters
// for values that belong to one connection.

/** a + n modulo 2^32 (n may be negative). */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** a − b modulo 2^32, as an unsigned distance in [0, 2^32). */
export function seqSub(a: number, b: number): number {
  return (a - b) >>> 0;
}

/** a − b as a signed distance in [−2^31, 2^31). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

export function seqMax(a: number, b: number): number {
  return seqGe(a, b) ? a : b;
}

export function seqMin(a: number, b: number): number {
  return seqLe(a, b) ? a : b;
}

/**
 * start ≤ x < start + len, modulo 2^32 (len in [0, 2^32)). A window of
 * length 0 contains nothing.
 */
export function seqInWindow(x: number, start: number, len: number): boolean {
  return seqSub(x, start) < len;
}
