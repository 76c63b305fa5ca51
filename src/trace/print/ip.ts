// IPv4 (RFC 791) and IPv6 (RFC 8200) as tcpdump 4.99.3 prints them, and the
// demultiplexer that hands the payload to the transport printers.

import { cksumResult, cksumShouldBe, ipv4String, ipv6String, sumBytes, type PrintContext } from './context.js';
import { icmpPrint } from './icmp.js';
import { icmp6Print } from './icmp6.js';
import type { IpInfo } from './ipinfo.js';
import type { PrintOptions } from './options.js';
import type { PacketPrinters } from './printers.js';
import { tcpPrint, type TcpSeqTable } from './tcp.js';
import { udpPrint } from './udp.js';

const PROTO_NAMES = new Map<number, string>([
  [0, 'Options'], [1, 'ICMP'], [2, 'IGMP'], [4, 'IPIP'], [6, 'TCP'], [8, 'EGP'], [9, 'IGRP'], [17, 'UDP'],
  [33, 'DCCP'], [41, 'IPv6'], [43, 'Routing'], [44, 'Fragment'], [46, 'RSVP'], [47, 'GRE'], [50, 'ESP'], [51, 'AH'],
  [55, 'Mobile IP'], [58, 'ICMPv6'], [62, 'Mobile IP (old)'], [88, 'EIGRP'], [89, 'OSPF'], [103, 'PIM'],
  [108, 'Compressed IP'], [112, 'VRRP'], [113, 'PGM'], [132, 'SCTP'], [135, 'Mobility'], [143, 'Ethernet'],
]);

const IP_OPTION_NAMES = new Map<number, string>([
  [0, 'EOL'], [1, 'NOP'], [68, 'timestamp'], [130, 'security'], [7, 'RR'], [137, 'SSRR'], [131, 'LSRR'], [148, 'RA'], [82, 'traceroute'],
]);

export function protoName(p: number): string {
  return PROTO_NAMES.get(p) ?? 'unknown';
}

/** Reported by an options printer that ran out of captured bytes. */
class OptionTrunc extends Error {}

export class IpPrinter implements PacketPrinters {
  constructor(
    private readonly ctx: PrintContext,
    private readonly opts: PrintOptions,
    private readonly seqTable: TcpSeqTable,
  ) {}

  /** An IP packet whose version nibble selects the printer (raw IP link types). */
  ip(off: number, length: number): void {
    const v = this.ctx.u8(off) >> 4;
    if (v === 6) this.ipv6(off, length);
    else if (v === 4) this.ipv4(off, length);
    else {
      this.ctx.out(`IP${v}`);
      this.ctx.out(' (invalid)');
    }
  }

