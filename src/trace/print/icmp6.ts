// ICMPv6 (RFC 4443) lines: echo, destination unreachable, packet too big,
// time exceeded, parameter problem, and the names of the others.

import { cksumResult, cksumShouldBe, hex4, ipv6String, sumBytes, type PrintContext } from './context.js';
import { pseudoHeaderAcc, type IpInfo } from './ipinfo.js';
import type { PrintOptions } from './options.js';
import { hexLines } from './hexdump.js';

const TYPE_NAMES = new Map<number, string>([
  [1, 'destination unreachable'], [2, 'packet too big'], [3, 'time exceeded in-transit'], [4, 'parameter problem'],
  [128, 'echo request'], [129, 'echo reply'], [130, 'multicast listener query'], [131, 'multicast listener report'],
  [132, 'multicast listener done'], [133, 'router solicitation'], [134, 'router advertisement'],
  [135, 'neighbor solicitation'], [136, 'neighbor advertisement'], [137, 'redirect'], [138, 'router renumbering'],
  [141, 'inverse neighbor solicitation'], [142, 'inverse neighbor advertisement'], [143, 'multicast listener report v2'],
  [144, 'ha discovery request'], [145, 'ha discovery reply'], [146, 'mobile router solicitation'],
  [147, 'mobile router advertisement'], [139, 'node information query'], [140, 'node information reply'],
  [200, 'mtrace message'], [201, 'mtrace response'], [155, 'RPL'],
]);

const UNREACH_CODES = new Map<number, string>([
  [0, 'unreachable route'], [1, ' unreachable prohibited'], [2, 'beyond scope'], [3, 'unreachable address'], [4, 'unreachable port'],
]);

function a6(ctx: PrintContext, off: number): string {
  ctx.check(off, 16);
  return ipv6String(ctx.data, off);
}

/** Finds the transport header inside a quoted IPv6 packet (skipping extension headers). */
function upperLayer(ctx: PrintContext, off: number): { proto: number; at: number } | undefined {
  if (!ctx.has(off, 40)) return undefined;
  let nh = ctx.data[off + 6]!;
  let p = off + 40;
  for (let guard = 0; guard < 16; guard++) {
    if (nh === 0 || nh === 43 || nh === 60) {
      if (!ctx.has(p, 2)) return undefined;
      const next = ctx.data[p]!;
      p += (ctx.data[p + 1]! + 1) * 8;
      nh = next;
    } else if (nh === 44) {
      if (!ctx.has(p, 8)) return undefined;
      nh = ctx.data[p]!;
      p += 8;
    } else if (nh === 51) {
      if (!ctx.has(p, 2)) return undefined;
      const next = ctx.data[p]!;
      p += (ctx.data[p + 1]! + 2) * 4;
      nh = next;
    } else {
      if (!ctx.has(p, 4)) return undefined;
      return { proto: nh, at: p };
    }
  }
  return undefined;
}

/** tcpdump's print_unknown_data: the captured part of the bytes as a hex dump. */
function hexDumpUnknown(ctx: PrintContext, bp: number, length: number, ident = '\n\t'): void {
  if (length === 0) return;
  const end = Math.min(bp + length, ctx.snapend);
  ctx.out(hexLines(ctx.data, bp, end, ident));
}

const ND_OPTION_NAMES = new Map<number, string>([
  [1, 'source link-address'], [2, 'destination link-address'], [3, 'prefix info'], [4, 'redirected header'],
  [5, 'mtu'], [25, 'rdnss'], [31, 'dnssl'], [7, 'advertisement interval'], [8, 'homeagent information'], [24, 'route info'],
]);

/** Neighbour-discovery options (RFC 4861 §4.6) under -v; false if cut short. */
function ndOptions(ctx: PrintContext, opts: PrintOptions, bp: number, resid: number): boolean {
  let cp = bp;
  while (cp < ctx.snapend) {
    if (!ctx.has(cp + 1, 1)) return false;
    if (resid <= 0) return true;
    const type = ctx.data[cp]!;
    const len8 = ctx.data[cp + 1]!;
    if (len8 === 0) return false;
    if (cp + (len8 << 3) > ctx.snapend) return false;
    ctx.out(`\n\t  ${ND_OPTION_NAMES.get(type) ?? 'unknown'} option (${type}), length ${len8 << 3} (${len8}): `);
    switch (type) {
      case 1:
      case 2: {
        const parts: string[] = [];
        for (let i = 0; i < (len8 << 3) - 2; i++) parts.push(ctx.u8(cp + 2 + i).toString(16).padStart(2, '0'));
        ctx.out(parts.join(':'));
        break;
      }
      case 5:
        ctx.out(` ${ctx.u32(cp + 4)}${len8 !== 1 ? 'bad option length' : ''}`);
        break;
      default:
        if (opts.verbose <= 1) {
          hexDumpUnknown(ctx, cp + 2, (len8 << 3) - 2, '\n\t  ');
          return true;
        }
    }
    if (opts.verbose > 1) hexDumpUnknown(ctx, cp + 2, (len8 << 3) - 2, '\n\t    ');
    cp += len8 << 3;
    resid -= len8 << 3;
  }
  return true;
}

const MLDV2_RECORD_TYPES = ['', 'is_in', 'is_ex', 'to_in', 'to_ex', 'allow', 'block'];

