// Connections in TIME-WAIT, kept small.
//
// TIME-WAIT lasts 2·MSL (60 s by default) and a busy server holds one such
// connection for every connection it closed first: tens of thousands. In
// that state nothing is left to send or read; what the connection still does
// (RFC 9293 §3.10.7.4) is answer segments — ACK a retransmitted FIN and
// restart the 2·MSL timer, challenge a SYN or an in-window RST (RFC 5961),
// drop old duplicates by their timestamps (RFC 7323 PAWS) — and close when
// the timer runs out. For that it needs some thirty numbers and its
// counters, not the send and receive machinery of a whole TcpConnection
// (about 2.5 KB with its parts). Linux keeps such connections as timewait
// sockets and FreeBSD as tcptw records for the same reason.
//
// A TimeWaitStore holds those numbers for all of a stack's quiet TIME-WAIT
// connections, one slot each, in typed arrays: a slot is no object of its
// own. That matters beyond the bytes. A connection enters TIME-WAIT young
// and then lives for a minute, so every object it keeps there is copied by
// the young-generation collector and promoted; with a record, its counters,
// its RTT estimator and its congestion controller as objects (about 800
// bytes), a connect+request+close loop spent a fifth of its time more than
// with nothing kept.
//
// TcpConnection.toTimeWait() writes a slot once the connection is quiet, and
// TcpConnection.fromTimeWait() builds the connection again from it, equal in
// everything TIME-WAIT can show, when a segment, the timer or a caller needs
// it. One segment processor serves both: the store has no RFC logic of its
// own to drift from the connection's.

import type { TcpConfig } from './config.js';
import type { FourTuple } from './types.js';

// 32-bit fields of a slot. Sequence numbers and timestamps are stored as
// signed 32-bit integers, as TcpConnection keeps them.
export const TW_ISS = 0;
export const TW_IRS = 1;
/** SND.UNA = SND.NXT = SND.MAX: everything sent, our FIN included, was acknowledged. */
export const TW_SND_NXT = 2;
export const TW_SND_WND = 3;
export const TW_MAX_SND_WND = 4;
export const TW_SND_WL1 = 5;
export const TW_SND_WL2 = 6;
export const TW_SND_MSS = 7;
export const TW_ADV_MSS = 8;
export const TW_SND_WSCALE = 9;
export const TW_RCV_WSCALE = 10;
/** TW_PASSIVE | TW_WSCALE_OK | TW_SACK_OK | TW_TS_OK | TW_NEWRENO. */
export const TW_FLAGS = 11;
export const TW_TS_RECENT = 12;
export const TW_TS_OFFSET = 13;
export const TW_RCV_NXT = 14;
export const TW_RCV_ADV = 15;
export const TW_LAST_ACK_SENT = 16;
export const TW_RCV_FIN_SEQ = 17;
export const TW_ECN_FLAGS = 18;
export const TW_ECN_RECOVER = 19;
export const TW_RTO_SHIFT = 20;
/** 32-bit fields per slot. */
export const TW_INTS = 21;

// Floating-point fields: times in µs, sizes, the RTT estimator's and the
// congestion controller's numbers, then the connection's counters.
/** TS.Recent's age (µs), or NaN when none was taken. */
export const TW_TS_RECENT_AT = 0;
export const TW_LAST_INVALID_ACK = 1;
export const TW_LAST_NOW = 2;
/** When 2·MSL runs out (µs). */
export const TW_CLOSE_AT = 3;
/** SRTT (µs), or NaN before the first sample. */
export const TW_SRTT = 4;
export const TW_RTTVAR = 5;
export const TW_RTO_BASE = 6;
export const TW_CWND = 7;
export const TW_SSTHRESH = 8;
export const TW_CC_MSS = 9;
export const TW_RCV_BUF = 10;
export const TW_SND_BUF = 11;
/** The counters (TcpStats), in the order of their keys. */
export const TW_STATS = 12;
/** Room for TcpStats' counters (connection.ts checks, when it loads, that they fit). */
export const TW_STATS_MAX = 24;
/** Floating-point fields per slot. */
export const TW_FLOATS = TW_STATS + TW_STATS_MAX;

export const TW_PASSIVE = 1;
export const TW_WSCALE_OK = 2;
export const TW_SACK_OK = 4;
export const TW_TS_OK = 8;
export const TW_NEWRENO = 16;

/** Slots per chunk of the columns: the store grows a chunk at a time, never copying. */
const CHUNK_SHIFT = 8;
const CHUNK = 1 << CHUNK_SHIFT;

/**
 * The quiet TIME-WAIT connections of one stack. Written by
 * TcpConnection.toTimeWait and read by TcpConnection.fromTimeWait (which
 * gives the slot back). Slot `s`'s 32-bit fields are
 * `intsOf(s)[intBase(s) + TW_*]`, its floating-point ones
 * `floatsOf(s)[floatBase(s) + TW_*]`.
 *
 * The columns come in chunks of 256 slots (95 KB), made as needed: 372
 * bytes a slot. The lowest free slot is always taken first, so that after
 * a burst the slots in use gather in the first chunks and the last ones
 * empty; once the last two chunks hold nothing, the last is let go (one
 * empty chunk is kept, so that a store whose use hovers at a chunk's edge
 * does not make and drop a chunk on every connection).
 */