  ipv4(off: number, length: number): void {
    const { ctx, opts } = this;
    ctx.protocol = 'ip';
    const v = ctx.u8(off) >> 4;
    if (v !== 4) {
      ctx.out(v === 6 ? 'IP6, wrong link-layer encapsulation' : `IP${v}`);
      ctx.out(' (invalid)');
      return;
    }
    if (!opts.linkHeader) ctx.out('IP ');
    ctx.check(off, 20);
    if (length < 20) {
      ctx.out(`truncated-ip ${length}`);
      return;
    }
    const hlen = (ctx.u8(off) & 0x0f) * 4;
    if (hlen < 20) {
      ctx.out(`bad-hlen ${hlen}`);
      return;
    }
    let len = ctx.u16(off + 2);
    if (length < len) ctx.out(`truncated-ip - ${len - length} bytes missing! `);
    if (len < hlen) {
      ctx.out(`bad-len ${len}`);
      return;
    }
    ctx.pushSnaplen(off, len);
    try {
      len -= hlen;
      const fragField = ctx.u16(off + 6);
      const proto = ctx.u8(off + 9);
      const src = ipv4String(ctx.data, off + 12);
      const dst = ipv4String(ctx.data, off + 16);
      if (opts.verbose > 0) {
        const tos = ctx.u8(off + 1);
        let s = `(tos 0x${tos.toString(16)}`;
        s += ['', ',ECT(1)', ',ECT(0)', ',CE'][tos & 3]!;
        const ttl = ctx.u8(off + 8);
        if (ttl >= 1) s += `, ttl ${ttl}`;
        const fl: string[] = [];
        if (fragField & 0x2000) fl.push('+');
        if (fragField & 0x4000) fl.push('DF');
        if (fragField & 0x8000) fl.push('rsvd');
        s += `, id ${ctx.u16(off + 4)}, offset ${(fragField & 0x1fff) * 8}, flags [${fl.length ? fl.join(', ') : 'none'}]`;
        s += `, proto ${protoName(proto)} (${proto}), length ${ctx.u16(off + 2)}`;
        ctx.out(s);
        let truncated = false;
        if (hlen > 20) {
          ctx.out(', options (');
          if (!this.ipOptions(off + 20, hlen - 20)) {
            ctx.out(' [truncated-option]');
            truncated = true;
          }
          ctx.out(')');
        }
        if (off + hlen <= ctx.snapend) {
          const result = cksumResult(sumBytes(ctx.data, off, off + hlen));
          if (result !== 0) {
            const field = ctx.u16(off + 10);
            ctx.out(`, bad cksum ${field.toString(16)} (->${cksumShouldBe(field, result).toString(16)})!`);
          }
        }
        ctx.out(')\n    ');
        if (truncated) {
          ctx.out(`${src} > ${dst}: `);
          ctx.printTrunc();
          return;
        }
      }
      if ((fragField & 0x1fff) === 0) {
        if (proto !== 6 && proto !== 17 && proto !== 132 && proto !== 33) ctx.out(`${src} > ${dst}: `);
        if (!ctx.has(off, hlen)) {
          ctx.out(` [remaining caplen(${Math.max(0, ctx.snapend - off)}) < header length(${hlen})]`);
          ctx.check(off, hlen);
        }
        const info: IpInfo = { version: 4, offset: off, srcOffset: off + 12, dstOffset: off + 16, pseudoDstOffset: off + 16, headerProtocol: proto };
        this.demux(off + hlen, len, info, (fragField & 0x2000) !== 0, proto);
      } else {
        ctx.out(`${src} > ${dst}: ip-proto-${proto}`);
      }
    } finally {
      ctx.popSnaplen();
    }
  }

  /** IPv4 options under -v; false if the capture ended inside them. */
  private ipOptions(cp: number, length: number): boolean {
    const { ctx } = this;
    let sep = '';
    try {
      while (length > 0) {
        ctx.out(sep);
        sep = ',';
        const code = ctx.u8(cp);
        ctx.out(IP_OPTION_NAMES.get(code) ?? `unknown ${code}`);
        let optLen: number;
        if (code === 0 || code === 1) optLen = 1;
        else {
          optLen = ctx.u8(cp + 1);
          if (optLen < 2) {
            ctx.out(` [bad length ${optLen}]`);
            return true;
          }
        }
        if (optLen > length) {
          ctx.out(` [bad length ${optLen}]`);
          return true;
        }
        if (!ctx.has(cp, optLen)) throw new OptionTrunc();
        if (code === 0) return true;
        if (code === 7 || code === 131 || code === 137) this.route(cp, optLen);
        else if (code === 148) {
          if (optLen < 4) ctx.out(` [bad length ${optLen}]`);
          else if (ctx.u16(cp + 2) !== 0) ctx.out(` value ${ctx.u16(cp + 2)}`);
        }
        cp += optLen;
        length -= optLen;
      }
    } catch (e) {
      if (e instanceof OptionTrunc) return false;
      throw e;
    }
    return true;
  }

  private route(cp: number, length: number): void {
    const { ctx } = this;
    if (length < 3) {
      ctx.out(` [bad length ${length}]`);
      return;
    }
    if ((length + 1) & 3) ctx.out(` [bad length ${length}]`);
    const ptr = ctx.u8(cp + 2) - 1;
    if (ptr < 3 || (ptr + 1) & 3 || ptr > length + 1) ctx.out(` [bad ptr ${ctx.u8(cp + 2)}]`);
    for (let len = 3; len < length; len += 4) {
      if (!ctx.has(cp + len, 4)) throw new OptionTrunc();
      ctx.out(` ${ipv4String(ctx.data, cp + len)}`);
      if (ptr > len) ctx.out(',');
    }
  }