/** MLDv2 report (RFC 3810 §5.2). */
function mldv2Report(ctx: PrintContext, opts: PrintOptions, bp: number, len: number): void {
  if (len < 8) {
    ctx.out(` [invalid len ${len}]`);
    return;
  }
  const ngroups = ctx.u16(bp + 6);
  ctx.out(`, ${ngroups} group record(s)`);
  if (opts.verbose === 0) return;
  let group = 8;
  for (let i = 0; i < ngroups; i++) {
    if (len < group + 20) {
      ctx.out(' [invalid number of groups]');
      return;
    }
    ctx.out(` [gaddr ${a6(ctx, bp + group + 4)}`);
    const rt = ctx.u8(bp + group);
    ctx.out(` ${MLDV2_RECORD_TYPES[rt] || ` [v2-report-#${rt}]`}`);
    const nsrcs = ctx.u16(bp + group + 2);
    if (len < group + 20 + nsrcs * 16) {
      ctx.out(` [invalid number of sources ${nsrcs}]`);
      return;
    }
    if (opts.verbose === 1) ctx.out(`, ${nsrcs} source(s)`);
    else {
      ctx.out(' {');
      for (let j = 0; j < nsrcs; j++) ctx.out(` ${a6(ctx, bp + group + 20 + j * 16)}`);
      ctx.out(' }');
    }
    group += 20 + nsrcs * 16;
    ctx.out(']');
  }
}

export function icmp6Print(ctx: PrintContext, opts: PrintOptions, bp: number, length: number, ip: IpInfo, fragmented: boolean): void {
  ctx.protocol = 'icmp6';
  if (length === 0) {
    ctx.out('ICMP6, length 0 (invalid)');
    return;
  }
  if (opts.verbose > 0 && !fragmented && ctx.has(bp, length)) {
    const field = ctx.u16(bp + 2);
    const result = cksumResult(sumBytes(ctx.data, bp, bp + length, pseudoHeaderAcc(ctx, ip, 58, length)));
    if (result !== 0) ctx.out(`[bad icmp6 cksum 0x${hex4(field)} -> 0x${hex4(cksumShouldBe(field, result))}!] `);
    else ctx.out('[icmp6 sum ok] ');
  }
  const type = ctx.u8(bp);
  ctx.out(`ICMP6, ${TYPE_NAMES.get(type) ?? `unknown icmp6 type (${type})`}`);
  if (opts.verbose > 0 && (type === 133 || type === 134 || type === 136 || type === 135 || type === 137 || type === 145 || type === 147)) {
    ctx.out(`, length ${length}`);
  }
  const code = ctx.u8(bp + 1);
  const oip = bp + 8;
  switch (type) {
    case 1:
      ctx.out(`, ${UNREACH_CODES.get(code) ?? `unknown unreach code (${code})`}`);
      if (code === 0 || code === 1 || code === 3) {
        ctx.out(` ${a6(ctx, oip + 24)}`);
      } else if (code === 2) {
        ctx.out(` ${a6(ctx, oip + 24)}, source address ${a6(ctx, oip + 8)}`);
      } else if (code === 4) {
        const up = upperLayer(ctx, oip);
        if (up === undefined) {
          ctx.printTrunc();
          return;
        }
        const dport = ctx.u16(up.at + 2);
        const dst = a6(ctx, oip + 24);
        if (up.proto === 6) ctx.out(`, ${dst} tcp port ${dport}`);
        else if (up.proto === 17) ctx.out(`, ${dst} udp port ${dport}`);
        else ctx.out(`, ${dst} protocol ${up.proto} port ${dport} unreachable`);
      } else if (opts.verbose <= 1) {
        hexDumpUnknown(ctx, bp, length);
        return;
      }
      break;
    case 2:
      ctx.out(`, mtu ${ctx.u32(bp + 4)}`);
      break;
    case 3:
      if (code === 0) ctx.out(` for ${a6(ctx, oip + 24)}`);
      else if (code === 1) ctx.out(' (reassembly)');
      else ctx.out(`, unknown code (${code})`);
      break;
    case 4: {
      ctx.check(oip + 24, 16);
      const what = ['erroneous', 'next header', 'option', 'incomplete header chain'][code];
      if (what !== undefined) ctx.out(`, ${what} - octet ${ctx.u32(bp + 4)}`);
      else ctx.out(`, code-#${code}`);
      break;
    }
    case 128:
    case 129:
      ctx.out(`, id ${ctx.u16(bp + 4)}, seq ${ctx.u16(bp + 6)}`);
      break;
    case 135:
      ctx.out(`, who has ${a6(ctx, bp + 8)}`);
      if (opts.verbose > 0 && !ndOptions(ctx, opts, bp + 24, length - 24)) {
        ctx.printTrunc();
        return;
      }
      break;
    case 136:
      ctx.out(`, tgt is ${a6(ctx, bp + 8)}`);
      if (opts.verbose > 0) {
        const f = ctx.u32(bp + 4);
        const names: string[] = [];
        if (f & 0x80000000) names.push('router');
        if (f & 0x40000000) names.push('solicited');
        if (f & 0x20000000) names.push('override');
        ctx.out(`, Flags [${names.length ? names.join(', ') : 'none'}]`);
        if (!ndOptions(ctx, opts, bp + 24, length - 24)) {
          ctx.printTrunc();
          return;
        }
      }
      break;
    case 133:
      if (opts.verbose > 0 && !ndOptions(ctx, opts, bp + 8, length - 8)) {
        ctx.printTrunc();
        return;
      }
      break;
    case 143:
      mldv2Report(ctx, opts, bp, length);
      break;
    case 134:
    case 137:
      break;
    default:
      ctx.out(`, length ${length}`);
      if (opts.verbose <= 1) hexDumpUnknown(ctx, bp, length);
      return;
  }
  if (opts.verbose === 0) ctx.out(`, length ${length}`);
}
