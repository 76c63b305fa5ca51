// TCP options as the core uses them: what we offer on a SYN, what the two
// SYNs negotiate, and what a data segment carries.

import type { OptionLayout } from './config.js';
import type { SackBlock, TcpOption } from '../wire/tcp-types.js';

/** RFC 7323 §2.3: the largest shift a window scale option may carry. */
export const MAX_WSCALE = 14;
/** RFC 9293 §3.7.1: send MSS assumed when the peer's SYN carries no MSS option. */
export const DEFAULT_MSS_IPV4 = 536;
export const DEFAULT_MSS_IPV6 = 1220;
/**
 * The smallest peer MSS we honour: a peer announcing less (even 0) is
 * treated as announcing this, so that a segment always carries data.
 */
export const MIN_PEER_MSS = 64;
/** Bytes the timestamp option takes in every segment, with its two NOPs (RFC 7323 Appendix A). */
export const TS_OPTION_SPACE = 12;

/** What a SYN (or SYN-ACK) announces. */
export interface SynOffer {
  mss: number;
  /** Our window shift, or undefined to send no window scale option. */
  wscale: number | undefined;
  sackOk: boolean;
  /** TSval/TSecr, or undefined to send no timestamp option. */
  ts: { val: number; ecr: number } | undefined;
}

/** Size in bytes of one option on the wire. */
export function optionSize(o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackOK':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamp':
      return 10;
    case 'unknown':
      return 2 + o.data.length;
  }
}

export function optionsSize(opts: readonly TcpOption[]): number {
  let n = 0;
  for (const o of opts) n += optionSize(o);
  return n;
}

const NOP: TcpOption = { kind: 'nop' };

/**
 * The option list of a SYN or SYN-ACK.
 *
 * linux:   mss, sackOK, TS, nop, wscale   (with TS and SACK)
 *          mss, nop, nop, TS, nop, wscale (TS without SACK)
 *          mss, nop, nop, sackOK, nop, wscale (SACK without TS)
 *          mss, nop, wscale
 * freebsd: mss, nop, wscale, sackOK, TS — NOPs placed so that sackOK starts
 *          on an even offset and TS on offset 2 mod 4, the list ended by an
 *          EOL when its length is not a multiple of 4.
 */
export function buildSynOptions(offer: SynOffer, layout: OptionLayout): TcpOption[] {
  const out: TcpOption[] = [{ kind: 'mss', mss: offer.mss }];
  if (layout === 'linux') {
    if (offer.ts !== undefined) {
      if (offer.sackOk) out.push({ kind: 'sackOK' });
      else out.push(NOP, NOP);
      out.push({ kind: 'timestamp', val: offer.ts.val, ecr: offer.ts.ecr });
    } else if (offer.sackOk) {
      out.push(NOP, NOP, { kind: 'sackOK' });
    }
    if (offer.wscale !== undefined) out.push(NOP, { kind: 'wscale', shift: offer.wscale });
    return out;
  }
  let len = 4;
  if (offer.wscale !== undefined) {
    out.push(NOP, { kind: 'wscale', shift: offer.wscale });
    len += 4;
  }
  if (offer.sackOk) {
    if (len % 2 !== 0) {
      out.push(NOP);
      len++;
    }
    out.push({ kind: 'sackOK' });
    len += 2;
  }
  if (offer.ts !== undefined) {
    while (len % 4 !== 2) {
      out.push(NOP);
      len++;
    }
    out.push({ kind: 'timestamp', val: offer.ts.val, ecr: offer.ts.ecr });
    len += 10;
  }
  if (len % 4 !== 0) out.push({ kind: 'eol' });
  return out;
}

/** Options of a non-SYN segment: nop, nop, TS (RFC 7323 Appendix A), then nop, nop, SACK blocks (RFC 2018 §3). */
export function buildDataOptions(ts: { val: number; ecr: number } | undefined, sack: readonly SackBlock[] | undefined): TcpOption[] {
  const out: TcpOption[] = [];
  if (ts !== undefined) out.push(NOP, NOP, { kind: 'timestamp', val: ts.val, ecr: ts.ecr });
  if (sack !== undefined && sack.length > 0) {
    out.push(NOP, NOP, { kind: 'sack', blocks: sack.map((b) => ({ left: b.left, right: b.right })) });
  }
  return out;
}