  ipv6(off: number, length: number): void {
    const { ctx, opts } = this;
    ctx.protocol = 'ip6';
    ctx.check(off, 40);
    if (length < 40) {
      ctx.out(`truncated-ip6 ${length}`);
      return;
    }
    if (!opts.linkHeader) ctx.out('IP6 ');
    const v = ctx.u8(off) >> 4;
    if (v !== 6) {
      ctx.out(`version error: ${v} != 6`);
      return;
    }
    let payloadLen = ctx.u16(off + 4);
    let len: number;
    if (payloadLen !== 0) {
      len = payloadLen + 40;
      if (length < len) ctx.out(`truncated-ip6 - ${len - length} bytes missing!`);
    } else {
      len = length + 40;
    }
    let nh = ctx.u8(off + 6);
    if (opts.verbose > 0) {
      const flow = ctx.u32(off);
      ctx.out('(');
      if (flow & 0x0ff00000) ctx.out(`class 0x${((flow & 0x0ff00000) >>> 20).toString(16).padStart(2, '0')}, `);
      if (flow & 0x000fffff) ctx.out(`flowlabel 0x${(flow & 0x000fffff).toString(16).padStart(5, '0')}, `);
      ctx.out(`hlim ${ctx.u8(off + 7)}, next-header ${protoName(nh)} (${nh}) payload length: ${payloadLen}) `);
    }
    ctx.pushSnaplen(off, len);
    try {
      const src = ipv6String(ctx.data, off + 8);
      const dst = ipv6String(ctx.data, off + 24);
      let cp = off;
      let advance = 40;
      let totalAdvance = 0;
      let foundExt = false;
      let foundHbh = false;
      let fragmented = false;
      let ph = 255;
      while (cp < ctx.snapend && advance > 0) {
        if (len < advance) {
          ctx.printTrunc();
          return;
        }
        cp += advance;
        len -= advance;
        totalAdvance += advance;
        if (cp === off + 40 && nh !== 6 && nh !== 17 && nh !== 33 && nh !== 132) ctx.out(`${src} > ${dst}: `);
        switch (nh) {
          case 0: {
            if (foundHbh) {
              ctx.out('[The Hop-by-Hop Options header was already found] (invalid)');
              return;
            }
            if (ph !== 255) {
              ctx.out("[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)");
              return;
            }
            const r = this.optionsHeader(cp, 'hbhopt', 'HBH ', true);
            if (r.jumbo !== undefined && payloadLen === 0) payloadLen = r.jumbo;
            if (payloadLen === 0 && r.jumbo === undefined) {
              ctx.out('[No valid Jumbo Payload Hop-by-Hop option found] (invalid)');
              return;
            }
            if (r.advance < 0) return;
            advance = r.advance;
            foundExt = true;
            foundHbh = true;
            nh = ctx.u8(cp);
            break;
          }
          case 60: {
            const r = this.optionsHeader(cp, 'dstopt', 'DSTOPT ', opts.verbose > 0);
            if (r.advance < 0) return;
            advance = r.advance;
            foundExt = true;
            nh = ctx.u8(cp);
            break;
          }
          case 44: {
            advance = this.fragment(cp, off);
            if (advance < 0 || ctx.snapend <= cp + advance) return;
            foundExt = true;
            nh = ctx.u8(cp);
            fragmented = true;
            break;
          }
          case 43: {
            ctx.check(cp, 1);
            advance = this.routing(cp);
            if (advance < 0) return;
            foundExt = true;
            nh = ctx.u8(cp);
            break;
          }
          default: {
            if (payloadLen === 0 && !foundExt) {
              len = 40;
              ctx.changeSnaplen(off, len);
              len -= totalAdvance;
            } else if (payloadLen === 0 && foundExt) {
              ctx.printTrunc();
              return;
            }
            const info: IpInfo = { version: 6, offset: off, srcOffset: off + 8, dstOffset: off + 24, pseudoDstOffset: off + 24, headerProtocol: ctx.u8(off + 6) };
            this.demux(cp, len, info, fragmented, nh);
            return;
          }
        }
        ph = nh;
        ctx.protocol = 'ip6';
      }
    } finally {
      ctx.popSnaplen();
    }
  }

