// What the transport printers need to know about the IP header that carried
// them (tcpdump passes the IP header pointer down for the same reasons).

import { ipv4String, ipv6String, type PrintContext } from './context.js';

export interface IpInfo {
  version: 4 | 6;
  /** Offset of the IP header in the packet. */
  offset: number;
  srcOffset: number;
  dstOffset: number;
  /** Offset of the address the pseudo-header uses as destination (IPv6: after a routing header). */
  pseudoDstOffset: number;
  /** The protocol field of the fixed header (ip_p / ip6_nxt). */
  headerProtocol: number;
}

export function srcString(ctx: PrintContext, ip: IpInfo): string {
  return addrString(ctx, ip, ip.srcOffset);
}

export function dstString(ctx: PrintContext, ip: IpInfo): string {
  return addrString(ctx, ip, ip.dstOffset);
}

function addrString(ctx: PrintContext, ip: IpInfo, off: number): string {
  if (ip.version === 4) {
    ctx.check(off, 4);
    return ipv4String(ctx.data, off);
  }
  ctx.check(off, 16);
  return ipv6String(ctx.data, off);
}

/** The unfolded ones-complement sum of the pseudo-header (RFC 793 §3.1, RFC 8200 §8.1). */
export function pseudoHeaderAcc(ctx: PrintContext, ip: IpInfo, protocol: number, length: number): number {
  const d = ctx.data;
  let s = 0;
  const n = ip.version === 4 ? 4 : 16;
  for (let i = 0; i < n; i += 2) {
    s += (d[ip.srcOffset + i]! << 8) | d[ip.srcOffset + i + 1]!;
    s += (d[ip.pseudoDstOffset + i]! << 8) | d[ip.pseudoDstOffset + i + 1]!;
  }
  if (ip.version === 4) {
    s += protocol + length;
  } else {
    s += (length >>> 16) + (length & 0xffff) + protocol;
  }
  return s;
}
