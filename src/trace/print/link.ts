// Link-layer printers: what precedes `IP`/`IP6` on a line (nothing unless -e),
// and how far the network header is into the frame.

import { ipv4String, macString, type PrintContext } from './context.js';
import { hexAsciiLines } from './hexdump.js';
import type { IpPrinter } from './ip.js';
import type { PrintOptions } from './options.js';

const ETHERTYPE_NAMES = new Map<number, string>([
  [0x0800, 'IPv4'], [0x86dd, 'IPv6'], [0x0806, 'ARP'], [0x8035, 'Reverse ARP'], [0x8100, '802.1Q'],
  [0x88a8, '802.1Q-QinQ'], [0x9100, '802.1Q-9100'], [0x9200, '802.1Q-9200'], [0x8847, 'MPLS unicast'],
  [0x8848, 'MPLS multicast'], [0x888e, 'EAPOL'], [0x88cc, 'LLDP'], [0x8863, 'PPPoE D'], [0x8864, 'PPPoE S'],
]);

const BSD_AF_NAMES = new Map<number, string>([
  [2, 'IPv4'], [7, 'OSI'], [16, 'Appletalk'], [23, 'IPX'], [24, 'IPv6'], [28, 'IPv6'], [30, 'IPv6'],
]);

const SLL_PKTTYPES = ['In', 'B', 'M', 'P', 'Out'];

function vlanTci(tag: number): string {
  let s = `vlan ${tag & 0x0fff}, p ${tag >> 13}`;
  if (tag & 0x1000) s += ', DEI';
  return s;
}

export class LinkPrinter {
  constructor(
    private readonly ctx: PrintContext,
    private readonly opts: PrintOptions,
    private readonly ip: IpPrinter,
  ) {}

  /** Prints one frame of the given LINKTYPE_; `len` is the length on the wire. */
  print(linktype: number, len: number): void {
    switch (linktype) {
      case 1:
        this.ether(len);
        return;
      case 0:
      case 108:
        this.nullLoop(len, linktype === 108);
        return;
      case 101:
      case 12:
      case 14:
        this.raw(len, 0);
        return;
      case 228:
        this.raw(len, 4);
        return;
      case 229:
        this.raw(len, 6);
        return;
      case 113:
        this.sll(len);
        return;
      case 276:
        this.sll2(len);
        return;
      default:
        this.ctx.out(`[unsupported link type ${linktype}]`);
        this.ctx.llHeaderLength = 0;
    }
  }

  private network(type: number, off: number, length: number): void {
    const { ctx } = this;
    switch (type) {
      case 0x0800:
        this.ip.ipv4(off, length);
        return;
      case 0x86dd:
        this.ip.ipv6(off, length);
        return;
      case 0x0806:
      case 0x8035:
        this.arp(off, length);
        return;
      default:
        ctx.out(`ethertype ${ETHERTYPE_NAMES.get(type) ?? 'Unknown'} (0x${type.toString(16).padStart(4, '0')}), length ${length}`);
    }
  }

  private ether(len: number): void {
    const { ctx, opts } = this;
    ctx.protocol = 'ether';
    const caplen = ctx.data.length;
    if (len < caplen) {
      ctx.out(`[length ${len} < caplen ${caplen}] (invalid)`);
      ctx.llHeaderLength = len;
      return;
    }
    if (caplen < 14) {
      ctx.printTrunc();
      ctx.llHeaderLength = caplen;
      return;
    }
    if (opts.linkHeader) ctx.out(`${macString(ctx.data, 6)} > ${macString(ctx.data, 0)}, `);
    let off = 12;
    let length = len - 12;
    let type = ctx.u16(off);
    off += 2;
    length -= 2;
    let printedLength = false;
    while (type === 0x8100 || type === 0x9100 || type === 0x9200 || type === 0x88a8) {
      if (caplen - off < 4 || length < 4) {
        ctx.protocol = 'vlan';
        ctx.printTrunc();
        ctx.llHeaderLength = off;
        return;
      }
      if (opts.linkHeader) {
        ctx.out(this.ethertypeText(type));
        ctx.out(printedLength ? ', ' : `, length ${len}: `);
        printedLength = true;
        ctx.out(`${vlanTci(ctx.u16(off))}, `);
      }
      type = ctx.u16(off + 2);
      off += 4;
      length -= 4;
    }
    ctx.llHeaderLength = off;
    if (opts.linkHeader) {
      ctx.out(this.ethertypeText(type));
      ctx.out(printedLength ? ', ' : `, length ${len}: `);
    }
    if (type <= 1500) {
      ctx.out('802.3');
      return;
    }
    this.network(type, off, length);
  }

  private ethertypeText(type: number): string {
    const name = ETHERTYPE_NAMES.get(type);
    if (this.opts.quiet) return name ?? `Unknown Ethertype (0x${type.toString(16).padStart(4, '0')})`;
    return `ethertype ${name ?? 'Unknown'} (0x${type.toString(16).padStart(4, '0')})`;
  }