  /** Hop-by-hop or destination options (RFC 8200 §4.3, §4.6). */
  private optionsHeader(cp: number, proto: string, label: string, printOpts: boolean): { advance: number; jumbo?: number } {
    const { ctx, opts } = this;
    ctx.protocol = proto;
    const hlen = (ctx.u8(cp + 1) + 1) << 3;
    if (!ctx.has(cp, hlen)) {
      ctx.printTrunc();
      return { advance: -1 };
    }
    ctx.out(label);
    if (!printOpts) return { advance: hlen };
    const body = cp + 2;
    const len = hlen - 2;
    let jumbo: number | undefined;
    let i = 0;
    const fail = (): { advance: number } => {
      ctx.printTrunc();
      return { advance: -1 };
    };
    while (i < len) {
      const type = ctx.u8(body + i);
      let optlen: number;
      if (type === 0) optlen = 1;
      else if (i + 1 < len) optlen = ctx.u8(body + i + 1) + 2;
      else return fail();
      if (i + optlen > len) return fail();
      if (type === 0) {
        if (opts.verbose) ctx.out('(pad1)');
      } else if (type === 1) {
        if (len - i < 2) {
          ctx.out('(padn: trunc)');
          return fail();
        }
        if (opts.verbose) ctx.out('(padn)');
      } else if (type === 5) {
        if (len - i < 4) {
          ctx.out('(rtalert: trunc)');
          return fail();
        }
        if (ctx.u8(body + i + 1) !== 2) {
          ctx.out(`(rtalert: invalid len ${ctx.u8(body + i + 1)})`);
          return fail();
        }
        if (opts.verbose) ctx.out(`(rtalert: 0x${ctx.u16(body + i + 2).toString(16).padStart(4, '0')}) `);
      } else if (type === 0xc2) {
        if (len - i < 6) {
          ctx.out('(jumbo: trunc)');
          return fail();
        }
        const j = ctx.u32(body + i + 2);
        if (j >= 65536 && proto === 'hbhopt') jumbo = j;
        if (opts.verbose) ctx.out(`(jumbo: ${j}) `);
      } else {
        if (len - i < 2) {
          ctx.out(`(type ${type}: trunc)`);
          return fail();
        }
        if (opts.verbose) ctx.out(`(opt_type 0x${type.toString(16).padStart(2, '0')}: len=${ctx.u8(body + i + 1)})`);
      }
      i += optlen;
    }
    if (opts.verbose) ctx.out(' ');
    return jumbo === undefined ? { advance: hlen } : { advance: hlen, jumbo };
  }

  /** Fragment header (RFC 8200 §4.5). */
  private fragment(cp: number, _ipOff: number): number {
    const { ctx, opts } = this;
    ctx.protocol = 'frag6';
    const offField = ctx.u16(cp + 2);
    const ident = ctx.u32(cp + 4);
    if (opts.verbose) ctx.out(`frag (0x${ident.toString(16).padStart(8, '0')}:${offField & 0xfff8}|${0})`);
    else ctx.out(`frag (${offField & 0xfff8}|${0})`);
    if ((offField & 0xfff8) !== 0) {
      ctx.out(' ');
      return -1;
    }
    ctx.out(' ');
    return 8;
  }

  /** Routing header (RFC 8200 §4.4): printed by type, skipped by length. */
  private routing(cp: number): number {
    const { ctx } = this;
    ctx.protocol = 'rt6';
    const len = ctx.u8(cp + 1);
    const type = ctx.u8(cp + 2);
    const segleft = ctx.u8(cp + 3);
    ctx.out(`srcrt (len=${len}, type=${type}, segleft=${segleft}) `);
    return (len + 1) << 3;
  }

  demux(bp: number, length: number, ip: IpInfo, fragmented: boolean, nh: number): void {
    const { ctx, opts } = this;
    switch (nh) {
      case 6:
        tcpPrint(ctx, opts, this.seqTable, bp, length, ip, fragmented);
        return;
      case 17:
        udpPrint(ctx, opts, bp, length, ip, fragmented);
        return;
      case 1:
        if (ip.version === 4) icmpPrint(ctx, opts, this, bp, length, ip, fragmented);
        else ctx.out('[ICMP requires IPv4] (invalid)');
        return;
      case 58:
        if (ip.version === 6) icmp6Print(ctx, opts, bp, length, ip, fragmented);
        else ctx.out('[ICMPv6 requires IPv6] (invalid)');
        return;
      case 59:
        ctx.out('no next header');
        return;
      default:
        ctx.out(` ip-proto-${nh} ${length}`);
        return;
    }
  }
}
