// Cutting a TCP super-segment into segments, as Linux's GSO (and a NIC's
// TSO) does: what a device with segmentation offload hands over in one
// piece (a virtio_net_hdr with GSO_TCPV4/TCPV6 on a TUN) becomes the
// segments it stands for, for a receiver that takes one segment at a time.
//
// Every segment gets the super-segment's IP and TCP headers, `gsoSize`
// payload bytes (the last may have fewer), its own sequence number and
// lengths, the IPv4 identification counted up from the super-segment's,
// PSH and FIN on the last segment only, CWR on the first only (RFC 3168
// §6.1.2: CWR is set on one segment), and a fresh IPv4 header checksum.
// The TCP checksum is the kind the super-segment carried on an offload
// path: the pseudo-header sum for the segment's own length (a receiver
// told that the device vouches for it does not verify it).

import { get16, get32, put16, put32 } from './bytes.js';
import { internetChecksum, pseudoHeaderSum } from './checksum.js';
import { Slab } from './slab.js';
import { CWR, FIN, PSH } from './tcp-types.js';
import { IPPROTO_TCP } from './tcp.js';

/** The IP and TCP header lengths of a whole TCP packet behind a plain IPv4 or IPv6 header, or undefined. */
function tcpHeaders(p: Uint8Array): { l3: number; headers: number } | undefined {
  if (p.length < 1) return undefined;
  const version = p[0]! >>> 4;
  let l3: number;
  if (version === 4 && p.length >= 20) {
    l3 = (p[0]! & 0x0f) * 4;
    if (l3 < 20 || p[9] !== IPPROTO_TCP || get16(p, 2) !== p.length || (get16(p, 6) & 0x3fff) !== 0) return undefined;
  } else if (version === 6 && p.length >= 40) {
    l3 = 40;
    if (p[6] !== IPPROTO_TCP || 40 + get16(p, 4) !== p.length) return undefined;
  } else {
    return undefined;
  }
  if (p.length < l3 + 20) return undefined;
  const headers = l3 + (p[l3 + 12]! >>> 4) * 4;
  if (headers < l3 + 20 || headers > p.length) return undefined;
  return { l3, headers };
}

/**
 * Cut `packet`, a TCP super-segment whose pieces carry `gsoSize` payload
 * bytes, handing each segment to `each` in order, in a fresh buffer from
 * `slab` (the receiver owns it). Returns the number of segments, or 0,
 * handing nothing over, when `packet` is not a whole TCP packet behind a
 * plain IPv4 or IPv6 header with more payload than `gsoSize`, or `gsoSize`
 * is 0.
 */
export function cutSuperSegment(packet: Uint8Array, gsoSize: number, slab: Slab, each: (segment: Uint8Array) => void): number {
  const h = tcpHeaders(packet);
  if (h === undefined || !Number.isInteger(gsoSize) || gsoSize < 1) return 0;
  const { l3, headers } = h;
  const payload = packet.length - headers;
  if (payload <= gsoSize) return 0;
  const v4 = packet[0]! >>> 4 === 4;
  const src = v4 ? packet.subarray(12, 16) : packet.subarray(8, 24);
  const dst = v4 ? packet.subarray(16, 20) : packet.subarray(24, 40);
  const seq = get32(packet, l3 + 4);
  const id = v4 ? get16(packet, 4) : 0;
  const flags = packet[l3 + 13]!;
  let count = 0;
  for (let off = 0; off < payload; off += gsoSize, count++) {
    const n = Math.min(gsoSize, payload - off);
    const seg = slab.alloc(headers + n);
    seg.set(packet.subarray(0, headers));
    seg.set(packet.subarray(headers + off, headers + off + n), headers);
    if (v4) {
      put16(seg, 2, headers + n);
      put16(seg, 4, (id + count) & 0xffff);
      put16(seg, 10, 0);
      put16(seg, 10, internetChecksum(seg, 0, l3));
    } else {
      put16(seg, 4, headers + n - 40);
    }
    put32(seg, l3 + 4, (seq + off) >>> 0);
    let f = flags;
    if (off + n < payload) f &= ~(PSH | FIN);
    if (count > 0) f &= ~CWR;
    seg[l3 + 13] = f;
    put16(seg, l3 + 16, pseudoHeaderSum(src, dst, IPPROTO_TCP, headers - l3 + n));
    each(seg);
  }
  return count;
}
