// ICMPv6 (RFC 4443): echo, destination unreachable, packet too big, time
// exceeded, parameter problem; other types (Neighbor Discovery...) kept raw.
// The checksum covers the IPv6 pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1).

import { internetChecksum, onesComplementSum, pseudoHeaderSum } from './checksum.js';
import { checkAddress, checkRoom, checkUint, get16, get32, put16, put32 } from './bytes.js';
import { hex16, wireError, type Parsed } from './errors.js';

/** Next Header value of ICMPv6. */
export const IPPROTO_ICMPV6 = 58;

export const ICMPV6_DEST_UNREACHABLE = 1;
export const ICMPV6_PACKET_TOO_BIG = 2;
export const ICMPV6_TIME_EXCEEDED = 3;
export const ICMPV6_PARAMETER_PROBLEM = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

/** Destination Unreachable codes (RFC 4443 §3.1). */
export const ICMPV6_UNREACH_NO_ROUTE = 0;
export const ICMPV6_UNREACH_ADMIN = 1;
export const ICMPV6_UNREACH_BEYOND_SCOPE = 2;
export const ICMPV6_UNREACH_ADDRESS = 3;
export const ICMPV6_UNREACH_PORT = 4;

/**
 * An ICMPv6 message without its checksum. `data`, `original` and `body` are
 * views aliasing the parsed buffer. `original` is as much of the invoking
 * packet as fits in the minimum MTU (RFC 4443 §2.4 (c)): parse it with
 * `parseIpv6(original, { allowTruncated: true })`.
 */
export type Icmpv6Message =
  | { kind: 'echoRequest' | 'echoReply'; id: number; seq: number; data: Uint8Array }
  | { kind: 'destUnreachable'; code: number; original: Uint8Array }
  | { kind: 'packetTooBig'; mtu: number; original: Uint8Array }
  | { kind: 'timeExceeded'; code: number; original: Uint8Array }
  | { kind: 'parameterProblem'; code: number; pointer: number; original: Uint8Array }
  /** Any other type: `rest` is the second 32-bit word of the header, `body` what follows. */
  | { kind: 'other'; type: number; code: number; rest: number; body: Uint8Array };

/** A parsed ICMPv6 packet. */
export interface Icmpv6Packet {
  type: number;
  code: number;
  checksum: number;
  message: Icmpv6Message;
}

export interface Icmpv6ParseOptions {
  /** The IPv6 source and destination (16 bytes each). When given, a bad checksum is an error. */
  src?: Uint8Array;
  dst?: Uint8Array;
}

const HEADER = 8;

/** Whether an ICMPv6 message's checksum verifies against the pseudo-header of `src` and `dst`. */
export function verifyIcmpv6Checksum(buf: Uint8Array, src: Uint8Array, dst: Uint8Array): boolean {
  return onesComplementSum(buf, 0, buf.length, pseudoHeaderSum(src, dst, IPPROTO_ICMPV6, buf.length)) === 0xffff;
}

/** Parse an ICMPv6 message (the whole upper-layer payload). Never throws. */
export function parseIcmpv6(buf: Uint8Array, opts?: Icmpv6ParseOptions): Parsed<Icmpv6Packet> {
  if (buf.length < HEADER) return wireError('icmpv6', `truncated: ${buf.length} bytes, header needs ${HEADER}`);
  const type = buf[0]!;
  const code = buf[1]!;
  const checksum = get16(buf, 2);
  if (opts?.src && opts.dst && !verifyIcmpv6Checksum(buf, opts.src, opts.dst)) {
    const ps = pseudoHeaderSum(opts.src, opts.dst, IPPROTO_ICMPV6, buf.length);
    const expected = internetChecksum(buf, 4, buf.length, onesComplementSum(buf, 0, 2, ps));
    return wireError('icmpv6', `bad checksum ${hex16(checksum)}, expected ${hex16(expected)}`);
  }
  const rest = buf.subarray(HEADER);
  let message: Icmpv6Message;
  switch (type) {
    case ICMPV6_ECHO_REQUEST:
    case ICMPV6_ECHO_REPLY:
      message = {
        kind: type === ICMPV6_ECHO_REQUEST ? 'echoRequest' : 'echoReply',
        id: get16(buf, 4),
        seq: get16(buf, 6),
        data: rest,
      };
      break;
    case ICMPV6_DEST_UNREACHABLE:
      message = { kind: 'destUnreachable', code, original: rest };
      break;
    case ICMPV6_PACKET_TOO_BIG:
      message = { kind: 'packetTooBig', mtu: get32(buf, 4), original: rest };
      break;
    case ICMPV6_TIME_EXCEEDED:
      message = { kind: 'timeExceeded', code, original: rest };
      break;
    case ICMPV6_PARAMETER_PROBLEM:
      message = { kind: 'parameterProblem', code, pointer: get32(buf, 4), original: rest };
      break;
    default:
      message = { kind: 'other', type, code, rest: get32(buf, 4), body: rest };
  }
  return { ok: true, value: { type, code, checksum, message } };
}

