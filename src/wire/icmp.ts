// ICMP for IPv4 (RFC 792): echo, destination unreachable (with the RFC 1191
// next-hop MTU), time exceeded, parameter problem; other types kept raw.

import { internetChecksum, onesComplementSum } from './checksum.js';
import { checkRoom, checkUint, get16, get32, put16, put32 } from './bytes.js';
import { hex16, wireError, type Parsed } from './errors.js';

/** IP protocol number of ICMP. */
export const IPPROTO_ICMP = 1;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;

/** Destination Unreachable codes (RFC 792, RFC 1122 §3.2.2.1). */
export const ICMP_UNREACH_NET = 0;
export const ICMP_UNREACH_HOST = 1;
export const ICMP_UNREACH_PROTOCOL = 2;
export const ICMP_UNREACH_PORT = 3;
/** Fragmentation needed and DF set: carries the next-hop MTU (RFC 1191 §4). */
export const ICMP_UNREACH_NEEDFRAG = 4;

/**
 * An ICMP message without its checksum. `data`, `original` and `body` are
 * views aliasing the parsed buffer. `original` is the quoted datagram (its IP
 * header and at least 8 bytes beyond, RFC 792; often cut short: parse it with
 * `parseIpv4(original, { allowTruncated: true })`).
 */
export type IcmpMessage =
  | { kind: 'echoRequest' | 'echoReply'; id: number; seq: number; data: Uint8Array }
  /** `nextHopMtu` is meaningful for code 4 only; it is the field's value (zero when unused). */
  | { kind: 'destUnreachable'; code: number; nextHopMtu: number; original: Uint8Array }
  | { kind: 'timeExceeded'; code: number; original: Uint8Array }
  | { kind: 'parameterProblem'; code: number; pointer: number; original: Uint8Array }
  /** Any other type: `rest` is the second 32-bit word of the header, `body` what follows. */
  | { kind: 'other'; type: number; code: number; rest: number; body: Uint8Array };

/** A parsed ICMP packet. */
export interface IcmpPacket {
  type: number;
  code: number;
  checksum: number;
  checksumOk: boolean;
  message: IcmpMessage;
}

export interface IcmpParseOptions {
  /** Report a bad checksum as an error (default true). When false, see `checksumOk`. */
  verifyChecksum?: boolean;
}

const HEADER = 8;

/** Parse an ICMP message (the whole IPv4 payload). Never throws. */
export function parseIcmp(buf: Uint8Array, opts?: IcmpParseOptions): Parsed<IcmpPacket> {
  if (buf.length < HEADER) return wireError('icmp', `truncated: ${buf.length} bytes, header needs ${HEADER}`);
  const type = buf[0]!;
  const code = buf[1]!;
  const checksum = get16(buf, 2);
  const checksumOk = onesComplementSum(buf) === 0xffff;
  if (!checksumOk && opts?.verifyChecksum !== false) {
    const expected = internetChecksum(buf, 4, buf.length, onesComplementSum(buf, 0, 2));
    return wireError('icmp', `bad checksum ${hex16(checksum)}, expected ${hex16(expected)}`);
  }
  const rest = buf.subarray(HEADER);
  let message: IcmpMessage;
  switch (type) {
    case ICMP_ECHO_REQUEST:
    case ICMP_ECHO_REPLY:
      message = {
        kind: type === ICMP_ECHO_REQUEST ? 'echoRequest' : 'echoReply',
        id: get16(buf, 4),
        seq: get16(buf, 6),
        data: rest,
      };
      break;
    case ICMP_DEST_UNREACHABLE:
      message = { kind: 'destUnreachable', code, nextHopMtu: get16(buf, 6), original: rest };
      break;
    case ICMP_TIME_EXCEEDED:
      message = { kind: 'timeExceeded', code, original: rest };
      break;
    case ICMP_PARAMETER_PROBLEM:
      message = { kind: 'parameterProblem', code, pointer: buf[4]!, original: rest };
      break;
    default:
      message = { kind: 'other', type, code, rest: get32(buf, 4), body: rest };
  }
  return { ok: true, value: { type, code, checksum, checksumOk, message } };
}

/** Bytes `emitIcmp` writes for this message. */
export function icmpLength(m: IcmpMessage): number {
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
 * Write an ICMP message with its checksum at out[offset]; returns the bytes
 * written. Unused header bytes are zero. Throws RangeError only on misuse
 * (a field out of range, an `other` message with a type that has its own kind,
 * a buffer too small).
 */
export function emitIcmp(m: IcmpMessage, out: Uint8Array, offset = 0): number {
  const length = icmpLength(m);
  checkRoom(out, offset, length);
  out.fill(0, offset, offset + HEADER);
  let body: Uint8Array;
  switch (m.kind) {
    case 'echoRequest':
    case 'echoReply':
      checkUint('id', m.id, 16);
      checkUint('seq', m.seq, 16);
      out[offset] = m.kind === 'echoRequest' ? ICMP_ECHO_REQUEST : ICMP_ECHO_REPLY;
      put16(out, offset + 4, m.id);
      put16(out, offset + 6, m.seq);
      body = m.data;
      break;
    case 'destUnreachable':
      checkUint('code', m.code, 8);
      checkUint('nextHopMtu', m.nextHopMtu, 16);
      out[offset] = ICMP_DEST_UNREACHABLE;
      out[offset + 1] = m.code;
      put16(out, offset + 6, m.nextHopMtu);
      body = m.original;
      break;
    case 'timeExceeded':
      checkUint('code', m.code, 8);
      out[offset] = ICMP_TIME_EXCEEDED;
      out[offset + 1] = m.code;
      body = m.original;
      break;
    case 'parameterProblem':
      checkUint('code', m.code, 8);
      checkUint('pointer', m.pointer, 8);
      out[offset] = ICMP_PARAMETER_PROBLEM;
      out[offset + 1] = m.code;
      out[offset + 4] = m.pointer;
      body = m.original;
      break;
    case 'other':
      checkUint('type', m.type, 8);
      checkUint('code', m.code, 8);
      checkUint('rest', m.rest, 32);
      if (
        m.type === ICMP_ECHO_REQUEST ||
        m.type === ICMP_ECHO_REPLY ||
        m.type === ICMP_DEST_UNREACHABLE ||
        m.type === ICMP_TIME_EXCEEDED ||
        m.type === ICMP_PARAMETER_PROBLEM
      ) {
        throw new RangeError(`ICMP type ${m.type} has its own message kind`);
      }
      out[offset] = m.type;
      out[offset + 1] = m.code;
      put32(out, offset + 4, m.rest);
      body = m.body;
      break;
  }
  out.set(body, offset + HEADER);
  put16(out, offset + 2, internetChecksum(out, offset, offset + length));
  return length;
}
