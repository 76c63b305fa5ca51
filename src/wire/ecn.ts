// ECN codepoints in the IP header (RFC 3168 §5), as a congested router
// sets them.

import { incrementalUpdate } from './checksum.js';

/**
 * Mark an ECN-capable IPv4 or IPv6 packet CE in place (the IPv4 header
 * checksum updated by RFC 1624); false for a packet that is not ECT.
 */
export function markCe(p: Uint8Array): boolean {
  if (p.length < 20) return false;
  const version = p[0]! >>> 4;
  if (version === 4) {
    const ecn = p[1]! & 3;
    if (ecn === 0 || ecn === 3) return false;
    const oldWord = (p[0]! << 8) | p[1]!;
    p[1] = p[1]! | 3;
    const sum = incrementalUpdate((p[10]! << 8) | p[11]!, oldWord, (p[0]! << 8) | p[1]!);
    p[10] = sum >>> 8;
    p[11] = sum & 0xff;
    return true;
  }
  if (version === 6 && p.length >= 40) {
    // Traffic class: the low nibble of byte 0 and the high nibble of byte 1; ECN is its low two bits.
    const ecn = (p[1]! >>> 4) & 3;
    if (ecn === 0 || ecn === 3) return false;
    p[1] = p[1]! | 0x30;
    return true;
  }
  return false;
}