/** RFC 2018 §3: how many SACK blocks fit beside the other options (4 alone, 3 with timestamps). */
export function maxSackBlocks(timestamps: boolean): number {
  return timestamps ? 3 : 4;
}

/** What a peer's SYN or SYN-ACK announced. */
export interface PeerSynOptions {
  mss: number | undefined;
  wscale: number | undefined;
  sackOk: boolean;
  ts: { val: number; ecr: number } | undefined;
}

/** Read the options that matter for negotiation; later duplicates win, unknown options are ignored. */
export function parseSynOptions(options: readonly TcpOption[]): PeerSynOptions {
  const r: PeerSynOptions = { mss: undefined, wscale: undefined, sackOk: false, ts: undefined };
  for (const o of options) {
    switch (o.kind) {
      case 'mss':
        r.mss = o.mss;
        break;
      case 'wscale':
        r.wscale = o.shift;
        break;
      case 'sackOK':
        r.sackOk = true;
        break;
      case 'timestamp':
        r.ts = { val: o.val, ecr: o.ecr };
        break;
      default:
        break;
    }
  }
  return r;
}

/** The timestamp option of a segment, if any. */
export function findTimestamp(options: readonly TcpOption[]): { val: number; ecr: number } | undefined {
  for (const o of options) if (o.kind === 'timestamp') return o;
  return undefined;
}

/** The SACK blocks of a segment, if any. */
export function findSack(options: readonly TcpOption[]): readonly SackBlock[] | undefined {
  for (const o of options) if (o.kind === 'sack') return o.blocks;
  return undefined;
}

/** What we are willing to use. */
export interface LocalOffer {
  /** The MSS we can receive (announced in our MSS option). */
  mss: number;
  /** The largest segment our interface can send (MMS_S of RFC 9293 §3.7.1, as an MSS). */
  sendLimit: number;
  /** Our window shift, or undefined when window scaling is off. */
  wscale: number | undefined;
  sack: boolean;
  timestamps: boolean;
  /** Send MSS to assume without a peer MSS option (536 for IPv4, 1220 for IPv6). */
  defaultMss: number;
}

export interface Negotiated {
  /**
   * RFC 9293 §3.7.1: min(peer's MSS or the default, our send limit), before
   * subtracting the space of the options every segment carries.
   */
  sndMss: number;
  /** Shift applied to windows the peer sends us (RFC 7323 Snd.Wind.Shift); 0 unless both sides sent wscale. */
  sndWscale: number;
  /** Shift applied to windows we send (Rcv.Wind.Shift); 0 unless both sides sent wscale. */
  rcvWscale: number;
  /** Both sides offered window scaling. */
  wscaleOk: boolean;
  sackOk: boolean;
  tsOk: boolean;
}

export function negotiate(ours: LocalOffer, peer: PeerSynOptions): Negotiated {
  const peerMss = Math.max(peer.mss ?? ours.defaultMss, MIN_PEER_MSS);
  const wscaleOk = ours.wscale !== undefined && peer.wscale !== undefined;
  return {
    sndMss: Math.min(peerMss, ours.sendLimit),
    // RFC 7323 §2.3: a shift above 14 is used as 14.
    sndWscale: wscaleOk ? Math.min(peer.wscale!, MAX_WSCALE) : 0,
    rcvWscale: wscaleOk ? ours.wscale! : 0,
    wscaleOk,
    sackOk: ours.sack && peer.sackOk,
    tsOk: ours.timestamps && peer.ts !== undefined,
  };
}

/** The smallest window shift that lets a 16-bit window field cover `rcvBuf` bytes (at most 14). */
export function windowShiftFor(rcvBuf: number): number {
  let s = 0;
  // floor(rcvBuf / 2^s) > 0xffff, without a call to pow per step (every connection asks).
  while (s < MAX_WSCALE && rcvBuf >= 0x10000 * (1 << s)) s++;
  return s;
}
