// TCP as tcpdump 4.99.3 prints it: flags in the fixed order FSRP.UEW,
// relative sequence numbers per conversation, options, checksum under -v,
// and the port-triggered payload printers.

import { ftpPrint, httpPrint, rtspPrint, smtpPrint, sshPrint } from './app.js';
import { escapeChar } from './chars.js';
import { cksumResult, cksumShouldBe, hex2, sumBytes, type PrintContext, Truncated } from './context.js';
import { dstString, pseudoHeaderAcc, srcString, type IpInfo } from './ipinfo.js';
import { mptcpOption } from './mptcp.js';
import type { PrintOptions } from './options.js';

const TH_FIN = 0x01;
const TH_SYN = 0x02;
const TH_RST = 0x04;
const TH_ACK = 0x10;
const TH_URG = 0x20;

const FLAG_LETTERS: [number, string][] = [
  [0x01, 'F'], [0x02, 'S'], [0x04, 'R'], [0x08, 'P'], [0x10, '.'], [0x20, 'U'], [0x40, 'E'], [0x80, 'W'],
];

const OPTION_NAMES = new Map<number, string>([
  [0, 'eol'], [1, 'nop'], [2, 'mss'], [3, 'wscale'], [4, 'sackOK'], [5, 'sack'], [6, 'echo'], [7, 'echoreply'],
  [8, 'TS'], [11, 'cc'], [12, 'ccnew'], [13, ''], [19, 'md5'], [20, 'scps'], [28, 'uto'], [29, 'tcp-ao'],
  [30, 'mptcp'], [34, 'tfo'], [254, 'exp'],
]);

export function flagsText(flags: number): string {
  let s = '';
  for (const [bit, ch] of FLAG_LETTERS) if (flags & bit) s += ch;
  return s === '' ? 'none' : s;
}

interface SeqBase {
  seq: number;
  ack: number;
}

/**
 * The conversation table behind relative sequence numbers. It lives for the
 * whole run, as in tcpdump, and entries are never removed.
 */
export class TcpSeqTable {
  private readonly table = new Map<string, SeqBase>();

  lookup(key: string): SeqBase | undefined {
    return this.table.get(key);
  }

  set(key: string, base: SeqBase): void {
    this.table.set(key, base);
  }
}

function compareBytes(d: Uint8Array, a: number, b: number, n: number): number {
  for (let i = 0; i < n; i++) {
    const x = d[a + i]!;
    const y = d[b + i]!;
    if (x !== y) return x - y;
  }
  return 0;
}

function hexOf(d: Uint8Array, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += hex2(d[off + i]!);
  return s;
}

class BadOption extends Error {}
/** The options loop's own truncation exit: ` [|tcp]` then `>` after a printed item. */
class OptionTruncated extends Error {}

