// The retransmission timeout estimator of RFC 6298. Times in microseconds.

import type { TcpConfig } from './config.js';

/** RFC 6298 §2: alpha = 1/8, beta = 1/4, K = 4. */
const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;
/** Clock granularity G when the timers are exact (timerTick = 0): 1 ms. */
const DEFAULT_GRANULARITY = 1000;

export type RtoConfig = Pick<TcpConfig, 'rtoInitial' | 'rtoMin' | 'rtoMax' | 'timerTick'>;

export class RtoEstimator {
  private readonly cfg: RtoConfig;
  private srttUs: number | undefined;
  private rttvarUs = 0;
  private baseRto: number;
  private shift = 0;

  constructor(cfg: RtoConfig) {
    this.cfg = cfg;
    // RFC 6298 §2.1: until a measurement is made, RTO = the initial value.
    this.baseRto = this.clamp(cfg.rtoInitial);
  }

  /** Smoothed RTT (µs), or undefined before the first sample. */
  get srtt(): number | undefined {
    return this.srttUs;
  }

  get rttvar(): number {
    return this.rttvarUs;
  }

  /** The RTO before backoff. */
  get base(): number {
    return this.baseRto;
  }

  /** How many times the timer has been backed off since the last sample. */
  get backoffCount(): number {
    return this.shift;
  }

  /** The value to arm the retransmission timer with: the base RTO doubled once per backoff, capped at rtoMax (RFC 6298 §5.5). */
  get rto(): number {
    let r = this.baseRto;
    for (let i = 0; i < this.shift && r < this.cfg.rtoMax; i++) r *= 2;
    return Math.min(r, this.cfg.rtoMax);
  }

  /**
   * Feed one RTT measurement (µs). Karn's rule is the caller's job: never
   * sample a retransmitted segment unless a timestamp echo names the
   * transmission unambiguously (RFC 6298 §3, RFC 7323 §4.1).
   *
   * With a timer tick (the classic BSD slow timer) the RTT is measured in
   * whole ticks, at least one: a 20 ms round trip counts as one 500 ms tick.
   */
  sample(rtt: number): void {
    const tick = this.cfg.timerTick;
    let r = Math.max(0, rtt);
    if (tick > 0) r = Math.max(1, Math.ceil(r / tick)) * tick;
    if (this.srttUs === undefined) {
      // RFC 6298 §2.2: the first measurement.
      this.srttUs = r;
      this.rttvarUs = r / 2;
    } else {
      // RFC 6298 §2.3: RTTVAR first, with the old SRTT.
      this.rttvarUs = (1 - BETA) * this.rttvarUs + BETA * Math.abs(this.srttUs - r);
      this.srttUs = (1 - ALPHA) * this.srttUs + ALPHA * r;
    }
    const g = tick > 0 ? tick : DEFAULT_GRANULARITY;
    this.baseRto = this.clamp(this.srttUs + Math.max(g, K * this.rttvarUs));
    // A new sample ends the backoff (RFC 6298 §5, Karn's algorithm).
    this.shift = 0;
  }

  /** RFC 6298 §5.5: the timer expired; double the RTO (capped at rtoMax). */
  backoff(): void {
    if (this.rto < this.cfg.rtoMax) this.shift++;
  }

  resetBackoff(): void {
    this.shift = 0;
  }

  /**
   * RFC 6298 §5.7: if the SYN or SYN-ACK was retransmitted and no RTT sample
   * was taken, data starts with an RTO of (at least) 3 s.
   */
  fallback(value: number): void {
    if (this.srttUs === undefined) this.baseRto = this.clamp(Math.max(this.baseRto, value));
    this.shift = 0;
  }

  /**
   * Take up the state another estimator had (its srtt, rttvar, base and
   * backoffCount): for a connection rebuilt from its TIME-WAIT slot.
   */
  restore(srtt: number | undefined, rttvar: number, base: number, backoffCount: number): void {
    this.srttUs = srtt;
    this.rttvarUs = rttvar;
    this.baseRto = base;
    this.shift = backoffCount;
  }

  /** Clamp to [rtoMin, rtoMax] and round up to whole timer ticks. */
  private clamp(v: number): number {
    const tick = this.cfg.timerTick;
    let r = Math.min(Math.max(v, this.cfg.rtoMin), this.cfg.rtoMax);
    if (tick > 0) r = Math.min(Math.ceil(r / tick) * tick, Math.max(this.cfg.rtoMax, tick));
    return Math.round(r);
  }
}