  private nullLoop(len: number, networkOrder: boolean): void {
    const { ctx, opts } = this;
    ctx.protocol = networkOrder ? 'loop' : 'null';
    ctx.llHeaderLength = 4;
    if (ctx.data.length < 4) {
      ctx.printTrunc();
      ctx.llHeaderLength = ctx.data.length;
      return;
    }
    const d = ctx.data;
    let af: number;
    if (networkOrder) af = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
    else {
      // The writer's byte order: little-endian hosts dominate; a value with
      // its upper 16 bits set was written the other way round.
      af = (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
      if (af & 0xffff0000) af = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
    }
    if (opts.linkHeader) {
      ctx.out(`AF ${BSD_AF_NAMES.get(af) ?? 'Unknown'} (${af})`);
      ctx.out(`, length ${len}: `);
    }
    const length = len - 4;
    // tcpdump knows the BSD numbers for IPv6 (24, 28, 30), not Linux's 10.
    if (af === 2) this.ip.ipv4(4, length);
    else if (af === 24 || af === 28 || af === 30) this.ip.ipv6(4, length);
    else {
      if (!opts.linkHeader) ctx.out(`AF ${BSD_AF_NAMES.get(af) ?? 'Unknown'} (${af}), length ${len}: `);
      ctx.out(hexAsciiLines(ctx.data, 4, ctx.data.length));
    }
  }

  private raw(len: number, version: 0 | 4 | 6): void {
    const { ctx, opts } = this;
    ctx.llHeaderLength = 0;
    if (opts.linkHeader) ctx.out('ip: ');
    if (version === 4) this.ip.ipv4(0, len);
    else if (version === 6) this.ip.ipv6(0, len);
    else {
      ctx.protocol = 'raw';
      this.ip.ip(0, len);
    }
  }

  private sll(len: number): void {
    const { ctx, opts } = this;
    ctx.protocol = 'sll';
    ctx.check(0, 16);
    const d = ctx.data;
    if (opts.linkHeader) {
      const pt = ctx.u16(0);
      ctx.out(`${(SLL_PKTTYPES[pt] ?? '?').padStart(3, ' ')} `);
      if (ctx.u16(4) === 6) ctx.out(`${macString(d, 6)} `);
      if (!opts.quiet) {
        const et = ctx.u16(14);
        if (et <= 1500) ctx.out(et === 1 ? '802.3' : et === 4 ? '802.2' : `ethertype Unknown (0x${et.toString(16).padStart(4, '0')})`);
        else ctx.out(`ethertype ${ETHERTYPE_NAMES.get(et) ?? 'Unknown'} (0x${et.toString(16).padStart(4, '0')})`);
        ctx.out(`, length ${len}: `);
      }
    }
    ctx.llHeaderLength = 16;
    let type = ctx.u16(14);
    let off = 16;
    let length = len - 16;
    if (type === 0x8100) {
      if (d.length - off < 4) {
        ctx.protocol = 'vlan';
        ctx.printTrunc();
        return;
      }
      if (opts.linkHeader) ctx.out(`${vlanTci(ctx.u16(off))}, `);
      type = ctx.u16(off + 2);
      if (opts.linkHeader && !opts.quiet) ctx.out(`ethertype ${ETHERTYPE_NAMES.get(type) ?? 'Unknown'}, `);
      off += 4;
      length -= 4;
      ctx.llHeaderLength = off;
    }
    if (type <= 1500) return;
    this.network(type, off, length);
  }

  private sll2(len: number): void {
    const { ctx, opts } = this;
    ctx.protocol = 'sll2';
    ctx.check(0, 20);
    // tcpdump names the interface from the reading host; we print its index.
    const ifindex = ctx.u32(4);
    const pt = ctx.u8(10);
    ctx.out(`${`if${ifindex}`.padEnd(5, ' ')} ${(SLL_PKTTYPES[pt] ?? '?').padEnd(3, ' ')} `);
    if (opts.linkHeader) {
      if (ctx.u8(11) === 6) ctx.out(`${macString(ctx.data, 12)} `);
      const et = ctx.u16(0);
      ctx.out(`ethertype ${ETHERTYPE_NAMES.get(et) ?? 'Unknown'} (0x${et.toString(16).padStart(4, '0')}), length ${len}: `);
    }
    ctx.llHeaderLength = 20;
    this.network(ctx.u16(0), 20, len - 20);
  }

  /** ARP/RARP for IPv4 over Ethernet (RFC 826). */
  private arp(off: number, length: number): void {
    const { ctx } = this;
    ctx.protocol = 'arp';
    ctx.out('ARP, ');
    ctx.check(off, 8);
    const op = ctx.u16(off + 6);
    const hln = ctx.u8(off + 4);
    const pln = ctx.u8(off + 5);
    if (ctx.u16(off + 2) !== 0x0800 || pln !== 4 || hln !== 6) {
      ctx.out(`Unknown protocol, length ${length}`);
      return;
    }
    ctx.check(off + 8, 20);
    const sha = macString(ctx.data, off + 8);
    const spa = ipv4String(ctx.data, off + 14);
    const tpa = ipv4String(ctx.data, off + 24);
    if (op === 1) ctx.out(`Request who-has ${tpa} tell ${spa}`);
    else if (op === 2) ctx.out(`Reply ${spa} is-at ${sha}`);
    else ctx.out(`Unknown (${op})`);
    ctx.out(`, length ${length}`);
  }
}
