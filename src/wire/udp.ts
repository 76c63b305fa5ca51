// UDP header view and builder (RFC 768; RFC 8200 §8.1 for IPv6).

import { internetChecksum, onesComplementSum, pseudoHeaderSum } from './checksum.js';
import { checkRoom, checkUint, get16, put16 } from './bytes.js';
import { hex16, wireError, type Parsed } from './errors.js';

/** IP protocol number of UDP. */
export const IPPROTO_UDP = 17;

const HEADER = 8;

/**
 * A parsed UDP datagram. `payload` is a view aliasing the buffer given to
 * `parseUdp`, limited by the Length field: copy it before the buffer is reused.
 */
export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  /** The Length field: header plus payload. */
  length: number;
  /** The Checksum field; 0 means "no checksum" (allowed over IPv4 only). */
  checksum: number;
  payload: Uint8Array;
}

export interface UdpParseOptions {
  /**
   * The IP source and destination (both 4 or both 16 bytes). When given, the
   * checksum is checked: a zero checksum passes over IPv4 (none was computed)
   * and is an error over IPv6; any other mismatch is an error.
   */
  src?: Uint8Array;
  dst?: Uint8Array;
}

/** The checksum field value for datagram bytes [0, length) (RFC 768: a computed 0 is sent as 0xffff). */
function udpChecksum(b: Uint8Array, length: number, src: Uint8Array, dst: Uint8Array, offset = 0): number {
  const ps = pseudoHeaderSum(src, dst, IPPROTO_UDP, length);
  const c = internetChecksum(b, offset + 8, offset + length, onesComplementSum(b, offset, offset + 6, ps));
  return c === 0 ? 0xffff : c;
}

/** Parse a UDP datagram at the start of `buf`. Never throws. */
export function parseUdp(buf: Uint8Array, opts?: UdpParseOptions): Parsed<UdpDatagram> {
  if (buf.length < HEADER) return wireError('udp', `truncated: ${buf.length} bytes, header needs ${HEADER}`);
  const length = get16(buf, 4);
  if (length < HEADER) return wireError('udp', `length ${length} < ${HEADER}`);
  if (length > buf.length) return wireError('udp', `length ${length} > ${buf.length} captured`);
  const checksum = get16(buf, 6);
  if (opts?.src && opts.dst) {
    if (checksum === 0) {
      if (opts.src.length !== 4) return wireError('udp', 'zero checksum over IPv6');
    } else {
      const ps = pseudoHeaderSum(opts.src, opts.dst, IPPROTO_UDP, length);
      if (onesComplementSum(buf, 0, length, ps) !== 0xffff) {
        const expected = udpChecksum(buf, length, opts.src, opts.dst);
        return wireError('udp', `bad checksum ${hex16(checksum)}, expected ${hex16(expected)}`);
      }
    }
  }
  return {
    ok: true,
    value: { srcPort: get16(buf, 0), dstPort: get16(buf, 2), length, checksum, payload: buf.subarray(HEADER, length) },
  };
}

/** Whether a UDP datagram's checksum is acceptable (see UdpParseOptions). */
export function verifyUdpChecksum(datagram: Uint8Array, src: Uint8Array, dst: Uint8Array): boolean {
  return parseUdp(datagram, { src, dst }).ok;
}

export interface UdpFields {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export interface UdpEmitOptions {
  /** Compute the checksum (default true). Only IPv4 may send without one. */
  checksum?: boolean;
}

/**
 * Write a UDP datagram (header, payload, checksum) at out[offset]; returns the
 * bytes written. Throws RangeError only on misuse, including asking for no
 * checksum over IPv6.
 */
export function emitUdp(
  d: UdpFields,
  src: Uint8Array,
  dst: Uint8Array,
  out: Uint8Array,
  offset = 0,
  opts?: UdpEmitOptions,
): number {
  if (src.length !== dst.length || (src.length !== 4 && src.length !== 16)) {
    throw new RangeError(`src and dst must both be 4 or both 16 bytes, got ${src.length} and ${dst.length}`);
  }
  const withChecksum = opts?.checksum !== false;
  if (!withChecksum && src.length === 16) throw new RangeError('UDP over IPv6 must carry a checksum (RFC 8200 §8.1)');
  checkUint('srcPort', d.srcPort, 16);
  checkUint('dstPort', d.dstPort, 16);
  const length = HEADER + d.payload.length;
  checkUint('UDP length', length, 16);
  checkRoom(out, offset, length);
  put16(out, offset, d.srcPort);
  put16(out, offset + 2, d.dstPort);
  put16(out, offset + 4, length);
  out.set(d.payload, offset + HEADER);
  put16(out, offset + 6, withChecksum ? udpChecksum(out, length, src, dst, offset) : 0);
  return length;
}
