// A small keyed hash for the stack's secrets: HalfSipHash-2-4 with a 32-bit
// output (Aumasson & Bernstein's SipHash family, 32-bit variant), written
// from its description. It needs only 32-bit integer arithmetic, so it runs
// the same on every JavaScript engine and needs no crypto module.
//
// Uses: RFC 6056 ephemeral port selection (F and G of algorithm 4) and the
// RFC 6528 initial sequence number function F.

function rotl(x: number, b: number): number {
  return (x << b) | (x >>> (32 - b));
}

/** A HalfSipHash key: two 32-bit words (the 8 key bytes read little-endian). */
export interface HashKey {
  k0: number;
  k1: number;
}

/** The key made of 8 bytes, read as two little-endian words as the reference does. */
export function hashKeyFromBytes(key: Uint8Array): HashKey {
  if (key.length !== 8) throw new RangeError(`a HalfSipHash key is 8 bytes, got ${key.length}`);
  return {
    k0: (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0,
    k1: (key[4]! | (key[5]! << 8) | (key[6]! << 16) | (key[7]! << 24)) >>> 0,
  };
}

/**
 * HalfSipHash-2-4 of data[start, end) under `key`, as an unsigned 32-bit
 * number (the reference's 4 output bytes read little-endian).
 */
export function halfSipHash(key: HashKey, data: Uint8Array, start = 0, end = data.length): number {
  const v = V;
  v[0] = key.k0;
  v[1] = key.k1;
  v[2] = 0x6c796765 ^ key.k0;
  v[3] = 0x74656462 ^ key.k1;
  const len = end - start;
  const whole = start + (len & ~3);
  let i = start;
  for (; i < whole; i += 4) {
    const m = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    v[3]! ^= m;
    sipRounds(v, 2);
    v[0]! ^= m;
  }
  // The last word: the remaining bytes, and the length (mod 256) in the top byte.
  let b = (len & 0xff) << 24;
  const left = end - i;
  if (left >= 3) b |= data[i + 2]! << 16;
  if (left >= 2) b |= data[i + 1]! << 8;
  if (left >= 1) b |= data[i]!;
  v[3]! ^= b;
  sipRounds(v, 2);
  v[0]! ^= b;
  v[2]! ^= 0xff;
  sipRounds(v, 4);
  return (v[1]! ^ v[3]!) >>> 0;
}

/** The hash state v0..v3, kept here rather than in a closure's context (which each call would allocate). */
const V = new Int32Array(4);

/** `n` SipRounds of HalfSipHash over the state in `v`. */
function sipRounds(v: Int32Array, n: number): void {
  let v0 = v[0]!;
  let v1 = v[1]!;
  let v2 = v[2]!;
  let v3 = v[3]!;
  for (let r = 0; r < n; r++) {
    v0 = (v0 + v1) | 0;
    v1 = rotl(v1, 5) ^ v0;
    v0 = rotl(v0, 16);
    v2 = (v2 + v3) | 0;
    v3 = rotl(v3, 8) ^ v2;
    v0 = (v0 + v3) | 0;
    v3 = rotl(v3, 7) ^ v0;
    v2 = (v2 + v1) | 0;
    v1 = rotl(v1, 13) ^ v2;
    v2 = rotl(v2, 16);
  }
  v[0] = v0;
  v[1] = v1;
  v[2] = v2;
  v[3] = v3;
}

/**
 * A reusable scratch writer for hashing a few fields (addresses, ports)
 * without allocating per call.
 */
export class HashInput {
  private readonly buf = new Uint8Array(64);
  private n = 0;

  reset(): this {
    this.n = 0;
    return this;
  }

  bytes(b: Uint8Array): this {
    // Addresses (4 or 16 bytes): a loop costs less than a call to `set`.
    const buf = this.buf;
    const n = this.n;
    for (let i = 0; i < b.length; i++) buf[n + i] = b[i]!;
    this.n = n + b.length;
    return this;
  }

  u16(v: number): this {
    this.buf[this.n++] = v >>> 8;
    this.buf[this.n++] = v;
    return this;
  }

  u32(v: number): this {
    this.buf[this.n++] = v >>> 24;
    this.buf[this.n++] = v >>> 16;
    this.buf[this.n++] = v >>> 8;
    this.buf[this.n++] = v;
    return this;
  }

  hash(key: HashKey): number {
    return halfSipHash(key, this.buf, 0, this.n);
  }
}
