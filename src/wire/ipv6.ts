// IPv6 header view and builder (RFC 8200), with the extension-header chain,
// and RFC 5952 address text.

import { checkAddress, checkRoom, checkUint, get16, get32, put16, put32 } from './bytes.js';
import { wireError, type Parsed } from './errors.js';
import { formatIpv4, parseIpv4Address } from './ipv4.js';

/** Next Header values of the extension headers this parser walks (IANA). */
export const IPV6_HOP_BY_HOP = 0;
export const IPV6_ROUTING = 43;
export const IPV6_FRAGMENT = 44;
export const IPV6_ESP = 50;
export const IPV6_AH = 51;
export const IPV6_NO_NEXT_HEADER = 59;
export const IPV6_DEST_OPTIONS = 60;

/** One extension header in the chain; `offset` is from the start of the IPv6 packet. */
export interface Ipv6ExtHeader {
  type: number;
  offset: number;
  length: number;
}

/** The Fragment header's fields (RFC 8200 §4.5). */
export interface Ipv6FragmentInfo {
  /** Offset of this fragment's data in the original packet's fragmentable part, in bytes. */
  offset: number;
  /** More Fragments. */
  M: boolean;
  identification: number;
  /** Next Header of the Fragment header: the first header of the fragmentable part. */
  nextHeader: number;
  /** Where the Fragment header starts (from the start of the IPv6 packet). */
  headerOffset: number;
}

/**
 * A parsed IPv6 packet. `src`, `dst`, `finalDestination` and `payload` are
 * views aliasing the buffer given to `parseIpv6`: copy before it is reused.
 */
export interface Ipv6Packet {
  version: 6;
  trafficClass: number;
  /** High six bits of the traffic class (RFC 2474). */
  dscp: number;
  /** Low two bits of the traffic class (RFC 3168). */
  ecn: number;
  flowLabel: number;
  /** Bytes after the fixed 40-byte header, extension headers included. */
  payloadLength: number;
  /** Next Header of the fixed header. */
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** The extension headers walked, in order. */
  extHeaders: Ipv6ExtHeader[];
  /**
   * The protocol after the extension headers (6 TCP, 17 UDP, 58 ICMPv6, 59
   * nothing, 50 ESP...). For a non-first fragment this is the Fragment header's
   * Next Header and the bytes that follow are a continuation, not its header.
   */
  upperProtocol: number;
  /** Offset of the upper-layer data from the start of the packet. */
  upperOffset: number;
  /**
   * The upper-layer bytes: from `upperOffset` to the end given by
   * payloadLength (link padding excluded; with `allowTruncated`, to the end of
   * what was captured if that is shorter).
   */
  payload: Uint8Array;
  fragment: Ipv6FragmentInfo | undefined;
  /** True when a Fragment header is present that is not an atomic fragment (offset 0 and M clear). */
  isFragment: boolean;
  /**
   * The destination for the upper-layer pseudo-header (RFC 8200 §8.1): `dst`,
   * unless a Routing header still has segments left, in which case the final
   * address it names (the last address for types 0 and 2, Segment List[0] for
   * a type 4 Segment Routing Header, RFC 8754). Other routing types with
   * segments left cannot be interpreted and leave `dst`.
   */
  finalDestination: Uint8Array;
}

const HEADER = 40;

export interface Ipv6ParseOptions {
  /**
   * Accept a packet cut short after its fixed header, as quoted in an ICMPv6
   * error (RFC 4443 §2.4 (c)): the extension headers are walked and `payload`
   * taken only within the captured bytes.
   */
  allowTruncated?: boolean;
}

function extName(type: number): string {
  switch (type) {
    case IPV6_HOP_BY_HOP:
      return 'hop-by-hop options';
    case IPV6_ROUTING:
      return 'routing';
    case IPV6_FRAGMENT:
      return 'fragment';
    case IPV6_AH:
      return 'authentication';
    default:
      return 'destination options';
  }
}

/**
 * Parse and validate an IPv6 packet at the start of `buf`, walking its
 * extension headers. Never throws. Jumbograms (RFC 2675, payload length 0
 * with a Jumbo Payload option) are not supported.
 */
