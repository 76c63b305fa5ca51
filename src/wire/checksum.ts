// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).

/**
 * One's-complement sum of the 16-bit big-endian words of data[start, end),
 * added to `initial`, folded to 16 bits (not complemented). An odd trailing
 * byte is padded with a zero byte, as RFC 1071 §1 specifies.
 */
export function onesComplementSum(data: Uint8Array, start = 0, end = data.length, initial = 0): number {
  let sum = initial;
  let i = start;
  // Sum 16-bit words into a plain number; fold before it can lose precision
  // (2^53 leaves room for 2^37 words, far beyond any packet).
  const evenEnd = end - ((end - start) & 1);
  for (; i + 8 <= evenEnd; i += 8) {
    sum +=
      ((data[i]! << 8) | data[i + 1]!) +
      ((data[i + 2]! << 8) | data[i + 3]!) +
      ((data[i + 4]! << 8) | data[i + 5]!) +
      ((data[i + 6]! << 8) | data[i + 7]!);
  }
  for (; i < evenEnd; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (i < end) sum += data[i]! << 8;
  return fold(sum);
}

/** Fold a sum of 16-bit words into 16 bits with end-around carry. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field value for data[start, end) with a pseudo-header sum as `initial`. */
export function internetChecksum(data: Uint8Array, start = 0, end = data.length, initial = 0): number {
  return ~onesComplementSum(data, start, end, initial) & 0xffff;
}

/**
 * Sum of the TCP/UDP/ICMPv6 pseudo-header (RFC 9293 §3.1 for IPv4, RFC 8200
 * §8.1 for IPv6). `src` and `dst` are 4- or 16-byte addresses; `length` is the
 * upper-layer length.
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = onesComplementSum(src, 0, src.length, 0);
  sum = onesComplementSum(dst, 0, dst.length, sum);
  // IPv4: zero, protocol, 16-bit length. IPv6: 32-bit length, 24 zero bits, next header.
  sum += protocol + (length & 0xffff) + Math.floor(length / 0x10000);
  return fold(sum);
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered
 * data changes from `oldWord` to `newWord`: HC' = ~(~HC + ~m + m').
 */
export function incrementalUpdate(oldChecksum: number, oldWord: number, newWord: number): number {
  const sum = (~oldChecksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~fold(sum) & 0xffff;
}