export class TimeWaitStore {
  private readonly intChunks: Int32Array[] = [];
  private readonly floatChunks: Float64Array[] = [];
  /** Slots in use in each chunk. */
  private readonly chunkLive: number[] = [];
  private readonly tuples: Array<FourTuple | undefined> = [];
  private readonly configs: Array<TcpConfig | undefined> = [];
  /**
   * Slots given back, as a binary min-heap: taken before new ones, lowest
   * first. Numbers at or past `high` were in chunks since let go: they are
   * dropped when they come up.
   */
  private readonly free: number[] = [];
  /** Slots below this lie in the chunks held: the next new slot. */
  private high = 0;
  private live = 0;

  /** Slots in use. */
  get size(): number {
    return this.live;
  }

  /** Bytes the columns hold (whatever is in use). */
  get byteLength(): number {
    return this.intChunks.length * CHUNK * (TW_INTS * 4 + TW_FLOATS * 8);
  }

  /** A slot for a connection of `tuple` under `config`; its fields are the caller's to write. */
  take(tuple: FourTuple, config: TcpConfig): number {
    let s = this.popFree();
    if (s === undefined) {
      s = this.high++;
      if ((s >>> CHUNK_SHIFT) === this.intChunks.length) {
        this.intChunks.push(new Int32Array(CHUNK * TW_INTS));
        this.floatChunks.push(new Float64Array(CHUNK * TW_FLOATS));
        this.chunkLive.push(0);
      }
    }
    this.chunkLive[s >>> CHUNK_SHIFT]!++;
    this.tuples[s] = tuple;
    this.configs[s] = config;
    this.live++;
    return s;
  }

  /** Give a slot back: its fields mean nothing any more. */
  release(slot: number): void {
    if (this.tuples[slot] === undefined) throw new RangeError(`TIME-WAIT slot ${slot} is not in use`);
    this.tuples[slot] = undefined;
    this.configs[slot] = undefined;
    this.pushFree(slot);
    this.live--;
    const n = this.chunkLive.length;
    if (--this.chunkLive[slot >>> CHUNK_SHIFT]! === 0 && n >= 2 && this.chunkLive[n - 1] === 0 && this.chunkLive[n - 2] === 0) this.trim();
  }

  /** Let go of the last chunks while the one before each is empty too. */
  private trim(): void {
    let n = this.chunkLive.length;
    while (n >= 2 && this.chunkLive[n - 1] === 0 && this.chunkLive[n - 2] === 0) {
      this.intChunks.pop();
      this.floatChunks.pop();
      this.chunkLive.pop();
      n--;
    }
    this.high = Math.min(this.high, n * CHUNK);
    if (this.tuples.length > this.high) this.tuples.length = this.configs.length = this.high;
  }

  /** The lowest free slot still in a chunk held, or undefined. */
  private popFree(): number | undefined {
    const h = this.free;
    while (h.length > 0) {
      const top = h[0]!;
      const last = h.pop()!;
      if (h.length > 0) {
        // Sift `last` down from the root.
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= h.length) break;
          const c = l + 1 < h.length && h[l + 1]! < h[l]! ? l + 1 : l;
          if (h[c]! >= last) break;
          h[i] = h[c]!;
          i = c;
        }
        h[i] = last;
      }
      if (top < this.high) return top;
    }
    return undefined;
  }

  private pushFree(slot: number): void {
    const h = this.free;
    let i = h.length;
    h.push(slot);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= slot) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = slot;
  }

  tuple(slot: number): FourTuple {
    const t = this.tuples[slot];
    if (t === undefined) throw new RangeError(`TIME-WAIT slot ${slot} is not in use`);
    return t;
  }

  config(slot: number): TcpConfig {
    const c = this.configs[slot];
    if (c === undefined) throw new RangeError(`TIME-WAIT slot ${slot} is not in use`);
    return c;
  }

  /** The chunk that holds slot `slot`'s 32-bit fields. */
  intsOf(slot: number): Int32Array {
    return this.intChunks[slot >>> CHUNK_SHIFT]!;
  }

  /** Where slot `slot`'s 32-bit fields start in its chunk. */
  intBase(slot: number): number {
    return (slot & (CHUNK - 1)) * TW_INTS;
  }

  /** The chunk that holds slot `slot`'s floating-point fields. */
  floatsOf(slot: number): Float64Array {
    return this.floatChunks[slot >>> CHUNK_SHIFT]!;
  }

  /** Where slot `slot`'s floating-point fields start in its chunk. */
  floatBase(slot: number): number {
    return (slot & (CHUNK - 1)) * TW_FLOATS;
  }
}
