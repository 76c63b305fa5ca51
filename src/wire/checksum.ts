// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).

import { simdPieceSums, simdSum } from './checksum-simd.js';

/**
 * One's-complement sum of the 16-bit big-endian words of data[start, end),
 * added to `initial`, folded to 16 bits (not complemented). An odd trailing
 * byte is padded with a zero byte, as RFC 1071 §1 specifies.
 */
export function onesComplementSum(data: Uint8Array, start = 0, end = data.length, initial = 0): number {
  let sum = initial;
  let i = start;
  if (simdSum !== undefined && end - start >= SIMD_FROM) {
    // Sixteen bytes at a time in the SIMD kernel, the rest here.
    const n = (end - start) & ~15;
    return fold(addWords(data, start + n, end, sum + swap16(simdSum(data, start, n))));
  }
  if (LITTLE_ENDIAN && end - start >= WORDS_FROM && ((data.byteOffset + start) & 1) === 0) return wordSum(data, start, end, initial);
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
  return fold(addWords(data, i, end, sum));
}

/**
 * `sum` plus the 16-bit big-endian words of data[i, end), one at a time,
 * an odd last byte padded with zero: the few bytes a faster loop leaves.
 */
function addWords(data: Uint8Array, i: number, end: number, sum: number): number {
  for (; i + 1 < end; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (i < end) sum += data[i]! << 8;
  return sum;
}

/** A folded sum of little-endian words as the sum of the big-endian ones (RFC 1071 §2 (B)). */
function swap16(x: number): number {
  return ((x & 0xff) << 8) | (x >>> 8);
}

/** Whether this host stores integers little-endian (then 32-bit loads see each 16-bit word byte-swapped). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
/**
 * From this many bytes on, copying the range into the SIMD kernel and
 * summing it there beats the loops below (`npm run bench checksum`).
 */
export const SIMD_FROM = 512;
/** Below this many bytes the byte loop is as fast as setting up word loads. */
const WORDS_FROM = 128;
/** The last buffer summed by words and its 32-bit view (packets are often read into one reused buffer). */
let wordBuffer: ArrayBufferLike | undefined;
let wordView: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

/**
 * onesComplementSum by 32-bit loads, for an even-aligned range
 * ((data.byteOffset + start) even) on a little-endian host: about 3× faster than the byte loop on full-sized and
 * 64 KB segments (`npm run bench checksum`). RFC 1071 §2 (B): the sum is
 * byte-order independent, so the little-endian words are summed, folded to
 * 16 bits and byte-swapped once at the end.
 */
export function wordSum(data: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  let i = start;
  // One 16-bit word first if the range starts two bytes past a 4-byte boundary.
  if (((data.byteOffset + i) & 3) !== 0) {
    sum += (data[i]! << 8) | data[i + 1]!;
    i += 2;
  }
  if (wordBuffer !== data.buffer) {
    wordBuffer = data.buffer;
    wordView = new Uint32Array(data.buffer, 0, data.buffer.byteLength >>> 2);
  }
  const u32 = wordView;
  let w = (data.byteOffset + i) >>> 2;
  const wEnd = w + ((end - i) >>> 2);
  i += (wEnd - w) * 4;
  // Each word is below 2^32: a plain number holds 2^21 of them exactly.
  let le = 0;
  for (; w + 4 <= wEnd; w += 4) le += u32[w]! + u32[w + 1]! + u32[w + 2]! + u32[w + 3]!;
  for (; w < wEnd; w++) le += u32[w]!;
  return fold(addWords(data, i, end, sum + swap16(fold(le))));
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
  let sum: number;
  if (src.length === 4 && dst.length === 4) {
    // Every segment sent or received pays this: four words, no call.
    sum = ((src[0]! << 8) | src[1]!) + ((src[2]! << 8) | src[3]!) + ((dst[0]! << 8) | dst[1]!) + ((dst[2]! << 8) | dst[3]!);
  } else {
    sum = onesComplementSum(src, 0, src.length, 0);
    sum = onesComplementSum(dst, 0, dst.length, sum);
  }
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

/**
 * The folded one's-complement sums (onesComplementSum) of the pieces of
 * data[start, end) cut every `size` bytes, the last piece possibly shorter:
 * out[k] for the k-th piece. One pass over a whole train of segments, as
 * segmentation offload sums the segments it cuts.
 */
export function pieceSums(data: Uint8Array, start: number, end: number, size: number, out: number[]): void {
  if (simdPieceSums !== undefined && size >= SIMD_FROM && size <= PIECE_SUMS_MAX) {
    // The kernel sums each piece's multiple of 16 bytes; the words left are added here.
    simdPieceSums(data, start, end, size, out);
    let k = 0;
    for (let p = start; p < end; p += size) {
      const pEnd = Math.min(p + size, end);
      out[k] = fold(addWords(data, p + ((pEnd - p) & ~15), pEnd, swap16(fold(out[k]!))));
      k++;
    }
    return;
  }
  let k = 0;
  for (let p = start; p < end; p += size) out[k++] = onesComplementSum(data, p, Math.min(p + size, end));
}

/** Largest piece the SIMD kernel sums in one go (its CHUNK). */
const PIECE_SUMS_MAX = 1 << 16;

/**
 * onesComplementSum of the 20 bytes from data[i] on (an IPv4 header
 * without options): ten words, no loop, for the receive path's check of
 * every packet's header.
 */
export function sum20(data: Uint8Array, i: number): number {
  return fold(
    ((data[i]! << 8) | data[i + 1]!) +
      ((data[i + 2]! << 8) | data[i + 3]!) +
      ((data[i + 4]! << 8) | data[i + 5]!) +
      ((data[i + 6]! << 8) | data[i + 7]!) +
      ((data[i + 8]! << 8) | data[i + 9]!) +
      ((data[i + 10]! << 8) | data[i + 11]!) +
      ((data[i + 12]! << 8) | data[i + 13]!) +
      ((data[i + 14]! << 8) | data[i + 15]!) +
      ((data[i + 16]! << 8) | data[i + 17]!) +
      ((data[i + 18]! << 8) | data[i + 19]!),
  );
}
