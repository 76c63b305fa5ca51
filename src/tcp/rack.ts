// RACK-TLP (RFC 8985): loss detection by time rather than by counting
// duplicate ACKs. The sender remembers when it last transmitted each segment
// in flight; a segment is deemed lost once a segment sent after it has been
// delivered (acknowledged or SACKed) and a reordering window has passed
// since. This also finds lost retransmissions, which RFC 6675's counting
// cannot, and tolerates reordering up to the window without a spurious fast
// retransmit.
//
// The log holds one record per transmitted segment between SND.UNA and
// SND.MAX, in sequence order, contiguous. Records live in one Float64Array
// used as a ring (four slots per record), allocated on the first
// transmission and grown by doubling, so sending and acknowledging allocate
// nothing per segment. Times are µs; sequence numbers go through seq.ts.

import { seqGt, seqLe, seqLt, seqMax, seqSub } from './seq.js';

const START = 0;
const END = 1;
const XMIT = 2;
const FLAGS = 3;
const SLOTS = 4;

const SACKED = 1;
/** Deemed lost and not retransmitted since: out of the pipe, next to be resent. */
const LOST = 2;
/** Transmitted more than once. */
const RETRANS = 4;

/** RFC 8985 §7.2: the worst-case delayed ACK time, added to the PTO when one segment is in flight. */
export const WC_DEL_ACK = 200_000;
/** RFC 8985 §6.2 step 4: the number of SACKed segments after which, with no reordering seen, the window is 0. */
const DUP_THRESH = 3;
/** RFC 8985 §6.2 step 4: recoveries a D-SACK-widened window persists for. */
const REO_WND_PERSIST = 16;

/** RFC 8985 §6.2: was (t1, e1) sent after (t2, e2)? Ties in time go by sequence. */
function sentAfter(t1: number, e1: number, t2: number, e2: number): boolean {
  return t1 > t2 || (t1 === t2 && seqGt(e1, e2));
}

export interface RackDetect {
  /** Records newly deemed lost. */
  lost: number;
  /** µs until the earliest pending record could be deemed lost (0: none pending): the reordering timer. */
  timeout: number;
}

export class Rack {
  // The tail loss probe's state (RFC 8985 §7), which the connection keeps
  // here: a connection that never sent data has no Rack and none of it.
  /** The outstanding probe, [tlpStart, tlpEnd) (TLP.end_seq); none when tlpEnd is undefined. */
  tlpStart = 0;
  tlpEnd: number | undefined = undefined;
  /** The probe resent old data rather than new. */
  tlpRetrans = false;
  /** A D-SACK reported the probe: the tail it repeated had arrived (RFC 8985 §7.4.2). */
  tlpDsack = false;
  /** SND.UNA and SND.MAX when the probe timer was last armed: it restarts when either moves. */
  tlpUna = 0;
  tlpMax = 0;

  private rec: Float64Array | undefined;
  private head = 0;
  private n = 0;
  private totalBytes = 0;
  private sackedBytesV = 0;
  private lostBytesV = 0;
  private sackedCount = 0;
  /** Records transmitted more than once and still in the log. */
  private retransCount = 0;

  // RFC 8985 §6.1 state.
  /** RACK.xmit_ts / RACK.end_seq: the most recently sent segment known delivered (xmit −1: none yet). */
  private xmitTs = -1;
  private endSeq = 0;
  /** RACK.rtt: the RTT of that segment. */
  private rtt = 0;
  /** RACK.min_RTT (the connection's lowest RTT; RFC 8985 allows any min filter). */
  private minRtt = Infinity;
  /** RACK.fack: the highest sequence number delivered. */
  private fack: number | undefined;
  private reorderingSeenV = false;
  private reoWndMult = 1;
  private reoWndPersist = 0;
  /** SND.MAX when the multiplier last grew: once per round trip (RFC 8985 §6.2 step 4). */
  private dsackRoundEnd: number | undefined;