export function tcpPrint(
  ctx: PrintContext,
  opts: PrintOptions,
  seqTable: TcpSeqTable,
  bp: number,
  length: number,
  ip: IpInfo,
  fragmented: boolean,
): void {
  ctx.protocol = 'tcp';
  const d = ctx.data;
  if (!ctx.has(bp, 4)) {
    ctx.out(`${srcString(ctx, ip)} > ${dstString(ctx, ip)}:`);
    ctx.printTrunc();
    return;
  }
  const sport = ctx.u16(bp);
  const dport = ctx.u16(bp + 2);
  if (ip.headerProtocol === 6) {
    ctx.out(`${srcString(ctx, ip)}.${sport} > ${dstString(ctx, ip)}.${dport}: `);
  } else {
    ctx.out(`${sport} > ${dport}: `);
  }
  if (!ctx.has(bp, 20)) {
    ctx.printTrunc();
    return;
  }
  let hlen = (d[bp + 12]! >> 4) * 4;
  if (hlen < 20) {
    ctx.out(` tcp ${(length - hlen) >>> 0} [bad hdr length ${hlen} - too short, < 20]`);
    return;
  }
  let seq = ctx.u32(bp + 4);
  let ack = ctx.u32(bp + 8);
  const win = ctx.u16(bp + 14);
  const urp = ctx.u16(bp + 18);
  if (opts.quiet) {
    ctx.out(`tcp ${(length - hlen) >>> 0}`);
    if (hlen > length) ctx.out(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }
  const flags = ctx.u8(bp + 13);
  ctx.out(`Flags [${flagsText(flags)}]`);

  let rev = false;
  let thseq = 0;
  let thack = 0;
  if (!opts.absoluteSeq && flags & TH_ACK) {
    const n = ip.version === 4 ? 4 : 16;
    if (sport > dport) rev = true;
    else if (sport === dport && compareBytes(d, ip.srcOffset, ip.dstOffset, n) > 0) rev = true;
    const key = rev
      ? `${hexOf(d, ip.dstOffset, n)}|${hexOf(d, ip.srcOffset, n)}|${dport}|${sport}`
      : `${hexOf(d, ip.srcOffset, n)}|${hexOf(d, ip.dstOffset, n)}|${sport}|${dport}`;
    let th = seqTable.lookup(key);
    if (th === undefined || flags & TH_SYN) {
      th = rev ? { ack: seq, seq: (ack - 1) >>> 0 } : { seq, ack: (ack - 1) >>> 0 };
      seqTable.set(key, th);
    } else if (rev) {
      seq = (seq - th.ack) >>> 0;
      ack = (ack - th.seq) >>> 0;
    } else {
      seq = (seq - th.seq) >>> 0;
      ack = (ack - th.ack) >>> 0;
    }
    thseq = th.seq;
    thack = th.ack;
  }
  if (hlen > length) {
    ctx.out(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }

  if (opts.verbose > 0 && !fragmented && ctx.has(bp, length)) {
    const acc = pseudoHeaderAcc(ctx, ip, 6, length);
    const result = cksumResult(sumBytes(d, bp, bp + length, acc));
    const field = ctx.u16(bp + 16);
    ctx.out(`, cksum 0x${field.toString(16).padStart(4, '0')}`);
    if (result !== 0) ctx.out(` (incorrect -> 0x${cksumShouldBe(field, result).toString(16).padStart(4, '0')})`);
    else ctx.out(' (correct)');
  }

  length -= hlen;
  if (opts.verbose > 1 || length > 0 || flags & (TH_SYN | TH_FIN | TH_RST)) {
    ctx.out(`, seq ${seq}`);
    if (length > 0) ctx.out(`:${(seq + length) >>> 0}`);
  }
  if (flags & TH_ACK) ctx.out(`, ack ${ack}`);
  ctx.out(`, win ${win}`);
  if (flags & TH_URG) ctx.out(`, urg ${urp}`);

  if (hlen > 20) {
    if (!printOptions(ctx, bp + 20, hlen - 20, rev, thseq, thack, flags, length, ip, bp)) return;
  }

  ctx.out(`, length ${length}`);
  if (length === 0) return;

  const headerLen = (d[bp + 12]! >> 4) * 4;
  if (!ctx.has(bp, headerLen)) {
    ctx.out(` [remaining caplen(${Math.max(0, ctx.snapend - bp)}) < header length(${headerLen})]`);
    throw new Truncated();
  }
  const p = bp + headerLen;
  if (flags & TH_RST && opts.verbose > 0) {
    rstData(ctx, p, length);
    return;
  }
  const port = (x: number): boolean => sport === x || dport === x;
  if (port(22)) sshPrint(ctx, p, length);
  else if (port(25)) {
    ctx.out(': ');
    smtpPrint(ctx, p, length, opts.verbose);
  } else if (port(21)) {
    ctx.out(': ');
    ftpPrint(ctx, p, length, opts.verbose);
  } else if (port(80) || port(8080)) {
    ctx.out(': ');
    httpPrint(ctx, p, length, opts.verbose);
  } else if (port(554) || port(8554)) {
    ctx.out(': ');
    rtspPrint(ctx, p, length, opts.verbose);
  }
}

/** RST payload under -v (RFC 1122 §4.2.2.12 suggests it may carry a diagnostic). */
function rstData(ctx: PrintContext, p: number, length: number): void {
  ctx.out(ctx.has(p, length) ? ' [RST' : ' [!RST');
  if (length > 30) {
    length = 30;
    ctx.out('+');
  }
  ctx.out(' ');
  let s = '';
  while (length > 0 && p < ctx.snapend) {
    s += escapeChar(ctx.data[p]!);
    p++;
    length--;
  }
  ctx.out(s + ']');
}

/** Prints `, options [...]`; returns false when the line must end here (bad option). */
function printOptions(
  ctx: PrintContext,
  start: number,
  hlenIn: number,
  rev: boolean,
  thseq: number,
  thack: number,
  flags: number,
  payloadLength: number,
  ip: IpInfo,
  tcpOff: number,
): boolean {
  let hlen = hlenIn;
  let cp = start;
  let sep = '';
  ctx.out(', options [');
  try {
    while (hlen > 0) {
      ctx.out(sep);
      const opt = ctx.u8(cp);
      cp++;
      let len: number;
      if (opt === 0 || opt === 1) len = 1;
      else {
        len = ctx.u8(cp);
        cp++;
        if (len < 2 || len > hlen) throw new BadOption();
        hlen--;
      }
      hlen--;
      let datalen = 0;
      // Bail if `l` bytes are not left in the header, or were not captured.
      const lencheck = (l: number): void => {
        if (l > hlen) throw new BadOption();
        if (!ctx.has(cp, l)) throw new OptionTruncated();
      };
      const name = OPTION_NAMES.get(opt);
      ctx.out(name ?? `unknown-${opt}`);
      switch (opt) {
        case 2:
          datalen = 2;
          lencheck(datalen);
          ctx.out(` ${ctx.u16(cp)}`);
          break;
        case 3:
          datalen = 1;
          lencheck(datalen);
          ctx.out(` ${ctx.u8(cp)}`);
          break;
        case 5: {
          datalen = len - 2;
          if (datalen % 8 !== 0) {
            ctx.out(' invalid sack');
          } else {
            ctx.out(` ${datalen / 8} `);
            for (let i = 0; i < datalen; i += 8) {
              lencheck(i + 4);
              let s = ctx.u32(cp + i);
              lencheck(i + 8);
              let e = ctx.u32(cp + i + 4);
              const base = rev ? thseq : thack;
              s = (s - base) >>> 0;
              e = (e - base) >>> 0;
              ctx.out(`{${s}:${e}}`);
            }
          }
          break;
        }
        case 6:
        case 7:
        case 11:
        case 12:
        case 13:
          datalen = 4;
          lencheck(datalen);
          ctx.out(` ${ctx.u32(cp)}`);
          break;
        case 8:
          datalen = 8;
          lencheck(datalen);
          ctx.out(` val ${ctx.u32(cp)} ecr ${ctx.u32(cp + 4)}`);
          break;
        case 19: {
          // TCP MD5 signature (RFC 2385). The reference tcpdump is built with
          // libcrypto and, without a secret, says it cannot check.
          datalen = 16;
          lencheck(datalen);
          ctx.out(` shared secret not supplied with -M, can't check - ${hexOf(ctx.data, cp, 16)}`);
          break;
        }
        case 20:
          datalen = 2;
          lencheck(datalen);
          ctx.out(` cap ${hex2(ctx.u8(cp))} id ${ctx.u8(cp + 1)}`);
          break;
        case 29: {
          datalen = len - 2;
          if (datalen < 2) {
            ctx.out(' (invalid)');
          } else {
            lencheck(1);
            ctx.out(` keyid ${ctx.u8(cp)}`);
            lencheck(2);
            ctx.out(` rnextkeyid ${ctx.u8(cp + 1)}`);
            if (datalen > 2) {
              ctx.out(' mac 0x');
              for (let i = 2; i < datalen; i++) {
                lencheck(i + 1);
                ctx.out(hex2(ctx.u8(cp + i)));
              }
            }
          }
          break;
        }
        case 0:
        case 1:
        case 4:
          break;
        case 28: {
          datalen = 2;
          lencheck(datalen);
          const v = ctx.u16(cp);
          ctx.out(` 0x${v.toString(16)} ${v & 1 ? (v >> 1) * 60 : v >> 1}`);
          break;
        }
        case 30: {
          datalen = len - 2;
          lencheck(datalen);
          const saved = ctx.snapend;
          ctx.snapend = Math.min(cp - 2 + len, ctx.snapend);
          let ok: boolean;
          try {
            ok = mptcpOption(ctx, cp - 2, len, flags);
          } finally {
            ctx.snapend = saved;
          }
          if (!ok) throw new BadOption();
          break;
        }
        case 34:
          datalen = len - 2;
          lencheck(datalen);
          ctx.out(' ');
          fastOpen(ctx, cp, datalen, false);
          break;
        case 254: {
          datalen = len - 2;
          lencheck(datalen);
          if (datalen < 2) throw new BadOption();
          const magic = ctx.u16(cp);
          ctx.out('-');
          if (magic === 0xf989) fastOpen(ctx, cp + 2, datalen - 2, true);
          else ctx.out(magic.toString(16).padStart(4, '0'));
          break;
        }
        default:
          datalen = len - 2;
          if (datalen) ctx.out(' 0x');
          for (let i = 0; i < datalen; i++) {
            lencheck(i + 1);
            ctx.out(hex2(ctx.u8(cp + i)));
          }
          break;
      }
      cp += datalen;
      hlen -= datalen;
      let consumed = datalen + 1;
      if (opt !== 0 && opt !== 1) consumed++;
      if (consumed !== len) ctx.out(`[len ${len}]`);
      sep = ',';
      if (opt === 0) break;
    }
  } catch (e) {
    if (e instanceof BadOption) {
      ctx.out('[bad opt]');
      if (sep !== '') ctx.out(']');
      return false;
    }
    if (e instanceof OptionTruncated) {
      ctx.printTrunc();
      if (sep !== '') ctx.out('>');
      return false;
    }
    throw e;
  }
  void payloadLength;
  void ip;
  void tcpOff;
  ctx.out(']');
  return true;
}

/** TCP Fast Open option (RFC 7413 §4.1.1), or its experimental form behind magic 0xf989. */
function fastOpen(ctx: PrintContext, cp: number, datalen: number, exp: boolean): void {
  if (exp) ctx.out('tfo');
  if (datalen === 0) {
    ctx.out(' cookiereq');
  } else if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) {
    ctx.out(' (invalid)');
  } else {
    ctx.out(' cookie ');
    for (let i = 0; i < datalen; i++) ctx.out(hex2(ctx.u8(cp + i)));
  }
}
