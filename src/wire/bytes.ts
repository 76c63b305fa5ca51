// Small big-endian helpers shared by the wire parsers and emitters. Plain
// shifts on the byte array: no DataView or Buffer per packet.

export function get16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

export function get32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** Four bytes as a signed 32-bit integer: the same bits as get32, but a small integer to V8 (a map key that needs no heap number). */
export function get32s(b: Uint8Array, i: number): number {
  return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
}

export function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 8;
  b[i + 1] = v;
}

export function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}

// TypedArray.prototype.set and subarray, called directly. Written as
// `dst.set(...)`, such calls on the hot path loaded the method through V8's
// generic property-load builtin (LoadIC) even in optimized code: 1.7% of an
// MTU 1500 transfer's time in `perf`, which a direct call leaves out (the
// transfer ran 4-5% faster, in-process A/B).
/** `dst.set(src, offset)` without looking up `set`. */
export const u8set: (this: Uint8Array, src: ArrayLike<number>, offset?: number) => void = Uint8Array.prototype.set;
const subarray: (this: Uint8Array, begin?: number, end?: number) => Uint8Array = Uint8Array.prototype.subarray;
/** `a.subarray(begin, end)` without looking up `subarray`. */
export function u8sub(a: Uint8Array, begin: number, end: number): Uint8Array {
  return subarray.call(a, begin, end);
}

/** Runs of at most this many bytes are copied by a loop (see copyBytes). */
const SHORT_COPY = 64;

/**
 * Copy src[start, end) to dst at `at`. A short run is copied byte by byte:
 * `set` needs a view of the source, and a view of a typed array of 64 bytes
 * or fewer (which V8 keeps on its heap, as the rings of a new connection)
 * first moves its bytes to a backing store of their own, about 0.3 µs,
 * where the loop takes a tenth of that.
 */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number): void {
  const n = end - start;
  if (n <= SHORT_COPY) {
    for (let i = 0; i < n; i++) dst[at + i] = src[start + i]!;
    return;
  }
  u8set.call(dst, u8sub(src, start, end), at);
}

/** Copy all of `src` to dst at `at`: copyBytes without a view of the source when it is long. */
export function copyAll(dst: Uint8Array, at: number, src: Uint8Array): void {
  if (src.length <= SHORT_COPY) copyBytes(dst, at, src, 0, src.length);
  else u8set.call(dst, src, at);
}

/**
 * Emitters throw RangeError only for programmer misuse (a field that cannot be
 * represented, a buffer too small); received bytes never reach this.
 */
export function checkUint(name: string, value: number, bits: number): void {
  // An integer in 0..2^32-1 survives `>>> 0` unchanged (NaN, fractions and
  // negatives do not); then no bit at or above `bits` may be set. Runs for
  // every field of every packet emitted, so no Math.pow here.
  if ((value >>> 0) !== value || (bits < 32 && value >>> bits !== 0) || bits > 32) {
    throw new RangeError(`${name} must be an integer in 0..${2 ** bits - 1}, got ${value}`);
  }
}

export function checkAddress(name: string, addr: Uint8Array, length: 4 | 16): void {
  if (addr.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${addr.length}`);
}

export function checkRoom(out: Uint8Array, offset: number, needed: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + needed > out.length) {
    throw new RangeError(`output buffer too small: ${needed} bytes needed at offset ${offset}, buffer is ${out.length}`);
  }
}