  /** Bytes (sequence space) in flight by RFC 6675's SetPipe: neither SACKed nor deemed lost. */
  get pipe(): number {
    return this.totalBytes - this.sackedBytesV - this.lostBytesV;
  }

  /** Bytes (sequence space) of logged segments the peer SACKed. */
  get sackedBytes(): number {
    return this.sackedBytesV;
  }

  get lostBytes(): number {
    return this.lostBytesV;
  }

  get reorderingSeen(): boolean {
    return this.reorderingSeenV;
  }

  get records(): number {
    return this.n;
  }

  /** A segment [seq, end) left now. Returns true when it resent logged bytes. */
  onTransmit(seq: number, end: number, now: number): boolean {
    if (this.n === 0 || !seqLt(seq, this.slot(this.n - 1, END))) {
      this.append(this.n === 0 ? seq : this.slot(this.n - 1, END), end, now);
      return false;
    }
    const rec = this.rec!;
    for (let i = this.find(seq); i < this.n; i++) {
      const at = this.at(i);
      if (!seqLt(rec[at + START]!, end)) break;
      rec[at + XMIT] = now;
      const f = rec[at + FLAGS]!;
      if ((f & RETRANS) === 0) this.retransCount++;
      if ((f & LOST) !== 0) this.lostBytesV -= this.len(at);
      rec[at + FLAGS] = (f | RETRANS) & ~LOST;
    }
    const last = this.slot(this.n - 1, END);
    if (seqGt(end, last)) this.append(last, end, now);
    return true;
  }

