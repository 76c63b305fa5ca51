// Link-layer headers of captured packets: find where the network layer
// starts and which protocol it is, and keep the link fields a printer shows
// with -e. Never throws; a header cut short gives offset -1.

import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from './capture.js';

export type NetworkProto = 'ipv4' | 'ipv6' | 'other';

export interface VlanTag {
  /** Tag protocol identifier: 0x8100 (802.1Q), 0x88a8 (802.1ad), or the older 0x9100/0x9200. */
  tpid: number;
  /** Priority code point (3 bits). */
  pcp: number;
  /** Drop eligible indicator (1 bit). */
  dei: number;
  /** VLAN identifier (12 bits). */
  vid: number;
}

export interface LinkDecode {
  /** Offset of the network-layer header within data, or -1 if the link header is truncated. */
  offset: number;
  proto: NetworkProto;
  /** The ethertype / AF / protocol number that selected proto (for -e printing and 'other'). */
  ethertype?: number;
  af?: number;
  /** Ethernet: src/dst MAC (6-byte views), VLAN tags [{vid, pcp, dei, tpid}] ; SLL: pkttype, hatype, addr; SLL2: ifindex, pkttype, hatype, addr */
  ethSrc?: Uint8Array;
  ethDst?: Uint8Array;
  /** Outermost tag first. */
  vlans?: VlanTag[];
  sllPktType?: number;
  sllHaType?: number;
  /** The link-layer address, `halen` bytes long (at most 8). */
  sllAddr?: Uint8Array;
  sll2IfIndex?: number;
  /**
   * Length of the link header. When offset is -1 it is the length the header
   * would need (more than data.length).
   */
  headerLength: number;
}

/** Linux DLT_RAW values that some writers put in the linktype field. */
export const DLT_RAW_BSD = 12;
export const DLT_RAW_OPENBSD = 14;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
/** IEEE 802.1Q customer VLAN tag. */
export const ETHERTYPE_8021Q = 0x8100;
/** IEEE 802.1ad service VLAN tag (QinQ). */
export const ETHERTYPE_8021AD = 0x88a8;
/** Pre-standard QinQ tag protocol identifiers, also read as VLAN tags by tcpdump. */
export const ETHERTYPE_8021Q_9100 = 0x9100;
export const ETHERTYPE_8021Q_9200 = 0x9200;

/** BSD loopback address families (the NULL/LOOP 4-byte header). */
export const BSD_AF_INET = 2;
/**
 * Linux AF_INET6. tcpdump 4.99.3 does not treat it as IPv6 on NULL/LOOP
 * links (it prints the header and a hex dump); it is read as IPv6 here, and a
 * printer that must match tcpdump can check `af` itself.
 */
export const AF_INET6_LINUX = 10;
/** AF_INET6 on NetBSD, OpenBSD and BSD/OS. */
export const BSD_AF_INET6_BSD = 24;
export const BSD_AF_INET6_FREEBSD = 28;
export const BSD_AF_INET6_DARWIN = 30;

const ETHER_HEADER_LEN = 14;
const VLAN_TAG_LEN = 4;
const SLL_HEADER_LEN = 16;
const SLL2_HEADER_LEN = 20;
const SLL_ADDR_MAX = 8;

function be16(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}

function be32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

function le32(d: Uint8Array, o: number): number {
  return ((d[o + 3]! << 24) | (d[o + 2]! << 16) | (d[o + 1]! << 8) | d[o]!) >>> 0;
}

function byteSwap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function isVlanTpid(t: number): boolean {
  return t === ETHERTYPE_8021Q || t === ETHERTYPE_8021AD || t === ETHERTYPE_8021Q_9100 || t === ETHERTYPE_8021Q_9200;
}

function protoOfEthertype(t: number): NetworkProto {
  return t === ETHERTYPE_IPV4 ? 'ipv4' : t === ETHERTYPE_IPV6 ? 'ipv6' : 'other';
}

function protoOfAf(af: number): NetworkProto {
  if (af === BSD_AF_INET) return 'ipv4';
  if (af === AF_INET6_LINUX || af === BSD_AF_INET6_BSD || af === BSD_AF_INET6_FREEBSD || af === BSD_AF_INET6_DARWIN) {
    return 'ipv6';
  }
  return 'other';
}

/** The IP version nibble picks the protocol (RAW link types carry no header). */
function protoOfVersion(data: Uint8Array): NetworkProto {
  if (data.length === 0) return 'other';
  const version = data[0]! >> 4;
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : 'other';
}

/**
 * Follow VLAN tags from `at`, where `type` was just read. Returns the final
 * ethertype and the offset after the last tag, or offset -1 (with the length
 * needed) if a tag is cut short.
 */
function readVlanTags(
  data: Uint8Array,
  type: number,
  at: number,
  vlans: VlanTag[],
): { type: number; offset: number; needed: number } {
  while (isVlanTpid(type)) {
    if (data.length < at + VLAN_TAG_LEN) return { type, offset: -1, needed: at + VLAN_TAG_LEN };
    const tci = be16(data, at);
    vlans.push({ tpid: type, pcp: tci >> 13, dei: (tci >> 12) & 1, vid: tci & 0x0fff });
    type = be16(data, at + 2);
    at += VLAN_TAG_LEN;
  }
  return { type, offset: at, needed: at };
}

