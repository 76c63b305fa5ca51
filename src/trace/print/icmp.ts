// ICMP (RFC 792) lines: echo, unreachable (with RFC 1191 next-hop MTU),
// redirect, time exceeded, parameter problem; under -v the quoted datagram.

import { cksumResult, cksumShouldBe, ipv4String, sumBytes, type PrintContext } from './context.js';
import type { IpInfo } from './ipinfo.js';
import type { PrintOptions } from './options.js';
import type { PacketPrinters } from './printers.js';

const TYPE_NAMES = new Map<number, string>([
  [0, 'echo reply'], [3, 'dest unreachable'], [4, 'source quench'], [5, 'redirect'], [8, 'echo request'],
  [9, 'router advertisement'], [10, 'router solicitation'], [11, 'time exceeded'], [12, 'parameter problem'],
  [13, 'time stamp request'], [14, 'time stamp reply'], [15, 'information request'], [16, 'information reply'],
  [17, 'address mask request'], [18, 'address mask reply'],
]);

const UNREACH_TEXT: [string, string][] = [
  ['net ', ' unreachable'], ['host ', ' unreachable'], ['', ''], ['', ''], ['', ''], ['', ' unreachable - source route failed'],
  ['net ', ' unreachable - unknown'], ['host ', ' unreachable - unknown'], ['', ' unreachable - source host isolated'],
  ['net ', ' unreachable - admin prohibited'], ['host ', ' unreachable - admin prohibited'],
  ['net ', ' unreachable - tos prohibited'], ['host ', ' unreachable - tos prohibited'],
  ['host ', ' unreachable - admin prohibited filter'], ['host ', ' unreachable - host precedence violation'],
  ['host ', ' unreachable - precedence cutoff'],
];

function addr(ctx: PrintContext, off: number): string {
  ctx.check(off, 4);
  return ipv4String(ctx.data, off);
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

export function icmpPrint(
  ctx: PrintContext,
  opts: PrintOptions,
  printers: PacketPrinters,
  bp: number,
  plen: number,
  _ip: IpInfo,
  fragmented: boolean,
): void {
  ctx.protocol = 'icmp';
  const type = ctx.u8(bp);
  const code = ctx.u8(bp + 1);
  const inner = bp + 8; // the quoted IP header of error messages
  let str: string;
  switch (type) {
    case 0:
    case 8:
      str = `echo ${type === 8 ? 'request' : 'reply'}, id ${ctx.u16(bp + 4)}, seq ${ctx.u16(bp + 6)}`;
      break;
    case 3: {
      if (code === 2) {
        str = `${addr(ctx, inner + 16)} protocol ${ctx.u8(inner + 9)} unreachable`;
      } else if (code === 3) {
        ctx.check(inner + 9, 1);
        const hlen = (ctx.u8(inner) & 0x0f) * 4;
        const dport = ctx.u16(inner + hlen + 2);
        const proto = ctx.u8(inner + 9);
        const dst = addr(ctx, inner + 16);
        if (proto === 6) str = `${dst} tcp port ${dport} unreachable`;
        else if (proto === 17) str = `${dst} udp port ${dport} unreachable`;
        else str = `${dst} protocol ${proto} port ${dport} unreachable`;
      } else if (code === 4) {
        const mtu = ctx.u16(bp + 6);
        const dst = addr(ctx, inner + 16);
        str = mtu ? `${dst} unreachable - need to frag (mtu ${mtu})` : `${dst} unreachable - need to frag`;
      } else if (code < UNREACH_TEXT.length) {
        const [pre, post] = UNREACH_TEXT[code]!;
        str = `${pre}${addr(ctx, inner + 16)}${post}`;
      } else {
        str = `${addr(ctx, inner + 16)} unreachable - #${code}`;
      }
      break;
    }
    case 5: {
      const dst = addr(ctx, inner + 16);
      const gw = addr(ctx, bp + 4);
      const names = ['redirect %d to net %g', 'redirect %d to host %g', 'redirect-tos %d to net %g', 'redirect-tos %d to host %g'];
      const f = names[code] ?? `redirect-#${code} %d to %g`;
      str = f.replace('%d', dst).replace('%g', gw);
      break;
    }
    case 11:
      ctx.check(inner + 16, 4);
      if (code === 0) str = 'time exceeded in-transit';
      else if (code === 1) str = 'ip reassembly time exceeded';
      else str = `time exceeded-#${code}`;
      break;
    case 12:
      str = code ? `parameter problem - code ${code}` : `parameter problem - octet ${ctx.u8(bp + 4)}`;
      break;
    case 18:
      str = `address mask is 0x${ctx.u32(bp + 12).toString(16).padStart(8, '0')}`;
      break;
    case 13:
      str = `time stamp query id ${ctx.u16(bp + 4)} seq ${ctx.u16(bp + 6)}`;
      break;
    case 14: {
      ctx.check(bp + 16, 4);
      const ts = (t: number): string => {
        const ms = t % 1000;
        const sec = Math.floor(t / 1000);
        return `${two(Math.floor(sec / 3600))}:${two(Math.floor(sec / 60) % 60)}:${two(sec % 60)}.${String(ms).padStart(3, '0')}`;
      };
      str = `time stamp reply id ${ctx.u16(bp + 4)} seq ${ctx.u16(bp + 6)}: org ${ts(ctx.u32(bp + 8))}, recv ${ts(ctx.u32(bp + 12))}, xmit ${ts(ctx.u32(bp + 16))}`;
      break;
    }
    default:
      str = TYPE_NAMES.get(type) ?? `type-#${type}`;
  }
  ctx.out(`ICMP ${str}, length ${plen}`);
  if (opts.verbose > 0 && !fragmented && ctx.has(bp, plen)) {
    const result = cksumResult(sumBytes(ctx.data, bp, bp + plen));
    if (result !== 0) {
      const field = ctx.u16(bp + 2);
      ctx.out(` (wrong icmp cksum ${field.toString(16)} (->${cksumShouldBe(field, result).toString(16)})!)`);
    }
  }
  if (opts.verbose > 0 && (type === 3 || type === 4 || type === 5 || type === 11 || type === 12)) {
    ctx.out('\n\t');
    const ipLen = ctx.u16(inner + 2);
    const saved = ctx.snapend;
    ctx.snapend = Math.min(inner + ipLen, ctx.snapend);
    try {
      printers.ipv4(inner, ipLen);
    } finally {
      ctx.snapend = saved;
    }
  }
}