  /**
   * An ACK arrived. `ack` is the cumulative point, `blocks` its SACK blocks
   * (D-SACK blocks are harmlessly skipped: they cover no logged record).
   * `echoedAt` is the send time the ACK's timestamp echo names (µs, ms
   * resolution), when timestamps are on; it judges only what the ACK
   * acknowledges cumulatively.
   */
  onAck(ack: number, blocks: readonly { left: number; right: number }[] | undefined, now: number, echoedAt: number | undefined): void {
    if (this.n === 0) return;
    const rec = this.rec!;
    // Cumulatively acknowledged records leave the log.
    while (this.n > 0) {
      const at = this.at(0);
      if (seqGt(rec[at + END]!, ack)) {
        if (seqGt(ack, rec[at + START]!)) {
          // A partial ACK of the head record: trim it.
          this.totalBytes -= seqSub(ack, rec[at + START]!);
          rec[at + START] = ack;
        }
        break;
      }
      const f = rec[at + FLAGS]!;
      const len = this.len(at);
      if ((f & SACKED) === 0) this.delivered(at, now, echoedAt);
      else {
        this.sackedBytesV -= len;
        this.sackedCount--;
      }
      if ((f & LOST) !== 0) this.lostBytesV -= len;
      if ((f & RETRANS) !== 0) this.retransCount--;
      this.totalBytes -= len;
      this.head = (this.head + 1) % (rec.length / SLOTS);
      this.n--;
    }
    if (blocks === undefined || this.n === 0) return;
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k]!;
      const left = b.left >>> 0;
      const right = b.right >>> 0;
      if (!seqLt(left, right) || seqLe(right, this.slot(0, START))) continue;
      for (let i = this.find(seqMax(left, this.slot(0, START))); i < this.n; i++) {
        const at = this.at(i);
        if (seqGt(rec[at + END]!, right)) break;
        const f = rec[at + FLAGS]!;
        if ((f & SACKED) !== 0 || seqLt(rec[at + START]!, left)) continue;
        const len = this.len(at);
        rec[at + FLAGS] = (f | SACKED) & ~LOST;
        if ((f & LOST) !== 0) this.lostBytesV -= len;
        this.sackedBytesV += len;
        this.sackedCount++;
        // No echo test here: a segment above a hole does not update
        // TS.Recent (RFC 7323 §4.3), so the echo names an older segment.
        this.delivered(at, now, undefined);
      }
    }
  }

  /**
   * RFC 8985 §6.2 step 4: a D-SACK arrived. The reordering window widens
   * by min_RTT/4, at most once per round trip, for the next 16 recoveries.
   */
  onDsack(ack: number, sndMax: number): void {
    if (this.dsackRoundEnd !== undefined && seqLe(ack, this.dsackRoundEnd)) return;
    this.dsackRoundEnd = sndMax;
    // Data arrived twice: a retransmission was not needed, so the network
    // reorders (or delays) more than the window allowed.
    this.reorderingSeenV = true;
    this.reoWndMult++;
    this.reoWndPersist = REO_WND_PERSIST;
  }

  /** A recovery episode ended: a widened window decays back after 16 of them. */
  onRecoveryEnd(): void {
    if (this.reoWndPersist > 0 && --this.reoWndPersist === 0) this.reoWndMult = 1;
  }

  /** RFC 8985 §6.2 step 4: RACK.reo_wnd. */
  reoWnd(inRecovery: boolean, srtt: number | undefined): number {
    if (!this.reorderingSeenV && (inRecovery || this.sackedCount >= DUP_THRESH)) return 0;
    const base = this.minRtt !== Infinity ? this.minRtt : (srtt ?? 0);
    return Math.min((this.reoWndMult * base) / 4, srtt ?? Infinity);
  }

  /**
   * RFC 8985 §6.2 step 5, RACK_detect_loss(): every record sent before the
   * most recently sent delivered one is lost once RACK.rtt + reo_wnd has
   * passed since its transmission.
   */
  detectLoss(now: number, reoWnd: number): RackDetect {
    const out = { lost: 0, timeout: 0 };
    // Fast path: with nothing SACKed and nothing resent, every record in the
    // log was sent after everything delivered so far.
    if (this.xmitTs < 0 || (this.sackedCount === 0 && this.retransCount === 0)) return out;
    const rec = this.rec!;
    for (let i = 0; i < this.n; i++) {
      const at = this.at(i);
      const f = rec[at + FLAGS]!;
      if ((f & (SACKED | LOST)) !== 0) continue;
      const t = rec[at + XMIT]!;
      if (!sentAfter(this.xmitTs, this.endSeq, t, rec[at + END]!)) continue;
      const remaining = t + this.rtt + reoWnd - now;
      if (remaining <= 0) {
        rec[at + FLAGS] = f | LOST;
        this.lostBytesV += this.len(at);
        out.lost++;
      } else if (remaining > out.timeout) {
        out.timeout = remaining;
      }
    }
    return out;
  }

  /** The first record deemed lost and not resent since, as [start, end); undefined if none. */
  firstLost(): { start: number; end: number } | undefined {
    if (this.lostBytesV === 0) return undefined;
    const rec = this.rec!;
    for (let i = 0; i < this.n; i++) {
      const at = this.at(i);
      if ((rec[at + FLAGS]! & LOST) !== 0) return { start: rec[at + START]!, end: rec[at + END]! };
    }
    return undefined;
  }

  /** The highest record, for a tail loss probe; undefined when the log is empty. */
  last(): { start: number; end: number } | undefined {
    if (this.n === 0) return undefined;
    return { start: this.slot(this.n - 1, START), end: this.slot(this.n - 1, END) };
  }

  /** The losses proved spurious: no record stays marked. */
  clearLost(): void {
    if (this.lostBytesV === 0) return;
    const rec = this.rec!;
    for (let i = 0; i < this.n; i++) rec[this.at(i) + FLAGS] = rec[this.at(i) + FLAGS]! & ~LOST;
    this.lostBytesV = 0;
  }

  /** RFC 8985 §6.3: after a timeout every unSACKed record is deemed lost. */
  markAllLost(): void {
    const rec = this.rec;
    if (rec === undefined) return;
    for (let i = 0; i < this.n; i++) {
      const at = this.at(i);
      const f = rec[at + FLAGS]!;
      if ((f & (SACKED | LOST)) !== 0) continue;
      rec[at + FLAGS] = f | LOST;
      this.lostBytesV += this.len(at);
    }
  }

  /** The receiver may have reneged (RFC 2018 §8): forget what it SACKed. */
  clearSacked(): void {
    if (this.sackedCount === 0) return;
    const rec = this.rec!;
    for (let i = 0; i < this.n; i++) rec[this.at(i) + FLAGS] = rec[this.at(i) + FLAGS]! & ~SACKED;
    this.sackedBytesV = 0;
    this.sackedCount = 0;
  }

  /** RFC 8985 §6.2 steps 1–3 for one newly delivered record. */
  private delivered(at: number, now: number, echoedAt: number | undefined): void {
    const rec = this.rec!;
    const t = rec[at + XMIT]!;
    const end = rec[at + END]!;
    const rtt = now - t;
    if ((rec[at + FLAGS]! & RETRANS) !== 0) {
      // Step 2: the ACK may be for an earlier transmission. Believe it is for
      // the latest only if the echo says so or the RTT is plausible.
      if (echoedAt !== undefined ? echoedAt < Math.floor(t / 1000) * 1000 : rtt < this.minRtt) return;
    } else if (this.fack !== undefined && seqLt(end, this.fack)) {
      // Step 3: an original transmission delivered below the highest
      // delivered sequence number: the network reorders.
      this.reorderingSeenV = true;
    }
    this.rtt = rtt;
    if (rtt < this.minRtt) this.minRtt = rtt;
    if (sentAfter(t, end, this.xmitTs, this.endSeq)) {
      this.xmitTs = t;
      this.endSeq = end;
    }
    if (this.fack === undefined || seqGt(end, this.fack)) this.fack = end;
  }

  private append(start: number, end: number, now: number): void {
    let rec = this.rec;
    // Two records first (64 bytes, which V8 keeps on its heap: cheap to
    // make); a request/response exchange rarely has more in flight.
    if (rec === undefined) rec = this.rec = new Float64Array(2 * SLOTS);
    const cap = rec.length / SLOTS;
    if (this.n === cap) {
      // Grow: unroll the ring into a buffer twice the size.
      const bigger = new Float64Array(rec.length * 2);
      for (let i = 0; i < this.n; i++) bigger.set(rec.subarray(this.at(i), this.at(i) + SLOTS), i * SLOTS);
      this.rec = rec = bigger;
      this.head = 0;
    }
    const at = this.at(this.n);
    rec[at + START] = start;
    rec[at + END] = end;
    rec[at + XMIT] = now;
    rec[at + FLAGS] = 0;
    this.n++;
    this.totalBytes += seqSub(end, start);
  }

  /** Index of the record holding `seq` (binary search; records are contiguous from SND.UNA). */
  private find(seq: number): number {
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (seqLe(this.slot(mid, START), seq)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private at(i: number): number {
    const cap = this.rec!.length / SLOTS;
    return ((this.head + i) % cap) * SLOTS;
  }

  private slot(i: number, field: number): number {
    return this.rec![this.at(i) + field]!;
  }

  private len(at: number): number {
    return seqSub(this.rec![at + END]!, this.rec![at + START]!);
  }
}

/**
 * RFC 8985 §7.2: the probe timeout. Twice the smoothed RTT, plus the
 * worst-case delayed ACK when only one segment is in flight (its ACK may be
 * held back); 1 s before any RTT sample.
 */
export function probeTimeout(srtt: number | undefined, flight: number, mss: number): number {
  if (srtt === undefined) return 1_000_000;
  let pto = 2 * srtt;
  if (flight <= mss) pto += WC_DEL_ACK;
  return pto;
}
