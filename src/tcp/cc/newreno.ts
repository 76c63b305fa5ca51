// RFC 5681 window growth: slow start below ssthresh (RFC 3465 byte
// counting, at most one MSS per ACK), then about one MSS per RTT, and
// ssthresh = max(FlightSize / 2, 2·SMSS) on loss (§3.1 eq. 4).

import type { CongestionControl } from './types.js';

export class NewReno implements CongestionControl {
  readonly name = 'newreno';
  cwnd: number;
  ssthresh = 0x7fffffff;
  mss: number;
  /** Bytes acknowledged in congestion avoidance not yet turned into window (RFC 5681 §3.1, "appropriate byte counting"). */
  private caAcked = 0;

  constructor(mss: number, initialWindow: number) {
    this.mss = mss;
    this.cwnd = initialWindow;
  }

  onAck(acked: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(acked, this.mss);
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
