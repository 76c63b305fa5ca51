// TCP configuration is data (DESIGN rule 6). Times in microseconds.

import type { CongestionControlName } from './cc/types.js';

export type OptionLayout = 'linux' | 'freebsd';

export interface TcpConfig {
  /** RFC 6298 initial RTO (Linux: 1 s). */
  rtoInitial: number;
  /** Lower bound on the RTO (Linux: 200 ms). */
  rtoMin: number;
  /** Upper bound on the RTO (Linux: 120 s). */
  rtoMax: number;
  /**
   * Timer granularity: every timer fires on a multiple of this tick
   * (0 = exact). The bsd profile uses the classic 500 ms slow timer.
   */
  timerTick: number;
  /** SYN retransmissions before connect() fails with ETIMEDOUT (Linux tcp_syn_retries). */
  synRetries: number;
  /** SYN-ACK retransmissions before a half-open connection is dropped (tcp_synack_retries). */
  synAckRetries: number;
  /** Data retransmissions before the connection is aborted with ETIMEDOUT (tcp_retries2). */
  retries2: number;
  /** Maximum segment lifetime; TIME_WAIT lasts `timeWait` (Linux fixes it at 60 s = 2·MSL). */
  msl: number;
  timeWait: number;
  /** FIN_WAIT_2 timeout for connections the application has closed (tcp_fin_timeout). */
  finTimeout: number;
  /** Keepalive: idle time, probe interval, probe count (tcp_keepalive_*). */
  keepaliveIdle: number;
  keepaliveInterval: number;
  keepaliveProbes: number;
  /** Persist timer bounds (zero-window probes). */
  persistMin: number;
  persistMax: number;
  /** Initial congestion window, in segments (RFC 6928). */
  initialWindowSegments: number;
  /** Our MSS to advertise (derived from the interface MTU by the stack when 0). */
  mss: number;
  /** Options we offer on a SYN. */
  timestamps: boolean;
  sack: boolean;
  windowScaling: boolean;
  /** Order of the options on a SYN (linux: mss,sackOK,TS,nop,wscale). */
  optionLayout: OptionLayout;
  /**
   * Most out-of-order ranges a connection holds for reassembly (default
   * 1024); a segment that would start one more is dropped and counted.
   */
  maxOutOfOrder?: number;
  /** Receive and send buffer sizes in bytes (the starting sizes when auto-tuned). */
  rcvBuf: number;
  sndBuf: number;
  /**
   * Receive-buffer auto-tuning (dynamic right-sizing, as Linux's
   * tcp_rmem does): when larger than `rcvBuf`, the buffer starts at
   * `rcvBuf` and, once per round trip in which the application read more
   * than half of it, at least doubles, up to this cap, so that the window keeps
   * ahead of a sender that fills it. The window scale on the SYN is chosen
   * for the cap. Default: no auto-tuning (a fixed `rcvBuf`).
   */
  rcvBufMax?: number;
  /**
   * Send-buffer auto-tuning: when larger than `sndBuf`, a writer held back
   * by a full buffer gets a buffer of twice the congestion window (at least
   * double the last), up to this cap (Linux's tcp_wmem). Default: a fixed `sndBuf`.
   */
  sndBufMax?: number;
  /** Delayed ACK timeout (0 disables delayed ACKs). */
  delayedAck: number;
  /**
   * Quick-ACK mode (Linux): the first ACKs of the data, and after an idle
   * spell, go at once rather than delayed, unless the exchange is
   * interactive. Default on; the bsd and freebsd profiles leave it off.
   */
  quickAck?: boolean;
  /**
   * Acknowledge at least every second segment whatever its size (FreeBSD's
   * delayed ACK), rather than every second full-sized one (RFC 5681 §4.2,
   * Linux). Default off.
   */
  ackEverySecondSegment?: boolean;
  /**
   * HyStart++ (RFC 9406) in the initial slow start: leave it when the RTT
   * grows, before the bottleneck's queue overflows, through a phase of
   * conservative growth. Default off (Linux runs its own HyStart, whose
   * traces the linux profile reproduces); on in HOST_PROFILE.
   */
  hystart?: boolean;
  /**
   * Explicit Congestion Notification (RFC 3168), as Linux's tcp_ecn: 'on'
   * asks for it on active opens and accepts it on passive ones, 'accept'
   * only accepts it (Linux's default, 2), 'off' neither (the default here,
   * so that traces stay ECN-free unless asked). With ECN, new data goes out
   * ECN-capable (ECT(0)), a CE mark is echoed with ECE until the sender's
   * CWR, and an ECE reduces the window as a loss would, once per window.
   */
  ecn?: 'off' | 'accept' | 'on';
  /** Nagle's algorithm on by default (RFC 896); setNoDelay turns it off per socket. */
  nagle: boolean;
  /**
   * RACK-TLP loss detection (RFC 8985) when SACK is negotiated: losses are
   * found by time, reordering within a window is tolerated, and a tail loss
   * probe replaces most timeouts (Linux's default). Off: RFC 6675's
   * duplicate-ACK count. Default on.
   */
  rack?: boolean;
  /** Congestion control algorithm (default 'cubic', RFC 9438); settable per connection. */
  congestionControl?: CongestionControlName;
  /**
   * SYN cookies (RFC 4987 §3.6): 'on-overflow' answers SYNs statelessly
   * once a listener's SYN queue is full (Linux tcp_syncookies=1), 'always'
   * for every SYN (=2), 'off' drops them (=0).
   */
  synCookies: SynCookieMode;
}

