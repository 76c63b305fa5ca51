// IPv4 header view and builder (RFC 791).

import { fold, internetChecksum, onesComplementSum } from './checksum.js';
import { checkAddress, checkRoom, checkUint, get16, put16 } from './bytes.js';
import { hex16, wireError, type Parsed } from './errors.js';

/** The three flag bits of the fragment word (RFC 791 §3.1). */
export interface Ipv4Flags {
  /** Bit 0, reserved, must be zero (RFC 791; the "evil bit" of RFC 3514). */
  reserved: boolean;
  /** Don't Fragment. */
  DF: boolean;
  /** More Fragments. */
  MF: boolean;
}

/**
 * A parsed IPv4 packet. `src`, `dst`, `options` and `payload` are views that
 * alias the buffer given to `parseIpv4`: copy them before that buffer is reused.
 */
export interface Ipv4Packet {
  version: 4;
  /** Internet Header Length in 32-bit words (5..15). */
  ihl: number;
  /** Header length in bytes (ihl * 4). */
  headerLength: number;
  /** Differentiated Services Code Point (RFC 2474): the high six bits of the old TOS byte. */
  dscp: number;
  /** ECN field (RFC 3168): the low two bits of the old TOS byte. */
  ecn: number;
  totalLength: number;
  identification: number;
  flags: Ipv4Flags;
  /** Fragment offset in bytes (the header field counts 8-byte units). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  headerChecksum: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** The raw option bytes (headerLength - 20 of them); empty when ihl is 5. */
  options: Uint8Array;
  /** The bytes after the header up to totalLength; link-layer padding beyond it is excluded. */
  payload: Uint8Array;
  /** True for any fragment but a whole datagram: MF set or a non-zero offset. */
  isFragment: boolean;
  /** Whether the header checksum verifies. */
  checksumOk: boolean;
}

export interface Ipv4ParseOptions {
  /** Report a bad header checksum as an error (default true). When false, see `checksumOk`. */
  verifyChecksum?: boolean;
  /**
   * Accept a packet cut short after its header, as quoted in an ICMP error
   * (RFC 792 / RFC 1812 §4.3.2.3): `payload` is then whatever was captured,
   * up to totalLength.
   */
  allowTruncated?: boolean;
}

const MIN_HEADER = 20;
/** The options of every header without any (a view per packet costs; this one is never written). */
const NO_OPTIONS = new Uint8Array(0);

/** Parse and validate an IPv4 packet at the start of `buf`. Never throws. */
export function parseIpv4(buf: Uint8Array, opts?: Ipv4ParseOptions): Parsed<Ipv4Packet> {
  if (buf.length < MIN_HEADER) return wireError('ipv4', `truncated: ${buf.length} bytes, header needs ${MIN_HEADER}`);
  const version = buf[0]! >>> 4;
  if (version !== 4) return wireError('ipv4', `bad version ${version}`);
  const ihl = buf[0]! & 0x0f;
  const headerLength = ihl * 4;
  if (headerLength < MIN_HEADER) return wireError('ipv4', `header length ${headerLength} < ${MIN_HEADER}`);
  if (buf.length < headerLength) {
    return wireError('ipv4', `truncated: ${buf.length} bytes, header needs ${headerLength}`);
  }
  const totalLength = get16(buf, 2);
  if (totalLength < headerLength) {
    return wireError('ipv4', `total length ${totalLength} < header length ${headerLength}`);
  }
  if (totalLength > buf.length && !opts?.allowTruncated) {
    return wireError('ipv4', `total length ${totalLength} > ${buf.length} captured`);
  }
  const headerChecksum = get16(buf, 10);
  // RFC 1071: the sum over a correct header, checksum included, is all ones.
  const checksumOk = onesComplementSum(buf, 0, headerLength) === 0xffff;
  if (!checksumOk && opts?.verifyChecksum !== false) {
    const expected = internetChecksum(buf, 12, headerLength, onesComplementSum(buf, 0, 10));
    return wireError('ipv4', `bad checksum ${hex16(headerChecksum)}, expected ${hex16(expected)}`);
  }
  const frag = get16(buf, 6);
  const fragmentOffset = (frag & 0x1fff) * 8;
  const MF = (frag & 0x2000) !== 0;
  return {
    ok: true,
    value: {
      version: 4,
      ihl,
      headerLength,
      dscp: buf[1]! >>> 2,
      ecn: buf[1]! & 0x03,
      totalLength,
      identification: get16(buf, 4),
      flags: { reserved: (frag & 0x8000) !== 0, DF: (frag & 0x4000) !== 0, MF },
      fragmentOffset,
      ttl: buf[8]!,
      protocol: buf[9]!,
      headerChecksum,
      src: buf.subarray(12, 16),
      dst: buf.subarray(16, 20),
      options: headerLength === MIN_HEADER ? NO_OPTIONS : buf.subarray(MIN_HEADER, headerLength),
      payload: buf.subarray(headerLength, Math.min(totalLength, buf.length)),
      isFragment: MF || fragmentOffset !== 0,
      checksumOk,
    },
  };
}

/** The fields an IPv4 header is built from; lengths and the checksum are computed. */
export interface Ipv4Fields {
  dscp?: number;
  ecn?: number;
  identification?: number;
  flags?: Partial<Ipv4Flags>;
  /** In bytes; must be a multiple of 8. */
  fragmentOffset?: number;
  ttl: number;
  protocol: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Raw option bytes, already padded to a multiple of 4 (at most 40). */
  options?: Uint8Array;
}

