// A connection in TIME-WAIT, kept small.
//
// TIME-WAIT lasts 2·MSL (60 s by default) and a busy server holds one such
// connection for every connection it closed first: tens of thousands. In
// that state nothing is left to send or read; what the connection still does
// (RFC 9293 §3.10.7.4) is answer segments — ACK a retransmitted FIN and
// restart the 2·MSL timer, challenge a SYN or an in-window RST (RFC 5961),
// drop old duplicates by their timestamps (RFC 7323 PAWS) — and close when
// the timer runs out. For that it needs some thirty numbers, not the send and
// receive machinery of a whole TcpConnection (about 2.5 KB with its parts).
// Linux keeps such connections as timewait sockets and FreeBSD as tcptw
// records for the same reason.
//
// A TimeWaitRecord holds those numbers. TcpConnection.toTimeWait() makes one
// once the connection is quiet, and TcpConnection.fromTimeWait() builds the
// connection again, equal in everything TIME-WAIT can show, when a segment,
// the timer or a caller needs it. One segment processor serves both: the
// record has no RFC logic of its own to drift from the connection's.

import type { CongestionControl } from './cc/index.js';
import type { TcpConfig } from './config.js';
import type { RtoEstimator } from './rto.js';
import type { TcpStats } from './connection.js';
import type { FourTuple } from './types.js';

/**
 * The state of a quiet TIME-WAIT connection. Sequence numbers and
 * timestamps are kept as 32-bit signed integers (as TcpConnection keeps
 * them), so that none of them is a separate heap number. Written once by
 * TcpConnection.toTimeWait; read only by TcpConnection.fromTimeWait.
 *
 * What is not here starts afresh in the rebuilt connection: the parts that
 * only sending, recovery, delayed ACKs or keepalive use, none of which runs
 * in TIME-WAIT. test/tcp/time-wait.test.ts holds the rebuilt connection to
 * the whole one's answers, field by field of every segment it sends.
 */
export class TimeWaitRecord {
  constructor(
    readonly tuple: FourTuple,
    readonly config: TcpConfig,
    /** The connection's counters (TcpStats), carried on. */
    readonly stats: TcpStats,
    /** Carried on, so that rto, srtt and cwnd read as before. */
    readonly rtoEst: RtoEstimator,
    readonly cc: CongestionControl,
  ) {}
  passive = false;
  issS = 0;
  irsS = 0;
  /** SND.UNA = SND.NXT = SND.MAX: everything sent, our FIN included, was acknowledged. */
  sndNxtS = 0;
  sndWnd = 0;
  maxSndWnd = 0;
  sndWl1S = 0;
  sndWl2S = 0;
  sndMss = 0;
  advMss = 0;
  sndWscale = 0;
  rcvWscale = 0;
  wscaleOk = false;
  sackOk = false;
  tsOk = false;
  tsRecentS = 0;
  /** Microseconds, or -1 for undefined (kept a number for a stable shape). */
  tsRecentAt = -1;
  tsOffsetS = 0;
  rcvNxtS = 0;
  rcvAdvS = 0;
  lastAckSentS = 0;
  rcvFinSeqS = 0;
  ecnFlags = 0;
  ecnRecoverS = 0;
  rcvBufSize = 0;
  sndBufSize = 0;
  lastInvalidAck = 0;
  lastNow = 0;
  /** When 2·MSL runs out (µs). */
  closeAt = 0;
}