export function parseIpv6(buf: Uint8Array, opts?: Ipv6ParseOptions): Parsed<Ipv6Packet> {
  if (buf.length < HEADER) return wireError('ipv6', `truncated: ${buf.length} bytes, header needs ${HEADER}`);
  const version = buf[0]! >>> 4;
  if (version !== 6) return wireError('ipv6', `bad version ${version}`);
  const payloadLength = get16(buf, 4);
  if (HEADER + payloadLength > buf.length && !opts?.allowTruncated) {
    return wireError('ipv6', `payload length ${payloadLength} > ${buf.length - HEADER} captured`);
  }
  const end = Math.min(HEADER + payloadLength, buf.length);
  const dst = buf.subarray(24, 40);
  const extHeaders: Ipv6ExtHeader[] = [];
  let finalDestination = dst;
  let fragment: Ipv6FragmentInfo | undefined;
  let next = buf[6]!;
  let off = HEADER;
  walk: for (;;) {
    switch (next) {
      case IPV6_HOP_BY_HOP:
      case IPV6_ROUTING:
      case IPV6_DEST_OPTIONS:
      case IPV6_AH: {
        // RFC 8200 §4.3: Hop-by-Hop Options may only follow the fixed header.
        if (next === IPV6_HOP_BY_HOP && off !== HEADER) {
          return wireError('ipv6', `hop-by-hop options header at offset ${off}: allowed only first`);
        }
        const name = extName(next);
        if (end - off < 2) {
          return wireError('ipv6', `${name} header at offset ${off} truncated: ${end - off} bytes left, needs 2`);
        }
        // RFC 8200 §4.3-4.6: length in 8-octet units not counting the first;
        // RFC 4302 §2.2: AH counts 4-octet units, minus 2.
        const len = next === IPV6_AH ? (buf[off + 1]! + 2) * 4 : (buf[off + 1]! + 1) * 8;
        if (off + len > end) {
          return wireError('ipv6', `${name} header at offset ${off} length ${len} runs past the end (${end - off} bytes left)`);
        }
        if (next === IPV6_ROUTING) {
          const r = routingFinalDestination(buf, off);
          if (typeof r === 'string') return wireError('ipv6', r);
          if (r) finalDestination = r;
        }
        extHeaders.push({ type: next, offset: off, length: len });
        next = buf[off]!;
        off += len;
        break;
      }
      case IPV6_FRAGMENT: {
        if (end - off < 8) {
          return wireError('ipv6', `fragment header at offset ${off} truncated: ${end - off} bytes left, needs 8`);
        }
        const w = get16(buf, off + 2);
        fragment = {
          offset: w & 0xfff8,
          M: (w & 1) !== 0,
          identification: get32(buf, off + 4),
          nextHeader: buf[off]!,
          headerOffset: off,
        };
        extHeaders.push({ type: IPV6_FRAGMENT, offset: off, length: 8 });
        next = buf[off]!;
        off += 8;
        // A non-first fragment carries a continuation of the fragmentable
        // part: what follows is data, not headers.
        if (fragment.offset !== 0) break walk;
        break;
      }
      default:
        break walk;
    }
  }
  return {
    ok: true,
    value: {
      version: 6,
      trafficClass: ((buf[0]! & 0x0f) << 4) | (buf[1]! >>> 4),
      dscp: ((buf[0]! & 0x0f) << 2) | (buf[1]! >>> 6),
      ecn: (buf[1]! >>> 4) & 0x03,
      flowLabel: ((buf[1]! & 0x0f) << 16) | get16(buf, 2),
      payloadLength,
      nextHeader: buf[6]!,
      hopLimit: buf[7]!,
      src: buf.subarray(8, 24),
      dst,
      extHeaders,
      upperProtocol: next,
      upperOffset: off,
      payload: buf.subarray(off, end),
      fragment,
      isFragment: fragment !== undefined && (fragment.offset !== 0 || fragment.M),
      finalDestination,
    },
  };
}

/**
 * The final destination a Routing header at `off` names while it has segments
 * left, undefined when it names none we can read, or a reason string when it
 * is malformed. The header is known to fit.
 */
function routingFinalDestination(buf: Uint8Array, off: number): Uint8Array | undefined | string {
  const hdrExtLen = buf[off + 1]!;
  const routingType = buf[off + 2]!;
  const segmentsLeft = buf[off + 3]!;
  if (segmentsLeft === 0) return undefined;
  if (routingType === 0 || routingType === 2) {
    // RFC 5095 (type 0, deprecated) and RFC 6275 §6.4 (type 2): addresses
    // follow 4 reserved bytes; the last one is the final destination.
    if (hdrExtLen % 2 !== 0 || hdrExtLen === 0) {
      return `routing header type ${routingType} at offset ${off}: length ${hdrExtLen} is not a whole number of addresses`;
    }
    const n = hdrExtLen / 2;
    if (segmentsLeft > n) {
      return `routing header type ${routingType} at offset ${off}: segments left ${segmentsLeft} > ${n} addresses`;
    }
    const a = off + 8 + 16 * (n - 1);
    return buf.subarray(a, a + 16);
  }
  if (routingType === 4) {
    // RFC 8754 §2: Segment List[0] is the last segment of the path.
    if (hdrExtLen < 2) return `routing header type 4 at offset ${off}: length ${hdrExtLen} holds no segment`;
    return buf.subarray(off + 8, off + 24);
  }
  return undefined;
}

/** The fields of the fixed IPv6 header that `emitIpv6` writes. */
export interface Ipv6Fields {
  trafficClass?: number;
  flowLabel?: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
}

