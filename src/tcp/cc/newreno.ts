// RFC 5681 window growth: slow start below ssthresh (RFC 3465 byte
// counting, at most one MSS per ACK), then about one MSS per RTT, and
// ssthresh = max(FlightSize / 2, 2·SMSS) on loss (§3.1 eq. 4).

import type { AckSample, CongestionControl } from './types.js';
import { slowStartStep, type HyStartPlusPlus } from './hystart.js';

export class NewReno implements CongestionControl {
  readonly name = 'newreno';
  cwnd: number;
  ssthresh = 0x7fffffff;
  mss: number;
  /** Bytes acknowledged in congestion avoidance not yet turned into window (RFC 5681 §3.1, "appropriate byte counting"). */
  private caAcked = 0;

  /** HyStart++ in the initial slow start: undefined until the first ACK, null when off or over (see slowStartStep). */
  hs: HyStartPlusPlus | null | undefined;

  constructor(mss: number, initialWindow: number, hystart = false) {
    this.mss = mss;
    this.cwnd = initialWindow;
    this.hs = hystart ? undefined : null;
  }


  onAck(acked: number, _now?: number, _srtt?: number, sample?: AckSample): void {
    if (this.cwnd < this.ssthresh) {
      const grow = slowStartStep(this, Math.min(acked, this.mss), sample);
      if (grow < 0) return;
      this.cwnd += grow;
      return;
    }
    // Congestion avoidance: one MSS once a whole window has been acknowledged.
    this.caAcked += acked;
    if (this.caAcked >= this.cwnd) {
      this.caAcked -= this.cwnd;
      this.cwnd += this.mss;
    }
  }

  onCongestion(flight: number): void {
    // RFC 9406 §4.2: a loss ends HyStart++; the reduction is the algorithm's.
    this.hs = null;
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.caAcked = 0;
  }

  onTimeout(flight: number): void {
    this.onCongestion(flight);
    this.cwnd = this.mss;
  }

  undoPoint(): () => void {
    const { cwnd, ssthresh, caAcked } = this;
    return () => {
      this.cwnd = Math.max(this.cwnd, cwnd);
      this.ssthresh = Math.max(this.ssthresh, ssthresh);
      this.caAcked = caAcked;
    };
  }
}