export type SynCookieMode = 'off' | 'on-overflow' | 'always';

const SECOND = 1_000_000;

/** Linux-like defaults. */
export const LINUX_PROFILE: Readonly<TcpConfig> = Object.freeze({
  rtoInitial: 1 * SECOND,
  rtoMin: 200_000,
  rtoMax: 120 * SECOND,
  timerTick: 0,
  synRetries: 6,
  synAckRetries: 5,
  retries2: 15,
  msl: 30 * SECOND,
  timeWait: 60 * SECOND,
  finTimeout: 60 * SECOND,
  keepaliveIdle: 7200 * SECOND,
  keepaliveInterval: 75 * SECOND,
  keepaliveProbes: 9,
  persistMin: 200_000,
  persistMax: 120 * SECOND,
  initialWindowSegments: 10,
  mss: 0,
  timestamps: true,
  sack: true,
  windowScaling: true,
  optionLayout: 'linux',
  rcvBuf: 131072,
  sndBuf: 131072,
  delayedAck: 40_000,
  nagle: true,
  synCookies: 'on-overflow',
});

/**
 * The classic BSD timers of the textbooks: a 500 ms slow-timer tick,
 * RTO rounded to ticks, capped at 64 s, MSL 30 s, 12 retransmissions.
 */
export const BSD_PROFILE: Readonly<TcpConfig> = Object.freeze({
  ...LINUX_PROFILE,
  rtoInitial: 1_500_000,
  rtoMin: 1 * SECOND,
  rtoMax: 64 * SECOND,
  timerTick: 500_000,
  synRetries: 12,
  synAckRetries: 12,
  retries2: 12,
  msl: 30 * SECOND,
  timeWait: 60 * SECOND,
  finTimeout: 600 * SECOND,
  persistMin: 5 * SECOND,
  persistMax: 60 * SECOND,
  initialWindowSegments: 10,
  timestamps: false,
  optionLayout: 'freebsd',
  delayedAck: 200_000,
  rack: false,
  quickAck: false,
});

/**
 * The Linux profile with auto-tuned buffers, as a Linux host runs them
 * (net.ipv4.tcp_rmem 4096 131072 6291456, tcp_wmem 4096 16384 4194304):
 * each connection starts at 128 KB each way and grows to 6 MiB of receive
 * and 4 MiB of send buffer when the path and the application keep up. The
 * window scale on the SYN is 7, as Linux's. CUBIC's initial slow start
 * runs HyStart++ (RFC 9406); ECN is accepted when a peer asks (RFC 3168,
 * as Linux's tcp_ecn=2). The `net` API uses it unless
 * given a configuration; the scenarios keep LINUX_PROFILE's fixed buffers,
 * whose small windows make textbook traces.
 */
export const HOST_PROFILE: Readonly<TcpConfig> = Object.freeze({
  ...LINUX_PROFILE,
  rcvBufMax: 6_291_456,
  sndBufMax: 4_194_304,
  hystart: true,
  ecn: 'accept',
});

export type ProfileName = 'linux' | 'bsd';

export function profile(name: ProfileName, overrides: Partial<TcpConfig> = {}): TcpConfig {
  const base = name === 'bsd' ? BSD_PROFILE : LINUX_PROFILE;
  return { ...base, ...overrides };
}
