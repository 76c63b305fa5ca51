// The stack defaults a script was written against. Linux's are the stack's
// own profile; FreeBSD's are built here from the values the freebsd-net
// tcp-testsuite scripts assume.

import { LINUX_PROFILE, type TcpConfig } from '../tcp/config.js';

const SECOND = 1_000_000;

/**
 * FreeBSD-like defaults: initial RTO 1 s (net.inet.tcp.rexmit_initial),
 * minimum RTO 30 ms (rexmit_min), maximum 64 s, 12 retransmissions
 * (TCP_MAXRXTSHIFT), 3 SYN-ACK retransmissions from the syncache, delayed
 * ACK 100 ms (delacktime), 8 keepalive probes (keepcnt), persist 5..60 s,
 * recvspace 64 KiB / sendspace 32 KiB, NewReno, and FreeBSD's SYN option
 * layout (mss, nop, wscale, sackOK, TS).
 */
export const FREEBSD_PROFILE: Readonly<TcpConfig> = Object.freeze({
  ...LINUX_PROFILE,
  rtoInitial: 1 * SECOND,
  rtoMin: 30_000,
  rtoMax: 64 * SECOND,
  timerTick: 0,
  synRetries: 12,
  synAckRetries: 3,
  retries2: 12,
  msl: 30 * SECOND,
  timeWait: 60 * SECOND,
  finTimeout: 60 * SECOND,
  keepaliveIdle: 7200 * SECOND,
  keepaliveInterval: 75 * SECOND,
  keepaliveProbes: 8,
  persistMin: 5 * SECOND,
  persistMax: 60 * SECOND,
  initialWindowSegments: 10,
  timestamps: true,
  sack: true,
  windowScaling: true,
  optionLayout: 'freebsd',
  rcvBuf: 65536,
  sndBuf: 32768,
  delayedAck: 100_000,
  nagle: true,
  // FreeBSD's default congestion control (net.inet.tcp.cc.algorithm).
  congestionControl: 'newreno',
  // The default FreeBSD stack counts duplicate ACKs (RFC 6675), no RACK,
  // and delays ACKs from the start (no quick-ACK mode).
  rack: false,
  quickAck: false,
  ackEverySecondSegment: true,
});

export { LINUX_PROFILE };
