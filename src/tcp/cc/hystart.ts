// HyStart++ (RFC 9406): leave the initial slow start when the round trip
// time starts to grow, before the queue it is filling overflows.
//
// Slow start goes in rounds (a round ends when the data sent at its start
// is acknowledged). Once a round has at least N_RTT_SAMPLE RTT samples and
// its minimum is at least RttThresh above the last round's, the sender
// enters Conservative Slow Start (CSS): the window grows at a quarter of
// slow start's rate while the delay is watched for CSS_ROUNDS rounds. If
// the RTT falls back below the baseline of the exit, the exit was spurious
// and slow start resumes; after CSS_ROUNDS rounds, congestion avoidance
// takes over from the window reached (ssthresh = cwnd). A loss in either
// phase ends HyStart++ and the algorithm's own reduction applies.
//
// Used for the initial slow start only (§4.3). synack does not pace, so L
// (the per-ACK growth limit of paced senders) is infinite.

/** RFC 9406 §4.3 constants (µs for times). */
export const MIN_RTT_THRESH = 4_000;
export const MAX_RTT_THRESH = 16_000;
export const MIN_RTT_DIVISOR = 8;
export const N_RTT_SAMPLE = 8;
export const CSS_GROWTH_DIVISOR = 4;
export const CSS_ROUNDS = 5;

/**
 * What the window does for one ACK: 'slow-start' grows it by the bytes
 * acknowledged, 'css' by a CSS_GROWTH_DIVISOR-th of them, 'done' ends slow
 * start (ssthresh = cwnd, congestion avoidance from here).
 */
export type HyStartPhase = 'slow-start' | 'css' | 'done';

export class HyStartPlusPlus {
  /** The sequence number that ends the current round (SND.NXT when it began); undefined before the first ACK. */
  private windowEnd: number | undefined;
  private lastRoundMinRtt = Infinity;
  private currentRoundMinRtt = Infinity;
  private rttSampleCount = 0;
  private css = false;
  private cssBaselineMinRtt = Infinity;
  private cssRounds = 0;
  /** Times slow start was left for CSS, and CSS was found spurious (for tests and stats). */
  cssEntries = 0;
  cssSpurious = 0;

  /**
   * One ACK in slow start: `ack` the cumulative acknowledgment, `sndNxt`
   * the next sequence number to be sent, `rtt` the RTT sample this ACK gave
   * (µs), if any. Sequence numbers compare modulo 2^32.
   */
  onAck(ack: number, sndNxt: number, rtt: number | undefined): HyStartPhase {
    // §4.2: a new round begins once the data outstanding at the last one's start is acknowledged.
    if (this.windowEnd === undefined || ((ack - this.windowEnd) | 0) >= 0) {
      const first = this.windowEnd === undefined;
      this.windowEnd = sndNxt;
      this.lastRoundMinRtt = this.currentRoundMinRtt;
      this.currentRoundMinRtt = Infinity;
      this.rttSampleCount = 0;
      if (this.css && !first && ++this.cssRounds >= CSS_ROUNDS) return 'done';
    }
    if (rtt !== undefined) {
      if (rtt < this.currentRoundMinRtt) this.currentRoundMinRtt = rtt;
      this.rttSampleCount++;
    }
    if (this.rttSampleCount >= N_RTT_SAMPLE && this.currentRoundMinRtt !== Infinity) {
      if (!this.css) {
        if (this.lastRoundMinRtt !== Infinity) {
          const thresh = Math.max(MIN_RTT_THRESH, Math.min(this.lastRoundMinRtt / MIN_RTT_DIVISOR, MAX_RTT_THRESH));
          if (this.currentRoundMinRtt >= this.lastRoundMinRtt + thresh) {
            this.cssBaselineMinRtt = this.currentRoundMinRtt;
            this.css = true;
            this.cssRounds = 0;
            this.cssEntries++;
          }
        }
      } else if (this.currentRoundMinRtt < this.cssBaselineMinRtt) {
        // The delay went away again: the exit was spurious, back to slow start.
        this.cssBaselineMinRtt = Infinity;
        this.css = false;
        this.cssSpurious++;
      }
    }
    return this.css ? 'css' : 'slow-start';
  }
}

/** An algorithm that runs HyStart++ in its initial slow start. */
export interface HyStartHost {
  cwnd: number;
  ssthresh: number;
  /** undefined until the first ACK, null when off or over. */
  hs: HyStartPlusPlus | null | undefined;
}

/**
 * One ACK in slow start: `grow` is what plain slow start would add. Returns
 * the bytes to add (a CSS_GROWTH_DIVISOR-th of them in CSS), or -1 when
 * slow start ends here: then ssthresh is cwnd (congestion avoidance from
 * this window, RFC 9406 §4.2) and HyStart++ is over.
 */
export function slowStartStep(cc: HyStartHost, grow: number, sample: { ack: number; sndNxt: number; rtt: number | undefined } | undefined): number {
  if (cc.hs === null || sample === undefined) return grow;
  const phase = (cc.hs ??= new HyStartPlusPlus()).onAck(sample.ack, sample.sndNxt, sample.rtt);
  if (phase === 'done') {
    cc.ssthresh = cc.cwnd;
    cc.hs = null;
    return -1;
  }
  return phase === 'css' ? Math.floor(grow / CSS_GROWTH_DIVISOR) : grow;
}
