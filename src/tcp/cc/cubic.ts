// CUBIC (RFC 9438). After a congestion event the window follows
//   W_cubic(t) = C·(t − K)³ + W_max   (segments, t in seconds, §4.2)
// with K = ∛((W_max − cwnd_epoch)/C) (eq. 2), concave up to W_max and
// convex beyond, but never below the Reno-friendly estimate W_est (§4.3).
// Slow start below ssthresh is RFC 5681's.

import type { AckSample, CongestionControl } from './types.js';
import { slowStartStep, type HyStartPlusPlus } from './hystart.js';

/** RFC 9438 §4.1: C = 0.4, β_cubic = 0.7. */
export const CUBIC_C = 0.4;
export const CUBIC_BETA = 0.7;
/** §4.3: α_cubic = 3·(1 − β)/(1 + β), Reno's average growth at β_cubic. */
const ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);
const SECOND = 1_000_000;

export class Cubic implements CongestionControl {
  readonly name = 'cubic';
  cwnd: number;
  ssthresh = 0x7fffffff;
  mss: number;
  /** W_max in segments: the window just before the last reduction (§4.2). */
  wMax = 0;
  /** W_last_max for fast convergence (§4.7). */
  private wLastMax = 0;
  /** Start of the current congestion avoidance epoch (µs), or -1 when none. */
  private epochStart = -1;
  /** K in seconds (eq. 2). */
  k = 0;
  /** W_est in segments (§4.3). */
  private wEst = 0;
  /** cwnd in segments with a fractional part, so that growth below one segment per ACK is not lost. */
  private cwndSeg: number;

  /** HyStart++ in the initial slow start: undefined until the first ACK, null when off or over (see slowStartStep). */
  hs: HyStartPlusPlus | null | undefined;

  constructor(mss: number, initialWindow: number, hystart = false) {
    this.mss = mss;
    this.cwnd = initialWindow;
    this.cwndSeg = initialWindow / mss;
    this.hs = hystart ? undefined : null;
  }


  /** W_cubic(t) in segments for `t` seconds into the epoch. */
  wCubic(t: number): number {
    return CUBIC_C * (t - this.k) ** 3 + this.wMax;
  }

  onAck(acked: number, now: number, srtt: number | undefined, sample?: AckSample): void {
    if (this.cwnd < this.ssthresh) {
      const grow = slowStartStep(this, Math.min(acked, this.mss), sample);
      if (grow < 0) return;
      this.cwnd += grow;
      this.cwndSeg = this.cwnd / this.mss;
      return;
    }
    // cwndSeg keeps the fraction of a segment; if the connection set cwnd itself (recovery), start from that.
    let seg = Math.abs(this.cwndSeg * this.mss - this.cwnd) < 1 ? this.cwndSeg : this.cwnd / this.mss;
    if (this.epochStart < 0) {
      // §4.2: a new epoch starts with the first ACK in congestion avoidance.
      this.epochStart = now;
      if (this.wMax <= seg) {
        // No reduction to recover from (e.g. slow start ended by ssthresh): the curve starts at its plateau.
        this.wMax = seg;
        this.k = 0;
      } else {
        this.k = Math.cbrt((this.wMax - seg) / CUBIC_C);
      }
      this.wEst = seg;
    }
    const rtt = (srtt ?? 100_000) / SECOND;
    const t = (now - this.epochStart) / SECOND;
    const ackedSeg = acked / this.mss;
    // §4.3: the Reno-friendly estimate grows by α per window acknowledged.
    this.wEst += (ALPHA * ackedSeg) / seg;
    const cubic = this.wCubic(t);
    if (cubic < this.wEst) {
      seg = this.wEst;
    } else {
      // §4.4/§4.5: aim at W_cubic one RTT ahead, never more than 1.5·cwnd.
      const target = Math.min(Math.max(this.wCubic(t + rtt), seg), 1.5 * seg);
      seg += ((target - seg) / seg) * ackedSeg;
    }
    this.cwndSeg = seg;
    this.cwnd = Math.max(Math.floor(seg * this.mss), this.mss);
  }

  onCongestion(flight: number, now: number): void {
    void now;
    // RFC 9406 §4.2: a loss ends HyStart++; the reduction is CUBIC's.
    this.hs = null;
    const seg = this.cwnd / this.mss;
    // §4.7 fast convergence: release bandwidth when the window stopped short of the last W_max.
    if (seg < this.wLastMax) {
      this.wLastMax = seg;
      this.wMax = (seg * (1 + CUBIC_BETA)) / 2;
    } else {
      this.wLastMax = seg;
      this.wMax = seg;
    }
    // §4.6: ssthresh = flight_size · β_cubic, at least two segments.
    this.ssthresh = Math.max(Math.floor(flight * CUBIC_BETA), 2 * this.mss);
    this.epochStart = -1;
    this.cwndSeg = this.ssthresh / this.mss;
  }

  onTimeout(flight: number, now: number): void {
    this.onCongestion(flight, now);
    // §4.8: after a timeout, slow start from one segment.
    this.cwnd = this.mss;
    this.cwndSeg = 1;
  }

  undoPoint(): () => void {
    const { cwnd, ssthresh, wMax, wLastMax, epochStart, k, wEst, cwndSeg } = this;
    return () => {
      // A spurious congestion event is undone by restoring the state before it (RFC 9438 §4.9).
      if (this.cwnd > cwnd) {
        this.cwndSeg = this.cwnd / this.mss;
      } else {
        this.cwnd = cwnd;
        this.cwndSeg = cwndSeg;
      }
      this.ssthresh = Math.max(this.ssthresh, ssthresh);
      this.wMax = wMax;
      this.wLastMax = wLastMax;
      this.epochStart = epochStart;
      this.k = k;
      this.wEst = wEst;
    };
  }
}
