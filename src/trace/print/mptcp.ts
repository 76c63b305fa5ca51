// Multipath TCP option (RFC 8684; v0 of RFC 6824) as tcpdump 4.99.3 prints it.

import { hex2, ipv4String, ipv6String, type PrintContext } from './context.js';

const TH_SYN = 0x02;
const TH_ACK = 0x10;

function u64(ctx: PrintContext, off: number): bigint {
  const hi = BigInt(ctx.u32(off));
  const lo = BigInt(ctx.u32(off + 4));
  return (hi << 32n) | lo;
}

type SubPrinter = (ctx: PrintContext, opt: number, len: number, flags: number) => boolean;

const capable: SubPrinter = (ctx, opt, len, flags) => {
  if (!(((len === 12 || len === 4) && flags & TH_SYN) || ((len === 20 || len === 22) && (flags & (TH_SYN | TH_ACK)) === TH_ACK))) {
    return false;
  }
  const version = ctx.u8(opt + 2) & 0x0f;
  if (version > 1) {
    ctx.out(` Unknown Version (${version})`);
    return true;
  }
  ctx.out(` v${version}`);
  if (ctx.u8(opt + 3) & 0x80) ctx.out(' csum');
  if (len === 12 || len >= 20) {
    ctx.out(` {0x${u64(ctx, opt + 4).toString(16)}`);
    if (len >= 20) ctx.out(`,0x${u64(ctx, opt + 12).toString(16)}`);
    ctx.out('}');
  }
  return true;
};

const join: SubPrinter = (ctx, opt, len, flags) => {
  if (!((len === 12 && flags & TH_SYN) || (len === 16 && (flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) || (len === 24 && flags & TH_ACK))) {
    return false;
  }
  if (len !== 24) {
    if (ctx.u8(opt + 2) & 0x01) ctx.out(' backup');
    ctx.out(` id ${ctx.u8(opt + 3)}`);
  }
  if (len === 12) {
    ctx.out(` token 0x${ctx.u32(opt + 4).toString(16)} nonce 0x${ctx.u32(opt + 8).toString(16)}`);
  } else if (len === 16) {
    ctx.out(` hmac 0x${u64(ctx, opt + 4).toString(16)} nonce 0x${ctx.u32(opt + 12).toString(16)}`);
  } else if (len === 24) {
    let s = ' hmac 0x';
    for (let i = 0; i < 20; i++) s += hex2(ctx.data[opt + 4 + i] ?? 0);
    ctx.out(s);
  }
  return true;
};

const dss: SubPrinter = (ctx, opt, len, flags) => {
  if (len < 4 || flags & TH_SYN) return false;
  const f = ctx.u8(opt + 3);
  if (f & 0x10) ctx.out(' fin');
  let p = opt + 4;
  let rest = len - 4;
  // A data ACK or data sequence number: 8 bytes when its "wide" bit is set, else 4.
  const number = (label: string, wide: boolean): boolean => {
    const size = wide ? 8 : 4;
    ctx.out(label);
    if (rest < size) return false;
    ctx.out(wide ? u64(ctx, p).toString() : String(ctx.u32(p)));
    p += size;
    rest -= size;
    return true;
  };
  if (f & 0x01 && !number(' ack ', (f & 0x02) !== 0)) return false;
  if (f & 0x04) {
    if (!number(' seq ', (f & 0x08) !== 0)) return false;
    if (rest < 4) return false;
    ctx.out(` subseq ${ctx.u32(p)}`);
    p += 4;
    rest -= 4;
    if (rest < 2) return false;
    ctx.out(` len ${ctx.u16(p)}`);
    p += 2;
    rest -= 2;
    if (rest >= 2) {
      ctx.out(` csum 0x${ctx.u16(p).toString(16)}`);
      rest -= 2;
    }
  }
  return rest === 0;
};

const ADD_ADDR_KINDS = new Map<number, string>([[0x6, 'v0-ip6'], [0x4, 'v0-ip4'], [0x1, 'v1-echo'], [0x0, 'v1']]);

const addAddr: SubPrinter = (ctx, opt, len) => {
  if (![8, 10, 16, 18, 20, 22, 28, 30].includes(len)) return false;
  ctx.out(` ${ADD_ADDR_KINDS.get(ctx.u8(opt + 2) & 0x0f) ?? '[bad version/echo]'}`);
  ctx.out(` id ${ctx.u8(opt + 3)}`);
  if (len === 8 || len === 10 || len === 16 || len === 18) {
    ctx.check(opt + 4, 4);
    ctx.out(` ${ipv4String(ctx.data, opt + 4)}`);
    if (len === 10 || len === 18) ctx.out(`:${ctx.u16(opt + 8)}`);
    if (len === 16) ctx.out(` hmac 0x${u64(ctx, opt + 8).toString(16)}`);
    if (len === 18) ctx.out(` hmac 0x${u64(ctx, opt + 10).toString(16)}`);
  } else {
    ctx.check(opt + 4, 16);
    ctx.out(` ${ipv6String(ctx.data, opt + 4)}`);
    if (len === 22 || len === 30) ctx.out(`:${ctx.u16(opt + 20)}`);
    if (len === 28) ctx.out(` hmac 0x${u64(ctx, opt + 20).toString(16)}`);
    if (len === 30) ctx.out(` hmac 0x${u64(ctx, opt + 22).toString(16)}`);
  }
  return true;
};

const removeAddr: SubPrinter = (ctx, opt, len) => {
  if (len < 4) return false;
  ctx.out(' id');
  for (let i = 0; i < len - 3; i++) ctx.out(` ${ctx.u8(opt + 3 + i)}`);
  return true;
};

const prio: SubPrinter = (ctx, opt, len) => {
  if (len !== 3 && len !== 4) return false;
  ctx.out(ctx.u8(opt + 2) & 0x01 ? ' backup' : ' non-backup');
  if (len === 4) ctx.out(` id ${ctx.u8(opt + 3)}`);
  return true;
};

const fail: SubPrinter = (ctx, opt, len) => {
  if (len !== 12) return false;
  ctx.out(` seq ${u64(ctx, opt + 4).toString()}`);
  return true;
};

const fastClose: SubPrinter = (ctx, opt, len) => {
  if (len !== 12) return false;
  ctx.out(` key 0x${u64(ctx, opt + 4).toString(16)}`);
  return true;
};

const unknown: SubPrinter = () => true;

const SUBTYPES: [string, SubPrinter][] = [
  ['capable', capable], ['join', join], ['dss', dss], ['add-addr', addAddr], ['rem-addr', removeAddr],
  ['prio', prio], ['fail', fail], ['fast-close', fastClose], ['unknown', unknown],
];

/** Prints the option body after its name; false means tcpdump's `[bad opt]`. */
export function mptcpOption(ctx: PrintContext, opt: number, len: number, flags: number): boolean {
  ctx.protocol = 'mptcp';
  if (len < 3) return false;
  const subtype = Math.min(ctx.u8(opt + 2) >> 4, SUBTYPES.length - 1);
  const [name, printer] = SUBTYPES[subtype]!;
  ctx.out(` ${len} ${name}`);
  return printer(ctx, opt, len, flags);
}
