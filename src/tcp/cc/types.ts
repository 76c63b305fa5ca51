// Congestion control, pluggable per connection. The connection owns loss
// detection and recovery (fast retransmit, NewReno, SACK, RFC 5681/6582/
// 6675); an algorithm decides how the window grows on ACKs and how far it
// falls on a congestion event. Windows are in bytes, times in µs.

export type CongestionControlName = 'newreno' | 'cubic';

/** One ACK as HyStart++ (RFC 9406) sees it. */
export interface AckSample {
  /** SEG.ACK. */
  ack: number;
  /** SND.NXT (the highest sequence number sent) after the ACK. */
  sndNxt: number;
  /** The RTT sample this ACK gave (µs), if it gave one. */
  rtt: number | undefined;
}

/** Options of an algorithm instance. */
export interface CongestionControlOptions {
  /** HyStart++ (RFC 9406) in the initial slow start. */
  hystart?: boolean;
}

export interface CongestionControl {
  readonly name: CongestionControlName;
  /** Congestion window (bytes). */
  cwnd: number;
  /** Slow-start threshold (bytes). */
  ssthresh: number;
  /** Sender MSS in bytes (changes after the handshake or a PMTU update). */
  mss: number;
  /**
   * `acked` new bytes were cumulatively acknowledged outside recovery;
   * `srtt` is the smoothed RTT (µs) when known; `sample` what else the
   * ACK told (HyStart++ needs the round and the RTT sample).
   */
  onAck(acked: number, now: number, srtt: number | undefined, sample?: AckSample): void;
  /**
   * Loss found by duplicate ACKs or SACK (RFC 5681 §3.2 step 2): set
   * ssthresh from `flight` (bytes outstanding). The connection then sets
   * cwnd for its recovery.
   */
  onCongestion(flight: number, now: number): void;
  /** The retransmission timer expired (RFC 5681 §3.1 eq. 4): ssthresh from `flight`, cwnd one segment. */
  onTimeout(flight: number, now: number): void;
  /**
   * Called before a reduction: returns a function that puts the state back
   * as it was (cwnd no lower than it has grown since), for when the loss
   * turns out spurious (RFC 3708 D-SACK detection, RFC 4015 Eifel response).
   */
  undoPoint(): () => void;
}
