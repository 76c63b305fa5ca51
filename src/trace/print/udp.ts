// UDP one-liners (RFC 768), with the checksum notes tcpdump adds under -vv
// (IPv4) or -v (IPv6, where the checksum is mandatory).

import { cksumResult, cksumShouldBe, hex4, sumBytes, type PrintContext } from './context.js';
import { dstString, pseudoHeaderAcc, srcString, type IpInfo } from './ipinfo.js';
import type { PrintOptions } from './options.js';
import { dnsQueryPrint } from './dns.js';

function addrs(ctx: PrintContext, ip: IpInfo, sport: number, dport: number): void {
  if (ip.headerProtocol === 17) {
    if (sport < 0) ctx.out(`${srcString(ctx, ip)} > ${dstString(ctx, ip)}: `);
    else ctx.out(`${srcString(ctx, ip)}.${sport} > ${dstString(ctx, ip)}.${dport}: `);
  } else if (sport >= 0) {
    ctx.out(`${sport} > ${dport}: `);
  }
}

export function udpPrint(ctx: PrintContext, opts: PrintOptions, bp: number, length: number, ip: IpInfo, fragmented: boolean): void {
  ctx.protocol = 'udp';
  if (!ctx.has(bp, 4)) {
    addrs(ctx, ip, -1, -1);
    ctx.printTrunc();
    return;
  }
  const sport = ctx.u16(bp);
  const dport = ctx.u16(bp + 2);
  if (length < 8) {
    addrs(ctx, ip, sport, dport);
    ctx.out(`truncated-udp ${length}`);
    return;
  }
  if (!ctx.has(bp + 4, 2)) {
    addrs(ctx, ip, sport, dport);
    ctx.printTrunc();
    return;
  }
  let ulen = ctx.u16(bp + 4);
  if (ulen === 0 && length > 65535) ulen = length;
  if (ulen < 8) {
    addrs(ctx, ip, sport, dport);
    ctx.out(`truncated-udplength ${ulen}`);
    return;
  }
  ulen -= 8;
  length -= 8;
  if (ulen < length) length = ulen;
  const cp = bp + 8;
  if (cp > ctx.snapend) {
    addrs(ctx, ip, sport, dport);
    ctx.printTrunc();
    return;
  }
  addrs(ctx, ip, sport, dport);
  if (opts.verbose > 0 && !fragmented) {
    if (ip.version === 4 && opts.verbose > 1) {
      const field = ctx.u16(bp + 6);
      if (field === 0) ctx.out('[no cksum] ');
      else if (ctx.has(cp, length)) note(ctx, ip, bp, length + 8, field);
    } else if (ip.version === 6 && ctx.has(cp, length)) {
      note(ctx, ip, bp, length + 8, ctx.u16(bp + 6));
    }
  }
  if (!opts.quiet && (sport === 53 || dport === 53)) {
    ctx.protocol = 'domain';
    if (dnsQueryPrint(ctx, cp, length)) return;
    ctx.protocol = 'udp';
  }
  if (ulen > length && !fragmented) ctx.out(`UDP, bad length ${ulen} > ${length}`);
  else ctx.out(`UDP, length ${ulen}`);
}

function note(ctx: PrintContext, ip: IpInfo, bp: number, len: number, field: number): void {
  const result = cksumResult(sumBytes(ctx.data, bp, bp + len, pseudoHeaderAcc(ctx, ip, 17, len)));
  if (result !== 0) ctx.out(`[bad udp cksum 0x${hex4(field)} -> 0x${hex4(cksumShouldBe(field, result))}!] `);
  else ctx.out('[udp sum ok] ');
}
