// SYN cookies (RFC 4987 §3.6): when a listener's SYN queue is full, answer a
// SYN without keeping any state, encoding what the handshake needs in the
// initial sequence number of the SYN-ACK. The ACK that completes the
// handshake returns it (SEG.ACK − 1) and the connection is rebuilt from it.
//
// Our cookie, a 32-bit ISS:
//
//    31      27 26  24 23                                   0
//   +----------+------+--------------------------------------+
//   | counter  | MSS  |  MAC: HalfSipHash(secret[counter],   |
//   | mod 32   | index|   4-tuple, peer ISN, counter, MSS)   |
//   +----------+------+--------------------------------------+
//
// The counter ticks every 64 s; a cookie is accepted during the period it
// was made and the next one. Each period has its own random secret, and
// only the secrets of the current and previous periods are kept, so the
// secrets rotate and an old cookie cannot be validated even by brute force
// once its secret is gone.
//
// With timestamps (RFC 7323) the SYN-ACK's TSval carries in its low 6 bits
// what else the SYN offered (as Linux does): bits 0..3 the peer's window
// shift (15: none), bit 4 SACK-permitted, bit 5 ECN. The ACK echoes it in
// TSecr. Without timestamps there is nowhere to keep them: the SYN-ACK
// offers the MSS only, and the connection runs without window scaling and
// SACK.
//
// Sans-IO like the rest of src/tcp: the caller passes `now` (µs) and a
// source of fresh secrets.

import { halfSipHash, type HashKey } from '../stack/hash.js';
import { ACK, CWR, ECE, SYN, type Segment } from '../wire/tcp-types.js';
import type { TcpConfig } from './config.js';
import { buildSynOptions, findTimestamp, MAX_WSCALE, parseSynOptions, windowShiftFor } from './options.js';
import { seqAdd, seqSub } from './seq.js';
import type { FourTuple } from './types.js';

/** One cookie counter period in µs (Linux: 64 s). */
export const COOKIE_PERIOD = 64_000_000;
/** MSS values a cookie can name (3 bits; the first four are Linux's IPv4 table). */
export const COOKIE_MSS_V4: readonly number[] = [536, 1300, 1440, 1460];
/** For IPv6: the common MTUs (1280, 1480, 1500, 9000) less 60 bytes of headers. */
export const COOKIE_MSS_V6: readonly number[] = [1220, 1420, 1440, 8940];

const TS_WSCALE_MASK = 0x0f;
const TS_WSCALE_NONE = 0x0f;
const TS_SACK = 0x10;
const TS_ECN = 0x20;
const TS_OPT_MASK = 0x3f;

/** What a valid cookie ACK gives back about the handshake. */
export interface CookieRestored {
  /** The peer's MSS, rounded down to an entry of the table. */
  mss: number;
  /** The peer's window shift (RFC 7323 Snd.Wind.Shift), undefined: no window scaling. */
  sndWscale: number | undefined;
  sackOk: boolean;
  tsOk: boolean;
  /** The peer asked for ECN (RFC 3168); recorded only, the core does not do ECN. */
  ecn: boolean;
  /** Offset of our timestamp clock used in the SYN-ACK (the connection keeps it); undefined without timestamps. */
  tsOffset: number | undefined;
}

/** Why an ACK is not a valid cookie. */
export type CookieFailure = 'expired' | 'noSecret' | 'badMac' | 'badMssIndex' | 'badTimestamp';

export type CookieCheck = { ok: true; value: CookieRestored } | { ok: false; reason: CookieFailure };

export function cookieCounter(now: number): number {
  return Math.floor(now / COOKIE_PERIOD);
}

/**
 * The SYN cookie machinery of one stack: secrets per counter period and the
 * per-tuple timestamp offset. Secrets are drawn only when first needed.
 */
export class SynCookies {
  private current: { counter: number; key: HashKey } | null = null;
  private previous: { counter: number; key: HashKey } | null = null;
  private tsKey: HashKey | null = null;
  private readonly buf = new Uint8Array(48);

