// Test-only reference helpers, written independently of src/wire: a plain
// byte-pair Internet checksum, explicit pseudo-headers, and hex literals.

/** Bytes from a hex string; whitespace and `|` are ignored. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s|]/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd hex string: ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One's-complement sum of the bytes of all parts, concatenated, as 16-bit words (odd tail padded with 0). */
export function refSum(...parts: Uint8Array[]): number {
  const b = concat(...parts);
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) {
    sum += b[i]! * 256 + (i + 1 < b.length ? b[i + 1]! : 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return sum;
}

/** The checksum field value: complement of the sum. */
export function refChecksum(...parts: Uint8Array[]): number {
  return ~refSum(...parts) & 0xffff;
}

/** RFC 9293 §3.1 IPv4 pseudo-header: src, dst, zero, protocol, 16-bit length. */
export function pseudoV4(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): Uint8Array {
  return concat(src, dst, new Uint8Array([0, protocol, length >> 8, length & 0xff]));
}

/** RFC 8200 §8.1 IPv6 pseudo-header: src, dst, 32-bit length, three zero bytes, next header. */
export function pseudoV6(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): Uint8Array {
  return concat(
    src,
    dst,
    new Uint8Array([length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, 0, 0, 0, nextHeader]),
  );
}

/** A copy of `b` with the 16-bit big-endian `value` written at `at`. */
export function with16(b: Uint8Array, at: number, value: number): Uint8Array {
  const c = b.slice();
  c[at] = value >> 8;
  c[at + 1] = value & 0xff;
  return c;
}

export const bytes = (...v: number[]): Uint8Array => new Uint8Array(v);
