// Checksums around a device that offloads them: what a packet needs when it
// leaves the offload path (see NetDevice.checksumOffload).

import { internetChecksum, pseudoHeaderSum } from './checksum.js';
import { get16, put16 } from './bytes.js';
import { IPPROTO_TCP } from './tcp.js';
import { IPPROTO_UDP } from './udp.js';

/**
 * Write the correct TCP or UDP checksum of an IPv4 or IPv6 packet, computed
 * from scratch whatever the field held (a pseudo-header sum left for
 * checksum offload, a full checksum, garbage): for a packet a device
 * vouched for (or sent with a partial checksum) that must now carry a real
 * one, for example before it is impaired on purpose. Returns false,
 * changing nothing, for a packet that is not a whole TCP or UDP datagram
 * behind a plain IPv4 or IPv6 header.
 */
export function fillTransportChecksum(packet: Uint8Array): boolean {
  if (packet.length < 1) return false;
  const version = packet[0]! >>> 4;
  let l3: number;
  let end: number;
  let proto: number;
  let src: Uint8Array;
  let dst: Uint8Array;
  if (version === 4 && packet.length >= 20) {
    proto = packet[9]!;
    l3 = (packet[0]! & 0x0f) * 4;
    end = get16(packet, 2);
    src = packet.subarray(12, 16);
    dst = packet.subarray(16, 20);
  } else if (version === 6 && packet.length >= 40) {
    proto = packet[6]!;
    l3 = 40;
    end = 40 + get16(packet, 4);
    src = packet.subarray(8, 24);
    dst = packet.subarray(24, 40);
  } else return false;
  const field = proto === IPPROTO_TCP ? 16 : proto === IPPROTO_UDP ? 6 : -1;
  if (field < 0 || l3 < 20 || end > packet.length || end < l3 + field + 2) return false;
  put16(packet, l3 + field, 0);
  let sum = internetChecksum(packet, l3, end, pseudoHeaderSum(src, dst, proto, end - l3));
  // RFC 768: a UDP checksum that computes to zero is sent as all ones.
  if (proto === IPPROTO_UDP && sum === 0) sum = 0xffff;
  put16(packet, l3 + field, sum);
  return true;
}
