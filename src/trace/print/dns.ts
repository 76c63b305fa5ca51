// DNS over UDP port 53 (RFC 1035 §4.1): the one-line form tcpdump gives a
// query, `ID[op][+] TYPE? NAME. (LEN)`. Responses are not decoded yet: they
// keep the plain UDP line.

import type { PrintContext } from './context.js';

const TYPES = new Map<number, string>([
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [13, 'HINFO'], [15, 'MX'], [16, 'TXT'], [28, 'AAAA'],
  [33, 'SRV'], [35, 'NAPTR'], [39, 'DNAME'], [41, 'OPT'], [43, 'DS'], [46, 'RRSIG'], [47, 'NSEC'], [48, 'DNSKEY'],
  [64, 'SVCB'], [65, 'HTTPS'], [99, 'SPF'], [252, 'AXFR'], [255, 'ANY'], [257, 'CAA'],
]);

const CLASSES = new Map<number, string>([[1, 'IN'], [3, 'CHAOS'], [4, 'HS'], [255, 'ANY']]);

const OPS = ['', ' inv_q', ' stat', ' op3', ' notify', ' update', ' op6', ' op7', ' op8', ' updateA', ' updateD', ' updateDA', ' updateM', ' updateMA', ' zoneInit', ' zoneRef'];

/** A domain name at `p` (with compression pointers); returns the text and the offset after it in place. */
function readName(ctx: PrintContext, msg: number, p: number): { text: string; next: number } | undefined {
  let text = '';
  let next = -1;
  let hops = 0;
  for (;;) {
    if (!ctx.has(p, 1)) return undefined;
    const len = ctx.data[p]!;
    if (len === 0) {
      if (next < 0) next = p + 1;
      return { text: text === '' ? '.' : text, next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (!ctx.has(p, 2)) return undefined;
      if (next < 0) next = p + 2;
      if (++hops > 64) return undefined;
      p = msg + (((len & 0x3f) << 8) | ctx.data[p + 1]!);
      continue;
    }
    if (len & 0xc0) return undefined;
    if (!ctx.has(p + 1, len)) return undefined;
    for (let i = 0; i < len; i++) text += String.fromCharCode(ctx.data[p + 1 + i]!);
    text += '.';
    p += 1 + len;
  }
}

/** Prints a query; returns false when this is not something it decodes (the caller prints plain UDP). */
export function dnsQueryPrint(ctx: PrintContext, bp: number, length: number): boolean {
  if (length < 12 || !ctx.has(bp, 12)) return false;
  const flags = ctx.u16(bp + 2);
  if (flags & 0x8000) return false; // a response
  const id = ctx.u16(bp);
  const qd = ctx.u16(bp + 4);
  const an = ctx.u16(bp + 6);
  const ns = ctx.u16(bp + 8);
  const ar = ctx.u16(bp + 10);
  const opcode = (flags >> 11) & 0xf;
  // Decode the questions first, so that nothing is printed for a packet we cannot read.
  const questions: string[] = [];
  let p = bp + 12;
  for (let i = 0; i < qd; i++) {
    const name = readName(ctx, bp, p);
    if (name === undefined || !ctx.has(name.next, 4)) return false;
    const type = ctx.u16(name.next);
    const cls = ctx.u16(name.next + 2);
    let q = ` ${TYPES.get(type) ?? `Type${type}`}`;
    if (cls !== 1) q += ` ${CLASSES.get(cls) ?? `(Class ${cls})`}`;
    questions.push(`${q}? ${name.text}`);
    p = name.next + 4;
  }
  let s = `${id}${OPS[opcode]}${flags & 0x0100 ? '+' : ''}${flags & 0x0010 ? '%' : ''}`;
  if (flags & 0x6cf) s += ` [b2&3=0x${flags.toString(16)}]`;
  if (opcode === 1) {
    if (qd) s += ` [${qd}q]`;
    if (an !== 1) s += ` [${an}a]`;
  } else {
    if (an) s += ` [${an}a]`;
    if (qd !== 1) s += ` [${qd}q]`;
  }
  if (ns) s += ` [${ns}n]`;
  if (ar) s += ` [${ar}au]`;
  ctx.out(s + questions.join('') + ` (${length})`);
  return true;
}
