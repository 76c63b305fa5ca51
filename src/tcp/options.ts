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
  for (let i = 0; i < opts.length; i++) n += optionSize(opts[i]!);
  return n;
}

const NOP: TcpOption = { kind: 'nop' };
const SACK_OK: TcpOption = { kind: 'sackOK' };
const EOL: TcpOption = { kind: 'eol' };

/**
 * The objects a SYN's option list is written into: a segment that is
 * reused (see PooledSegment) keeps one, so that sending a SYN allocates
 * nothing. The list and the option objects are overwritten by the next
 * SYN written into the same scratch.
 */
export class SynOptionScratch {
  readonly list: TcpOption[] = [];
  readonly mss = { kind: 'mss' as const, mss: 0 };
  readonly wscale = { kind: 'wscale' as const, shift: 0 };
  readonly ts = { kind: 'timestamp' as const, val: 0, ecr: 0 };
}

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
  return writeSynOptions(new SynOptionScratch(), offer.mss, offer.wscale, offer.sackOk, offer.ts !== undefined, offer.ts?.val ?? 0, offer.ts?.ecr ?? 0, layout);
}

/** buildSynOptions into `into` (its list, returned, and its option objects), the offer given field by field. */
export function writeSynOptions(
  into: SynOptionScratch,
  mss: number,
  wscale: number | undefined,
  sackOk: boolean,
  ts: boolean,
  tsVal: number,
  tsEcr: number,
  layout: OptionLayout,
): TcpOption[] {
  const out = into.list;
  let n = 0;
  into.mss.mss = mss;
  out[n++] = into.mss;
  if (ts) {
    into.ts.val = tsVal;
    into.ts.ecr = tsEcr;
  }
  if (wscale !== undefined) into.wscale.shift = wscale;
  if (layout === 'linux') {
    if (ts) {
      if (sackOk) out[n++] = SACK_OK;
      else {
        out[n++] = NOP;
        out[n++] = NOP;
      }
      out[n++] = into.ts;
    } else if (sackOk) {
      out[n++] = NOP;
      out[n++] = NOP;
      out[n++] = SACK_OK;
    }
    if (wscale !== undefined) {
      out[n++] = NOP;
      out[n++] = into.wscale;
    }
  } else {
    let len = 4;
    if (wscale !== undefined) {
      out[n++] = NOP;
      out[n++] = into.wscale;
      len += 4;
    }
    if (sackOk) {
      if (len % 2 !== 0) {
        out[n++] = NOP;
        len++;
      }
      out[n++] = SACK_OK;
      len += 2;
    }
    if (ts) {
      while (len % 4 !== 2) {
        out[n++] = NOP;
        len++;
      }
      out[n++] = into.ts;
      len += 10;
    }
    if (len % 4 !== 0) out[n++] = EOL;
  }
  // Only a scratch reused for another layout or offer changes length.
  if (out.length !== n) out.length = n;
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
  // Indexed: a for-of iterator is an object per segment wherever V8 does not inline this.
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    if (o.kind === 'timestamp') return o;
  }
  return undefined;
}

/** The SACK blocks of a segment, if any. */
export function findSack(options: readonly TcpOption[]): readonly SackBlock[] | undefined {
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    if (o.kind === 'sack') return o.blocks;
  }
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