/** Header length in bytes that `emitIpv4` writes for these fields. */
export function ipv4HeaderLength(fields: Pick<Ipv4Fields, 'options'>): number {
  return MIN_HEADER + (fields.options?.length ?? 0);
}

/**
 * Write an IPv4 header for a payload of `payloadLength` bytes at out[offset],
 * with its header checksum. The payload itself is the caller's to write after
 * it. Returns the header length. Throws RangeError only on misuse (a field out
 * of range, a buffer too small).
 */
export function emitIpv4(fields: Ipv4Fields, payloadLength: number, out: Uint8Array, offset = 0): number {
  const options = fields.options;
  const optLen = options?.length ?? 0;
  if (optLen % 4 !== 0 || optLen > 40) {
    throw new RangeError(`IPv4 options must be a multiple of 4 bytes and at most 40, got ${optLen}`);
  }
  const headerLength = MIN_HEADER + optLen;
  const totalLength = headerLength + payloadLength;
  checkUint('payloadLength', payloadLength, 16);
  checkUint('total length', totalLength, 16);
  const dscp = fields.dscp ?? 0;
  const ecn = fields.ecn ?? 0;
  const identification = fields.identification ?? 0;
  const fragOff = fields.fragmentOffset ?? 0;
  checkUint('dscp', dscp, 6);
  checkUint('ecn', ecn, 2);
  checkUint('identification', identification, 16);
  checkUint('ttl', fields.ttl, 8);
  checkUint('protocol', fields.protocol, 8);
  if (fragOff % 8 !== 0) throw new RangeError(`fragmentOffset must be a multiple of 8, got ${fragOff}`);
  checkUint('fragmentOffset / 8', fragOff / 8, 13);
  checkAddress('src', fields.src, 4);
  checkAddress('dst', fields.dst, 4);
  checkRoom(out, offset, headerLength);

  const f = fields.flags;
  const flagBits = (f?.reserved ? 0x8000 : 0) | (f?.DF ? 0x4000 : 0) | (f?.MF ? 0x2000 : 0);
  out[offset] = 0x40 | (headerLength >>> 2);
  out[offset + 1] = (dscp << 2) | ecn;
  put16(out, offset + 2, totalLength);
  put16(out, offset + 4, identification);
  put16(out, offset + 6, flagBits | (fragOff / 8));
  out[offset + 8] = fields.ttl;
  out[offset + 9] = fields.protocol;
  put16(out, offset + 10, 0);
  out.set(fields.src, offset + 12);
  out.set(fields.dst, offset + 16);
  if (options) out.set(options, offset + MIN_HEADER);
  put16(out, offset + 10, internetChecksum(out, offset, offset + headerLength));
  return headerLength;
}

/**
 * emitIpv4 for the stack's own packets: a 20-byte header without options
 * or fragmentation, DSCP 0, with ECN codepoint `ecn`, DF if `df`; the same
 * bytes, written without checking any field (the stack's values are in
 * range by construction; test/wire/ipv4.test.ts holds the two writers to
 * the same output). Returns 20.
 */
export function writeIpv4Header(out: Uint8Array, offset: number, payloadLength: number, ecn: number, identification: number, df: boolean, ttl: number, protocol: number, src: Uint8Array, dst: Uint8Array): number {
  const total = MIN_HEADER + payloadLength;
  const fragment = df ? 0x4000 : 0;
  out[offset] = 0x45;
  out[offset + 1] = ecn;
  put16(out, offset + 2, total);
  put16(out, offset + 4, identification);
  put16(out, offset + 6, fragment);
  out[offset + 8] = ttl;
  out[offset + 9] = protocol;
  // Four bytes each: a loop, not `set` (a builtin call per address).
  for (let i = 0; i < 4; i++) {
    out[offset + 12 + i] = src[i]!;
    out[offset + 16 + i] = dst[i]!;
  }
  // The header's ten words summed from the values just written, not read back.
  const sum =
    (0x4500 | ecn) +
    total +
    identification +
    fragment +
    ((ttl << 8) | protocol) +
    ((src[0]! << 8) | src[1]!) +
    ((src[2]! << 8) | src[3]!) +
    ((dst[0]! << 8) | dst[1]!) +
    ((dst[2]! << 8) | dst[3]!);
  put16(out, offset + 10, ~fold(sum) & 0xffff);
  return MIN_HEADER;
}

/** Dotted-decimal text of a 4-byte address. */
export function formatIpv4(addr: Uint8Array): string {
  return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
}

/**
 * Parse dotted-decimal text (exactly four decimal parts 0..255). Leading zeros
 * are refused, since some parsers read them as octal.
 */
export function parseIpv4Address(text: string): Parsed<Uint8Array> {
  const parts = text.split('.');
  if (parts.length !== 4) return wireError('ipv4', `bad address ${JSON.stringify(text)}: expected 4 dotted decimal parts`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) {
      return wireError('ipv4', `bad address ${JSON.stringify(text)}: part ${JSON.stringify(p)} is not a number 0..255`);
    }
    out[i] = Number(p);
  }
  return { ok: true, value: out };
}