function decodeEthernet(data: Uint8Array): LinkDecode {
  const out: LinkDecode = { offset: -1, proto: 'other', headerLength: ETHER_HEADER_LEN };
  if (data.length >= 6) out.ethDst = data.subarray(0, 6);
  if (data.length >= 12) out.ethSrc = data.subarray(6, 12);
  if (data.length < ETHER_HEADER_LEN) return out;
  const vlans: VlanTag[] = [];
  const r = readVlanTags(data, be16(data, 12), ETHER_HEADER_LEN, vlans);
  if (vlans.length > 0) out.vlans = vlans;
  out.headerLength = r.needed;
  if (r.offset < 0) return out;
  out.offset = r.offset;
  out.ethertype = r.type;
  // Values up to 1500 are an 802.3 length (LLC follows), not an ethertype.
  out.proto = protoOfEthertype(r.type);
  return out;
}

function decodeNull(data: Uint8Array, networkOrder: boolean): LinkDecode {
  if (data.length < 4) return { offset: -1, proto: 'other', headerLength: 4 };
  let af: number;
  if (networkOrder) {
    af = be32(data, 0);
  } else {
    // DLT_NULL stores the AF in the capturing host's byte order. Read it as
    // a little-endian host would, and swap when the upper 16 bits are set:
    // no address family is that large, so the writer was big-endian.
    af = le32(data, 0);
    if ((af & 0xffff0000) !== 0) af = byteSwap32(af);
  }
  return { offset: 4, proto: protoOfAf(af), af, headerLength: 4 };
}

function decodeSll(data: Uint8Array): LinkDecode {
  // pkttype (2), hatype (2), halen (2), addr (8), protocol (2).
  if (data.length < SLL_HEADER_LEN) return { offset: -1, proto: 'other', headerLength: SLL_HEADER_LEN };
  const halen = be16(data, 4);
  const out: LinkDecode = {
    offset: -1,
    proto: 'other',
    sllPktType: be16(data, 0),
    sllHaType: be16(data, 2),
    sllAddr: data.subarray(6, 6 + Math.min(halen, SLL_ADDR_MAX)),
    headerLength: SLL_HEADER_LEN,
  };
  return finishCooked(data, out, be16(data, 14), SLL_HEADER_LEN);
}

function decodeSll2(data: Uint8Array): LinkDecode {
  // protocol (2), reserved (2), ifindex (4), hatype (2), pkttype (1), halen (1), addr (8).
  if (data.length < SLL2_HEADER_LEN) return { offset: -1, proto: 'other', headerLength: SLL2_HEADER_LEN };
  const halen = data[11]!;
  const out: LinkDecode = {
    offset: -1,
    proto: 'other',
    sll2IfIndex: be32(data, 4),
    sllHaType: be16(data, 8),
    sllPktType: data[10]!,
    sllAddr: data.subarray(12, 12 + Math.min(halen, SLL_ADDR_MAX)),
    headerLength: SLL2_HEADER_LEN,
  };
  return finishCooked(data, out, be16(data, 0), SLL2_HEADER_LEN);
}

/** Linux cooked headers: the protocol is an ethertype, possibly a VLAN tag. */
function finishCooked(data: Uint8Array, out: LinkDecode, protocol: number, at: number): LinkDecode {
  const vlans: VlanTag[] = [];
  const r = readVlanTags(data, protocol, at, vlans);
  if (vlans.length > 0) out.vlans = vlans;
  out.headerLength = r.needed;
  if (r.offset < 0) return out;
  out.offset = r.offset;
  out.ethertype = r.type;
  out.proto = protoOfEthertype(r.type);
  return out;
}

/**
 * Decode the link header of one captured packet. Link types it does not
 * know give offset 0, proto 'other' and headerLength 0.
 */
export function decodeLink(linktype: number, data: Uint8Array): LinkDecode {
  switch (linktype) {
    case LINKTYPE_NULL:
      return decodeNull(data, false);
    case LINKTYPE_LOOP:
      return decodeNull(data, true);
    case LINKTYPE_ETHERNET:
      return decodeEthernet(data);
    case LINKTYPE_RAW:
    case DLT_RAW_BSD:
    case DLT_RAW_OPENBSD:
      return { offset: 0, proto: protoOfVersion(data), headerLength: 0 };
    case LINKTYPE_IPV4:
      return { offset: 0, proto: 'ipv4', headerLength: 0 };
    case LINKTYPE_IPV6:
      return { offset: 0, proto: 'ipv6', headerLength: 0 };
    case LINKTYPE_LINUX_SLL:
      return decodeSll(data);
    case LINKTYPE_LINUX_SLL2:
      return decodeSll2(data);
    default:
      return { offset: 0, proto: 'other', headerLength: 0 };
  }
}