  constructor(private readonly newKey: () => HashKey) {}

  /** The secret of period `counter` (made now if it is the current one). */
  private secretFor(counter: number, create: boolean): HashKey | undefined {
    if (this.current !== null && this.current.counter === counter) return this.current.key;
    if (this.previous !== null && this.previous.counter === counter) return this.previous.key;
    if (!create) return undefined;
    // Rotate: the old current secret survives one more period only if it is the previous period's.
    this.previous = this.current !== null && this.current.counter === counter - 1 ? this.current : null;
    this.current = { counter, key: this.newKey() };
    return this.current.key;
  }

  /** Forget secrets older than the previous period (called on encode and check). */
  private expire(counter: number): void {
    if (this.previous !== null && this.previous.counter < counter - 1) this.previous = null;
    if (this.current !== null && this.current.counter < counter - 1) this.current = null;
  }

  private mac(key: HashKey, t: FourTuple, peerIsn: number, counter: number, mssIndex: number): number {
    const b = this.buf;
    let n = 0;
    b.set(t.localAddr, n);
    n += t.localAddr.length;
    b.set(t.remoteAddr, n);
    n += t.remoteAddr.length;
    n = put32(b, n, ((t.localPort << 16) | t.remotePort) >>> 0);
    n = put32(b, n, peerIsn);
    n = put32(b, n, counter >>> 0);
    b[n++] = mssIndex;
    return halfSipHash(key, b, 0, n) & 0x00ffffff;
  }

  /** RFC 7323 §5.4: a per-tuple offset of our timestamp clock, the same for the SYN-ACK and the connection. */
  tsOffset(t: FourTuple): number {
    this.tsKey ??= this.newKey();
    const b = this.buf;
    let n = 0;
    b.set(t.localAddr, n);
    n += t.localAddr.length;
    b.set(t.remoteAddr, n);
    n += t.remoteAddr.length;
    n = put32(b, n, ((t.localPort << 16) | t.remotePort) >>> 0);
    return halfSipHash(this.tsKey, b, 0, n);
  }

  /** The cookie (our ISS) for a SYN with initial sequence number `peerIsn` offering `peerMss`. */
  encode(t: FourTuple, peerIsn: number, peerMss: number, now: number): number {
    const counter = cookieCounter(now);
    this.expire(counter);
    const key = this.secretFor(counter, true)!;
    const idx = mssIndexFor(peerMss, t.remoteAddr.length === 16);
    return (((counter & 0x1f) << 27) | (idx << 24) | this.mac(key, t, peerIsn >>> 0, counter, idx)) >>> 0;
  }

  /**
   * Check the ACK that would complete a handshake we answered with a
   * cookie: SEG.ACK − 1 must be a cookie of this period or the previous
   * one for this 4-tuple and SEG.SEQ − 1, and its timestamp echo must name
   * options we could have offered.
   */
  check(t: FourTuple, ack: Segment, now: number, cfg: TcpConfig): CookieCheck {
    const counter = cookieCounter(now);
    this.expire(counter);
    const cookie = seqSub(ack.ack, 1) >>> 0;
    const age = (counter - (cookie >>> 27)) & 0x1f;
    if (age > 1) return { ok: false, reason: 'expired' };
    const made = counter - age;
    const key = this.secretFor(made, false);
    if (key === undefined) return { ok: false, reason: 'noSecret' };
    const idx = (cookie >>> 24) & 0x7;
    const table = t.remoteAddr.length === 16 ? COOKIE_MSS_V6 : COOKIE_MSS_V4;
    if (idx >= table.length) return { ok: false, reason: 'badMssIndex' };
    const peerIsn = seqAdd(ack.seq, -1);
    if (this.mac(key, t, peerIsn, made, idx) !== (cookie & 0x00ffffff)) return { ok: false, reason: 'badMac' };
    const ts = cfg.timestamps ? findTimestamp(ack.options) : undefined;
    let sndWscale: number | undefined;
    let sackOk = false;
    let ecn = false;
    const tsOk = ts !== undefined;
    if (ts !== undefined) {
      const bits = ts.ecr & TS_OPT_MASK;
      const ws = bits & TS_WSCALE_MASK;
      if (ws !== TS_WSCALE_NONE) {
        if (ws > MAX_WSCALE || !cfg.windowScaling) return { ok: false, reason: 'badTimestamp' };
        sndWscale = ws;
      }
      if ((bits & TS_SACK) !== 0) {
        if (!cfg.sack) return { ok: false, reason: 'badTimestamp' };
        sackOk = true;
      }
      ecn = (bits & TS_ECN) !== 0;
    }
    return { ok: true, value: { mss: table[idx]!, sndWscale, sackOk, tsOk, ecn, tsOffset: tsOk ? this.tsOffset(t) : undefined } };
  }