/** Bytes `emitIcmpv6` writes for this message. */
export function icmpv6Length(m: Icmpv6Message): number {
  switch (m.kind) {
    case 'echoRequest':
    case 'echoReply':
      return HEADER + m.data.length;
    case 'other':
      return HEADER + m.body.length;
    default:
      return HEADER + m.original.length;
  }
}

/**
 * Write an ICMPv6 message with its checksum over the pseudo-header of `src`
 * and `dst` at out[offset]; returns the bytes written. Unused header bytes are
 * zero. Throws RangeError only on misuse.
 */
export function emitIcmpv6(m: Icmpv6Message, src: Uint8Array, dst: Uint8Array, out: Uint8Array, offset = 0): number {
  checkAddress('src', src, 16);
  checkAddress('dst', dst, 16);
  const length = icmpv6Length(m);
  checkRoom(out, offset, length);
  out.fill(0, offset, offset + HEADER);
  let body: Uint8Array;
  switch (m.kind) {
    case 'echoRequest':
    case 'echoReply':
      checkUint('id', m.id, 16);
      checkUint('seq', m.seq, 16);
      out[offset] = m.kind === 'echoRequest' ? ICMPV6_ECHO_REQUEST : ICMPV6_ECHO_REPLY;
      put16(out, offset + 4, m.id);
      put16(out, offset + 6, m.seq);
      body = m.data;
      break;
    case 'destUnreachable':
      checkUint('code', m.code, 8);
      out[offset] = ICMPV6_DEST_UNREACHABLE;
      out[offset + 1] = m.code;
      body = m.original;
      break;
    case 'packetTooBig':
      checkUint('mtu', m.mtu, 32);
      out[offset] = ICMPV6_PACKET_TOO_BIG;
      put32(out, offset + 4, m.mtu);
      body = m.original;
      break;
    case 'timeExceeded':
      checkUint('code', m.code, 8);
      out[offset] = ICMPV6_TIME_EXCEEDED;
      out[offset + 1] = m.code;
      body = m.original;
      break;
    case 'parameterProblem':
      checkUint('code', m.code, 8);
      checkUint('pointer', m.pointer, 32);
      out[offset] = ICMPV6_PARAMETER_PROBLEM;
      out[offset + 1] = m.code;
      put32(out, offset + 4, m.pointer);
      body = m.original;
      break;
    case 'other':
      checkUint('type', m.type, 8);
      checkUint('code', m.code, 8);
      checkUint('rest', m.rest, 32);
      if ((m.type >= ICMPV6_DEST_UNREACHABLE && m.type <= ICMPV6_PARAMETER_PROBLEM) || m.type === ICMPV6_ECHO_REQUEST || m.type === ICMPV6_ECHO_REPLY) {
        throw new RangeError(`ICMPv6 type ${m.type} has its own message kind`);
      }
      out[offset] = m.type;
      out[offset + 1] = m.code;
      put32(out, offset + 4, m.rest);
      body = m.body;
      break;
  }
  out.set(body, offset + HEADER);
  const ps = pseudoHeaderSum(src, dst, IPPROTO_ICMPV6, length);
  put16(out, offset + 2, internetChecksum(out, offset, offset + length, ps));
  return length;
}