/**
 * Write the fixed 40-byte IPv6 header at out[offset] for `payloadLength`
 * bytes that follow (extension headers included). Returns 40. Throws
 * RangeError only on misuse.
 */
export function emitIpv6(fields: Ipv6Fields, payloadLength: number, out: Uint8Array, offset = 0): number {
  const tc = fields.trafficClass ?? 0;
  const fl = fields.flowLabel ?? 0;
  checkUint('trafficClass', tc, 8);
  checkUint('flowLabel', fl, 20);
  checkUint('payloadLength', payloadLength, 16);
  checkUint('nextHeader', fields.nextHeader, 8);
  checkUint('hopLimit', fields.hopLimit, 8);
  checkAddress('src', fields.src, 16);
  checkAddress('dst', fields.dst, 16);
  checkRoom(out, offset, HEADER);
  put32(out, offset, ((6 << 28) | (tc << 20) | fl) >>> 0);
  put16(out, offset + 4, payloadLength);
  out[offset + 6] = fields.nextHeader;
  out[offset + 7] = fields.hopLimit;
  out.set(fields.src, offset + 8);
  out.set(fields.dst, offset + 24);
  return HEADER;
}

/**
 * Write an 8-byte Fragment header (RFC 8200 §4.5) at out[offset]. `fragOffset`
 * is in bytes and must be a multiple of 8. Returns 8.
 */
export function emitIpv6FragmentHeader(
  frag: { nextHeader: number; offset: number; M: boolean; identification: number },
  out: Uint8Array,
  offset = 0,
): number {
  checkUint('nextHeader', frag.nextHeader, 8);
  if (frag.offset % 8 !== 0) throw new RangeError(`fragment offset must be a multiple of 8, got ${frag.offset}`);
  checkUint('fragment offset / 8', frag.offset / 8, 13);
  checkUint('identification', frag.identification, 32);
  checkRoom(out, offset, 8);
  out[offset] = frag.nextHeader;
  out[offset + 1] = 0;
  put16(out, offset + 2, frag.offset | (frag.M ? 1 : 0));
  put32(out, offset + 4, frag.identification);
  return 8;
}

/**
 * RFC 5952 text of a 16-byte address: lowercase hex without leading zeros,
 * the longest run of two or more zero words shortened to `::` (the first such
 * run on a tie), and IPv4-mapped addresses (::ffff:0:0/96) written with the
 * IPv4 part in dotted decimal (RFC 5952 §5).
 */
export function formatIpv6Address(addr: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(get16(addr, i));
  let bestStart = -1;
  let bestLen = 1; // a lone zero word is never shortened (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    words
      .slice(from, to)
      .map((w) => w.toString(16))
      .join(':');
  if (bestStart === 0 && bestLen === 5 && words[5] === 0xffff) {
    return '::ffff:' + formatIpv4(addr.subarray(12, 16));
  }
  if (bestStart < 0) return hex(0, 8);
  return hex(0, bestStart) + '::' + hex(bestStart + bestLen, 8);
}

/**
 * Parse IPv6 address text (RFC 4291 §2.2): eight hex words, at most one `::`
 * standing for one or more zero words, and optionally a dotted-decimal IPv4
 * address as the last 32 bits. Zone identifiers are refused.
 */
export function parseIpv6Address(text: string): Parsed<Uint8Array> {
  const bad = (why: string): Parsed<Uint8Array> => wireError('ipv6', `bad address ${JSON.stringify(text)}: ${why}`);
  if (text.includes('%')) return bad('zone identifiers are not supported');
  const halves = text.split('::');
  if (halves.length > 2) return bad('more than one "::"');
  const compressed = halves.length === 2;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = compressed ? groups(halves[1]!) : [];
  const words: number[][] = [[], []];
  const sides = [head, tail];
  const lastSide = compressed ? 1 : 0;
  for (let s = 0; s < 2; s++) {
    const side = sides[s]!;
    for (let i = 0; i < side.length; i++) {
      const g = side[i]!;
      if (s === lastSide && i === side.length - 1 && g.includes('.')) {
        const v4 = parseIpv4Address(g);
        if (!v4.ok) return bad(`bad embedded IPv4 address ${JSON.stringify(g)}`);
        const b = v4.value;
        words[s]!.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        words[s]!.push(parseInt(g, 16));
      } else {
        return bad(`group ${JSON.stringify(g)} is not 1 to 4 hex digits`);
      }
    }
  }
  const count = words[0]!.length + words[1]!.length;
  if (compressed ? count > 7 : count !== 8) {
    return bad(compressed ? `${count} groups leave nothing for "::"` : `${count} groups, expected 8`);
  }
  const all = [...words[0]!, ...new Array<number>(8 - count).fill(0), ...words[1]!];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) put16(out, 2 * i, all[i]!);
  return { ok: true, value: out };
}