  /**
   * The SYN-ACK answering `syn` with a cookie. Only what the cookie can
   * bring back is offered: the MSS always; window scaling and SACK only
   * when timestamps carry them.
   */
  synAck(t: FourTuple, syn: Segment, cfg: TcpConfig, ourMss: number, now: number): Segment {
    const peer = parseSynOptions(syn.options);
    const iss = this.encode(t, syn.seq, peer.mss ?? (t.remoteAddr.length === 16 ? 1220 : 536), now);
    const ts = cfg.timestamps && peer.ts !== undefined;
    let wscale: number | undefined;
    let sackOk = false;
    let tsVal = 0;
    if (ts) {
      const wsOk = cfg.windowScaling && peer.wscale !== undefined;
      if (wsOk) wscale = windowShiftFor(cfg.rcvBuf);
      sackOk = cfg.sack && peer.sackOk;
      // RFC 3168 §6.1.1: an ECN-setup SYN has ECE and CWR.
      const ecn = (syn.flags & (ECE | CWR)) === (ECE | CWR);
      const bits = (wsOk ? Math.min(peer.wscale!, MAX_WSCALE) : TS_WSCALE_NONE) | (sackOk ? TS_SACK : 0) | (ecn ? TS_ECN : 0);
      const clock = (Math.floor(now / 1000) + this.tsOffset(t)) >>> 0;
      tsVal = ((clock & ~TS_OPT_MASK) | bits) >>> 0;
      // Never ahead of our clock: step back one 64 ms slot if it would be.
      if (seqSub(tsVal, clock) > 0) tsVal = seqAdd(tsVal, -64);
    }
    const options = buildSynOptions(
      { mss: cfg.mss > 0 ? cfg.mss : ourMss, wscale, sackOk, ts: ts ? { val: tsVal, ecr: peer.ts!.val } : undefined },
      cfg.optionLayout,
    );
    return {
      srcPort: t.localPort,
      dstPort: t.remotePort,
      seq: iss,
      ack: seqAdd(syn.seq, 1),
      flags: SYN | ACK,
      // RFC 7323 §2.2: the window of a SYN-ACK is not scaled.
      window: cookieSynAckWindow(cfg),
      urgent: 0,
      options,
      payload: new Uint8Array(0),
    };
  }
}

/** The window a cookie SYN-ACK offers (the connection rebuilt from the cookie starts from it). */
export function cookieSynAckWindow(cfg: TcpConfig): number {
  return Math.min(cfg.rcvBuf, 0xffff);
}

/** The largest table entry not above the peer's MSS (the first one if all are). */
export function mssIndexFor(peerMss: number, v6: boolean): number {
  const table = v6 ? COOKIE_MSS_V6 : COOKIE_MSS_V4;
  for (let i = table.length - 1; i > 0; i--) if (table[i]! <= peerMss) return i;
  return 0;
}

function put32(b: Uint8Array, n: number, v: number): number {
  b[n] = v >>> 24;
  b[n + 1] = v >>> 16;
  b[n + 2] = v >>> 8;
  b[n + 3] = v;
  return n + 4;
}

