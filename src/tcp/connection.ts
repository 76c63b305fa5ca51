// One TCP connection: the TCB and the state machine of RFC 9293 §3.10,
// sans-IO (DESIGN rule 1). Every entry point takes `now` (µs); what to send
// is drained with pollTransmit(), what happened with pollEvent(), and the
// driver calls onTimer() at nextDeadline().
//
// Beyond RFC 9293: RFC 5961 (challenge ACKs, RST/SYN in window), RFC 6298
// (RTO), RFC 7323 (window scale, timestamps, PAWS), RFC 2018 (SACK blocks in
// our ACKs), RFC 5681/6582 (slow start, congestion avoidance, fast
// retransmit/NewReno), RFC 1122 §4.2.3.6 (keepalive) and §4.2.2.17 (zero
// window probes), RFC 896 (Nagle).

import { ACK, CWR, ECE, FIN, PSH, RST, SYN, type Segment, type SackBlock, type TcpOption } from '../wire/tcp-types.js';
import type { TcpConfig } from './config.js';
import type { ConnEvent, Connection, FourTuple, IcmpSignal, TcpErrorCode, TcpState } from './types.js';
import { seqAdd, seqSub, seqDiff, seqLt, seqLe, seqGt, seqGe, seqMin, seqMax, seqInWindow } from './seq.js';
import { RtoEstimator } from './rto.js';
import {
  TimeWaitStore,
  TW_ADV_MSS,
  TW_CC_MSS,
  TW_CLOSE_AT,
  TW_CWND,
  TW_ECN_FLAGS,
  TW_ECN_RECOVER,
  TW_FLAGS,
  TW_IRS,
  TW_ISS,
  TW_LAST_ACK_SENT,
  TW_LAST_INVALID_ACK,
  TW_LAST_NOW,
  TW_MAX_SND_WND,
  TW_NEWRENO,
  TW_PASSIVE,
  TW_RCV_ADV,
  TW_RCV_BUF,
  TW_RCV_FIN_SEQ,
  TW_RCV_NXT,
  TW_RCV_WSCALE,
  TW_RTO_BASE,
  TW_RTO_SHIFT,
  TW_RTTVAR,
  TW_SACK_OK,
  TW_SND_BUF,
  TW_SND_MSS,
  TW_SND_NXT,
  TW_SND_WL1,
  TW_SND_WL2,
  TW_SND_WND,
  TW_SND_WSCALE,
  TW_SRTT,
  TW_SSTHRESH,
  TW_STATS,
  TW_STATS_MAX,
  TW_TS_OFFSET,
  TW_TS_OK,
  TW_TS_RECENT,
  TW_TS_RECENT_AT,
  TW_WSCALE_OK,
} from './time-wait.js';
import {
  buildDataOptions,
  writeSynOptions,
  SynOptionScratch,
  DEFAULT_MSS_IPV4,
  DEFAULT_MSS_IPV6,
  findSack,
  findTimestamp,
  maxSackBlocks,
  MIN_PEER_MSS,
  negotiate,
  parseSynOptions,
  TS_OPTION_SPACE,
  windowShiftFor,
} from './options.js';
import { SendBuffer } from './send-buffer.js';
import { SackScoreboard } from './sack-scoreboard.js';
import { Rack, probeTimeout } from './rack.js';
import { createCongestionControl, type AckSample, type CongestionControl, type CongestionControlName } from './cc/index.js';
import { RecvBuffer } from './recv-buffer.js';
import type { CookieRestored } from './syncookie.js';

export interface OpenOptions {
  config: TcpConfig;
  /** Kept, not copied: its address arrays must not change afterwards. */
  tuple: FourTuple;
  /** Our initial send sequence number (see IsnGenerator). */
  iss: number;
  now: number;
  /** our MSS from the interface MTU */
  mss: number;
  /**
   * Offset added to our timestamp clock (RFC 7323 §5.4 recommends a random
   * one per connection). Defaults to a value mixed from `iss`.
   */
  tsOffset?: number;
}

/** Counters of one connection. */
export interface TcpStats {
  segmentsIn: number;
  segmentsOut: number;
  /** Payload bytes delivered in order to the receive buffer. */
  bytesIn: number;
  /** Payload bytes transmitted, retransmissions included. */
  bytesOut: number;
  /** Segments sent again (RTO, fast retransmit, go-back-N). */
  retransmits: number;
  /** Retransmission timer expiries. */
  timeouts: number;
  fastRetransmits: number;
  /** Window reductions for ECN-Echo (RFC 3168 §6.1.2). */
  ecnReductions: number;
  /** ACKs after a timeout that echoed a timestamp from before it (no RTT sample taken; RFC 3522 §2). */
  staleEchoes: number;
  /** Tail loss probes sent (RFC 8985 §7). */
  tailLossProbes: number;
  /** Recoveries undone as spurious: the originals had arrived (D-SACK, RFC 3708; timestamps, RFC 4015). */
  spuriousRecoveries: number;
  /** ACKs with a D-SACK block (RFC 2883): something was received twice. */
  dsacksIn: number;
  dupAcksIn: number;
  /** RFC 5961 challenge ACKs sent. */
  challengeAcks: number;
  /** Answers to unacceptable segments left out by the rate limit (one per 500 ms). */
  invalidAcksSuppressed: number;
  outOfOrderIn: number;
  /** Out-of-order segments dropped because the connection held maxOutOfOrder ranges. */
  outOfOrderDropped: number;
  /** Segments dropped by PAWS (RFC 7323 §5). */
  pawsDrops: number;
  resetsIn: number;
  resetsOut: number;
  windowProbes: number;
  keepaliveProbes: number;
  /** Segments taken by header prediction (TcpConnection.predicted; Linux counts them as TCPHPHits). */
  predictedIn: number;
}

/**
 * Undoing a reduction that proves spurious (RFC 3708, RFC 4015): the
 * algorithm's way back, the retransmissions of the episode not yet reported
 * as duplicates by D-SACK, the range in flight when it began, and the TSval
 * then, for the Eifel test on the first ACK after it. Made when a reduction
 * begins: an idle connection holds none.
 */
interface UndoPoint {
  fn: () => void;
  retrans: number;
  from: number;
  to: number;
  tsval: number | undefined;
}

/** What the two SYNs negotiated. */
export interface NegotiatedOptions {
  /** Payload bytes per full segment we send (MSS less the options every segment carries). */
  mss: number;
  sndWscale: number;
  rcvWscale: number;
  sackOk: boolean;
  tsOk: boolean;
}

const EMPTY = new Uint8Array(0);
const SECOND = 1_000_000;
const HYSTART = { hystart: true } as const;
/** The events that carry nothing but their type: one shared, frozen object each. */
const READABLE: ConnEvent = Object.freeze({ type: 'readable' });
const WRITABLE: ConnEvent = Object.freeze({ type: 'writable' });
const ESTABLISHED: ConnEvent = Object.freeze({ type: 'established' });
const EOF: ConnEvent = Object.freeze({ type: 'eof' });
const CLOSED: ConnEvent = Object.freeze({ type: 'closed' });

/**
 * Event queues lend their arrays to one another: a connection holds one
 * only while it has events waiting, and a drained array keeps its backing
 * store (emptying it with `length = 0` would make V8 allocate a new one for
 * the next event), so queueing events allocates nothing in steady state and
 * an idle connection holds no queue at all.
 */
const NO_EVENTS: ConnEvent[] = [];
const eventArrays: ConnEvent[][] = [];
const EVENT_ARRAYS_MAX = 256;

/** ecnFlags: ECN was negotiated; the receiver owes ECE until a CWR; the sender owes CWR on its next new data; our SYN asked for ECN. */
const ECN_OK = 1;
const ECN_ECE = 2;
const ECN_CWR = 4;
const ECN_ASKED = 8;
/** IP ECN codepoints (RFC 3168 §5). */
const ECT0 = 2;
const CE = 3;
const OUT_HELD = 1;
const OUT_HOLDING = 2;
const ACK_SAMPLE: AckSample = { ack: 0, sndNxt: 0, rtt: undefined };
/** RFC 6298 §5.7: RTO when data starts after a retransmitted SYN without an RTT sample. */
const RTO_FALLBACK = 3 * SECOND;
/**
 * Least time between two ACKs sent in answer to unacceptable segments that
 * carry no data (RFC 5961 §7 asks for such a limit on challenge ACKs; Linux
 * applies 500 ms to all of them, tcp_invalid_ratelimit).
 */
const INVALID_ACK_INTERVAL = 500_000;
/** Least probe timeout: on a LAN 2·SRTT is well below a peer's ACK scheduling (Linux keeps 10 ms too). */
const TLP_MIN = 10_000;
/** RFC 7323 §5.5: TS.Recent is invalid after 24 days of idleness. */
const PAWS_IDLE = 24 * 24 * 3600 * SECOND;

function mix32(x: number): number {
  let h = Math.imul(x ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Segments handed out by pollTransmit come from a pool. A driver that is
 * done with one (it has been written to the wire) may give it back with
 * `recycleSegment`; one that keeps its segments simply never does. Each
 * carries its own timestamp option, so an ordinary segment costs no
 * allocation.
 */
class PooledSegment implements Segment {
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  urgent = 0;
  options: TcpOption[] = NO_OPTIONS;
  payload: Uint8Array = EMPTY;
  ecn = 0;
  gsoSize = 0;
  /** The next segment in its connection's transmit queue (an intrusive list: queueing allocates nothing). */
  next: PooledSegment | null = null;
  readonly tsOption = { kind: 'timestamp' as const, val: 0, ecr: 0 };
  /** nop, nop, timestamp (RFC 7323 Appendix A). */
  readonly tsOptions: TcpOption[] = [NOP_OPTION, NOP_OPTION, this.tsOption];
  /** A SYN's options, once the segment has carried one. */
  synOptions: SynOptionScratch | undefined = undefined;
}

/** Whether segments go through header prediction (TcpConnection.predicted); off only to compare against the full path. */
let headerPrediction = true;

/**
 * Turn header prediction off (or back on) for every connection: the full
 * path then takes every segment. For tests that hold the two to the same
 * results; a stack has no reason to call it.
 */
export function setHeaderPrediction(on: boolean): void {
  headerPrediction = on;
}

/** Most payload bytes in one train (Linux's GSO limit, 64 KiB). */
const GSO_MAX_BYTES = 65536;
const NOP_OPTION: TcpOption = { kind: 'nop' };
/** The options of a segment without any (never written). */
const NO_OPTIONS: TcpOption[] = [];
const segmentPool: PooledSegment[] = [];
const SEGMENT_POOL_MAX = 256;

function takeSegment(): PooledSegment {
  return segmentPool.pop() ?? new PooledSegment();
}

/**
 * Give back a segment from pollTransmit once it has been serialized: its
 * object, options and payload view are reused by later segments. Segments
 * of other origins are ignored.
 */
export function recycleSegment(seg: Segment): void {
  if (seg instanceof PooledSegment && segmentPool.length < SEGMENT_POOL_MAX) {
    seg.payload = EMPTY;
    seg.options = NO_OPTIONS;
    seg.gsoSize = 0;
    segmentPool.push(seg);
  }
}

/** A connection's counters, all zero. */
function newStats(): TcpStats {
  return {
    segmentsIn: 0,
    segmentsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    retransmits: 0,
    timeouts: 0,
    fastRetransmits: 0,
    ecnReductions: 0,
    staleEchoes: 0,
    tailLossProbes: 0,
    spuriousRecoveries: 0,
    dsacksIn: 0,
    dupAcksIn: 0,
    challengeAcks: 0,
    invalidAcksSuppressed: 0,
    outOfOrderIn: 0,
    outOfOrderDropped: 0,
    pawsDrops: 0,
    resetsIn: 0,
    resetsOut: 0,
    windowProbes: 0,
    keepaliveProbes: 0,
    predictedIn: 0,
  };
}

// The counters fit a TIME-WAIT slot (checked once, when the module loads).
if (Object.keys(newStats()).length > TW_STATS_MAX) throw new Error('TcpStats has more counters than a TIME-WAIT slot holds');

export class TcpConnection implements Connection {
  readonly tuple: FourTuple;
  readonly stats: TcpStats = newStats();

  private readonly cfg: TcpConfig;
  /** Opened by a LISTEN socket (openPassive) rather than by connect. */
  private readonly passive: boolean;
  private st: TcpState = 'CLOSED';
  /** 'closed' has been emitted; the connection does nothing more. */
  private done = false;
  private lastNow: number;

  // Sequence numbers (and the timestamp values) are kept as 32-bit signed
  // integers, which V8 stores in the object itself, and read back as the
  // unsigned numbers the rest of the code uses: stored unsigned, a value of
  // 2^31 or more would be a separate heap number for each field of each
  // connection (16 of them: about 250 bytes and 16 objects for the GC).
  //
  // RFC 9293 §3.3.1 send sequence variables. sndNxt is the next sequence
  // number to send; after a timeout it goes back to sndUna (go-back-N) while
  // sndMax remembers the highest ever sent (what RFC 9293 calls SND.NXT in
  // its acceptability tests).
  private readonly issVS: number;
  private get issV(): number {
    return this.issVS >>> 0;
  }
  private sndUnaVS = 0;
  private get sndUnaV(): number {
    return this.sndUnaVS >>> 0;
  }
  private set sndUnaV(v: number) {
    this.sndUnaVS = v | 0;
  }
  private sndNxtVS = 0;
  private get sndNxtV(): number {
    return this.sndNxtVS >>> 0;
  }
  private set sndNxtV(v: number) {
    this.sndNxtVS = v | 0;
  }
  private sndMaxS = 0;
  private get sndMax(): number {
    return this.sndMaxS >>> 0;
  }
  private set sndMax(v: number) {
    this.sndMaxS = v | 0;
  }
  private sndWndV = 0;
  private sndWl1S = 0;
  private get sndWl1(): number {
    return this.sndWl1S >>> 0;
  }
  private set sndWl1(v: number) {
    this.sndWl1S = v | 0;
  }
  private sndWl2S = 0;
  private get sndWl2(): number {
    return this.sndWl2S >>> 0;
  }
  private set sndWl2(v: number) {
    this.sndWl2S = v | 0;
  }
  private maxSndWnd = 0;

  // Receive sequence variables.
  private irsVS = 0;
  private get irsV(): number {
    return this.irsVS >>> 0;
  }
  private set irsV(v: number) {
    this.irsVS = v | 0;
  }
  private rcvNxtVS = 0;
  private get rcvNxtV(): number {
    return this.rcvNxtVS >>> 0;
  }
  private set rcvNxtV(v: number) {
    this.rcvNxtVS = v | 0;
  }
  /** Right edge of the window we last advertised (RCV.NXT + RCV.WND then). */
  private rcvAdvS = 0;
  private get rcvAdv(): number {
    return this.rcvAdvS >>> 0;
  }
  private set rcvAdv(v: number) {
    this.rcvAdvS = v | 0;
  }
  private lastAckSentS = 0;
  private get lastAckSent(): number {
    return this.lastAckSentS >>> 0;
  }
  private set lastAckSent(v: number) {
    this.lastAckSentS = v | 0;
  }

  // Options.
  private readonly advMss: number;
  private sendLimit: number;
  private readonly ourWscale: number | undefined;
  private sndMss: number;
  private sndWscale = 0;
  private rcvWscale = 0;
  private wscaleOk = false;
  private sackOk = false;
  private tsOk = false;
  private tsRecentS = 0;
  private get tsRecent(): number {
    return this.tsRecentS >>> 0;
  }
  private set tsRecent(v: number) {
    this.tsRecentS = v | 0;
  }
  private tsRecentAt: number | undefined;
  private readonly tsOffsetS: number;
  private get tsOffset(): number {
    return this.tsOffsetS >>> 0;
  }

  // Buffers. Data byte k of the send buffer has sequence number bufSeq + k.
  private readonly sndBuf: SendBuffer;
  private bufSeqS = 0;
  private get bufSeq(): number {
    return this.bufSeqS >>> 0;
  }
  private set bufSeq(v: number) {
    this.bufSeqS = v | 0;
  }
  private readonly rcvBuf: RecvBuffer;
  private rcvMss: number;
  private lastOooSeqS = 0;
  private get lastOooSeq(): number {
    return this.lastOooSeqS >>> 0;
  }
  private set lastOooSeq(v: number) {
    this.lastOooSeqS = v | 0;
  }
  /** Segments whose blocks went first in recent SACK options, most recent first (RFC 2018 §4). */
  private sackRecent: number[] | undefined;
  private writeBlocked = false;
  /** A receive buffer size asked for and not yet reached: the window offered still needs more room (0: none). */
  private rcvBufTarget = 0;
  /** ECN (RFC 3168): ECN_* bits. */
  private ecnFlags = 0;
  /** SND.MAX at the last ECN-Echo reduction: the next waits until the ACK passes it (one per window, §6.1.2). */
  private ecnRecoverS = 0;
  private get ecnRecover(): number {
    return this.ecnRecoverS >>> 0;
  }
  private set ecnRecover(v: number) {
    this.ecnRecoverS = v | 0;
  }
  /** Receive-buffer auto-tuning: when the current round trip began, and the bytes read by then. */
  private rcvSpace: { at: number; consumed: number; rtt: number | undefined } | undefined;

  // FIN bookkeeping.
  private finQueued = false;
  private finSeqS = 0;
  private get finSeq(): number {
    return this.finSeqS >>> 0;
  }
  private set finSeq(v: number) {
    this.finSeqS = v | 0;
  }
  private finSent = false;
  private rcvFinSeq: number | undefined;
  private finReceived = false;
  /** close() was called: the application reads no more (RFC 1122 §4.2.2.13). */
  private userClosed = false;

  // Timers (absolute µs, Infinity when off).
  private rtxAt = Infinity;
  private persistAt = Infinity;
  private kaAt = Infinity;
  private dackAt = Infinity;
  /** TIME_WAIT expiry or the FIN_WAIT_2 timeout. */
  private closeAt = Infinity;
  /** RACK's reordering timer (RFC 8985 §6.2 step 5) and the tail loss probe timer (§7.2). */
  private rackAt = Infinity;
  private tlpAt = Infinity;

  // Retransmission.
  private readonly rtoEst: RtoEstimator;
  private nRtx = 0;
  private rttSeq: number | undefined;
  private rttStart = 0;
  /** The TSval stamped on the last timeout retransmission, until an ACK echoes it or a later one (RFC 3522 §2). */
  private rtoTsval: number | undefined;
  /** RACK-TLP loss detection, when SACK is in use (RFC 8985). */
  private rack: Rack | undefined;
  /** SACK was negotiated and RACK is on: `rack` is made with the first data sent (an idle connection holds none). */
  private rackWanted = false;
  /** The way back from the current reduction, should it prove spurious. */
  private undo: UndoPoint | undefined;
  private softError: TcpErrorCode | undefined;

  // Persist timer.
  private persistShift = 0;
  private persistProbes = 0;

  // Congestion control (RFC 5681, RFC 6582; the algorithm is pluggable, see cc/).
  private cc: CongestionControl;
  private get cwndV(): number {
    return this.cc.cwnd;
  }
  private set cwndV(v: number) {
    this.cc.cwnd = v;
  }
  private get ssthreshV(): number {
    return this.cc.ssthresh;
  }
  private dupAcks = 0;
  /** SACK scoreboard (RFC 6675), created when SACK is negotiated. */
  private board: SackScoreboard | undefined;
  /** RFC 6675 HighRxt: the highest sequence number retransmitted in this recovery. */
  private highRxtS = 0;
  private get highRxt(): number {
    return this.highRxtS >>> 0;
  }
  private set highRxt(v: number) {
    this.highRxtS = v | 0;
  }
  /** RFC 2883: the duplicate our next ACK reports first (D-SACK), or undefined. */
  private dsack: SackBlock | undefined;
  private inRecovery = false;
  /**
   * Proportional Rate Reduction (RFC 6937) during a RACK recovery: the
   * flight when it began (RecoverFS), bytes the peer has received since
   * (prr_delivered) and bytes sent since (prr_out).
   */
  private recoverFs = 0;
  private prrDelivered = 0;
  private prrOut = 0;
  /** After a timeout with RACK: the segments deemed lost are resent as cwnd allows, until SND.UNA passes `recover` (RFC 8985 §6.3). */
  private rtoRecovery = false;
  private recoverS = 0;
  private get recover(): number {
    return this.recoverS >>> 0;
  }
  private set recover(v: number) {
    this.recoverS = v | 0;
  }

  // ACK generation.
  private ackNow = false;
  /** OUT_HELD: onSegment or a `hold` kept output back until `release`; OUT_HOLDING: between `hold` and `release`. */
  private outHold = 0;
  private lastInvalidAck = -Infinity;
  private unackedBytes = 0;
  private unackedSegments = 0;
  /**
   * Quick-ACK mode, as Linux runs it at the start of the data and after an
   * idle spell: the next `quickAcks` ACKs go at once instead of being
   * delayed, unless the exchange is interactive (`pingpong`: we answered
   * data within the delayed-ACK time, so ACKs ride on the replies).
   */
  private quickAcks = 0;
  private pingpong = false;
  /**
   * Most full-sized segments handed out as one train (Segment.gsoSize) for
   * the driver to cut: 1, the default, hands out every segment alone. A
   * driver that cuts trains sets it (the stack does, see TcpEndpoint).
   */
  segmentationOffload = 1;
  /** When in-order data last arrived (-Infinity: never). */
  private lastDataAt = -Infinity;

  // Keepalive (RFC 1122 §4.2.3.6).
  private keepAlive = false;
  private kaIdle: number;
  private kaProbes = 0;
  private lastRcvAt: number;

  private noDelay: boolean;

  /** Segments to transmit, oldest first: a list through PooledSegment.next. */
  private outHead: PooledSegment | null = null;
  private outTail: PooledSegment | null = null;
  /** Events for the application: evQ[evHead] up to evQ[evEnd - 1]; NO_EVENTS when none wait. */
  private evQ: ConnEvent[] = NO_EVENTS;
  private evHead = 0;
  private evEnd = 0;

  private constructor(o: OpenOptions, passive: boolean, tw?: TimeWaitStore, slot = -1) {
    // Shared, not copied: configuration is data that no connection changes,
    // and so is the tuple (read-only; the stack hands every connection to or
    // from one address the same address array, as a copy costs ~200 heap
    // bytes).
    this.cfg = o.config;
    this.tuple = o.tuple;
    this.passive = passive;
    this.lastNow = o.now;
    this.issVS = o.iss | 0;
    this.sndUnaV = this.issV;
    this.sndNxtV = this.issV;
    this.sndMax = this.issV;
    this.bufSeq = seqAdd(this.issV, 1);
    this.recover = this.issV;
    this.ecnRecover = this.issV;
    this.advMss = this.cfg.mss > 0 ? this.cfg.mss : o.mss;
    this.sendLimit = Math.min(o.mss, this.advMss);
    // RFC 7323 §2.2: the shift is fixed on the SYN, so an auto-tuned buffer's is chosen for its cap.
    this.ourWscale = this.cfg.windowScaling ? windowShiftFor(Math.max(this.cfg.rcvBuf, this.cfg.rcvBufMax ?? 0)) : undefined;
    this.sndMss = Math.min(this.sendLimit, this.defaultMss());
    this.rcvMss = Math.min(this.advMss, DEFAULT_MSS_IPV4);
    this.tsOffsetS = (o.tsOffset !== undefined ? o.tsOffset : mix32(this.issV)) | 0;
    this.rtoEst = new RtoEstimator(this.cfg);
    if (tw !== undefined) {
      const n = tw.intsOf(slot);
      const ib = tw.intBase(slot);
      const f = tw.floatsOf(slot);
      const fb = tw.floatBase(slot);
      this.sndBuf = new SendBuffer(f[fb + TW_SND_BUF]!);
      this.rcvBuf = new RecvBuffer(f[fb + TW_RCV_BUF]!, this.cfg.maxOutOfOrder);
      const srtt = f[fb + TW_SRTT]!;
      this.rtoEst.restore(Number.isNaN(srtt) ? undefined : srtt, f[fb + TW_RTTVAR]!, f[fb + TW_RTO_BASE]!, n[ib + TW_RTO_SHIFT]!);
      const name = (n[ib + TW_FLAGS]! & TW_NEWRENO) !== 0 ? 'newreno' : 'cubic';
      this.cc = createCongestionControl(name, f[fb + TW_CC_MSS]!, f[fb + TW_CWND]!);
      this.cc.ssthresh = f[fb + TW_SSTHRESH]!;
      // The counters, in the order of their keys (as toTimeWait wrote them).
      const stats = this.stats as unknown as Record<string, number>;
      let i = fb + TW_STATS;
      for (const k in stats) stats[k] = f[i++]!;
    } else {
      this.sndBuf = new SendBuffer(this.cfg.sndBuf);
      this.rcvBuf = new RecvBuffer(this.cfg.rcvBuf, this.cfg.maxOutOfOrder);
      this.cc = createCongestionControl(this.cfg.congestionControl ?? 'cubic', this.sndMss, this.cfg.initialWindowSegments * this.sndMss, this.cfg.hystart === true ? HYSTART : {});
    }
    this.kaIdle = this.cfg.keepaliveIdle;
    this.lastRcvAt = o.now;
    this.noDelay = !this.cfg.nagle;
  }

  /**
   * TIME-WAIT as a slot of `store` (see time-wait.ts), once the connection
   * is quiet: nothing to read, nothing in flight or queued, no event or
   * segment waiting, no timer but 2·MSL. Returns the slot, or -1 (the
   * connection is then kept whole). The connection itself is left as it is.
   */
  toTimeWait(store: TimeWaitStore): number {
    if (this.st !== 'TIME_WAIT' || this.done) return -1;
    if (this.outHead !== null || this.evEnd !== 0 || this.outHold !== 0 || this.ackNow) return -1;
    if (this.rcvBuf.readable !== 0 || this.rcvBuf.hasOutOfOrder || this.sndBuf.length !== 0) return -1;
    if (this.sndUnaVS !== this.sndMaxS || this.sndNxtVS !== this.sndMaxS || !this.finSent || seqAdd(this.finSeq, 1) !== this.sndMax) return -1;
    if (this.rcvFinSeq === undefined || !this.finReceived) return -1;
    if (this.dsack !== undefined || this.rack !== undefined || this.inRecovery || this.rtoRecovery || this.rcvSpace !== undefined) return -1;
    if (this.nextDeadline() !== this.closeAt) return -1;
    const slot = store.take(this.tuple, this.cfg);
    const n = store.intsOf(slot);
    const ib = store.intBase(slot);
    n[ib + TW_ISS] = this.issVS;
    n[ib + TW_IRS] = this.irsVS;
    n[ib + TW_SND_NXT] = this.sndMaxS;
    n[ib + TW_SND_WND] = this.sndWndV;
    n[ib + TW_MAX_SND_WND] = this.maxSndWnd;
    n[ib + TW_SND_WL1] = this.sndWl1S;
    n[ib + TW_SND_WL2] = this.sndWl2S;
    n[ib + TW_SND_MSS] = this.sndMss;
    n[ib + TW_ADV_MSS] = this.advMss;
    n[ib + TW_SND_WSCALE] = this.sndWscale;
    n[ib + TW_RCV_WSCALE] = this.rcvWscale;
    n[ib + TW_FLAGS] =
      (this.passive ? TW_PASSIVE : 0) |
      (this.wscaleOk ? TW_WSCALE_OK : 0) |
      (this.sackOk ? TW_SACK_OK : 0) |
      (this.tsOk ? TW_TS_OK : 0) |
      (this.cc.name === 'newreno' ? TW_NEWRENO : 0);
    n[ib + TW_TS_RECENT] = this.tsRecentS;
    n[ib + TW_TS_OFFSET] = this.tsOffsetS;
    n[ib + TW_RCV_NXT] = this.rcvNxtVS;
    n[ib + TW_RCV_ADV] = this.rcvAdvS;
    n[ib + TW_LAST_ACK_SENT] = this.lastAckSentS;
    n[ib + TW_RCV_FIN_SEQ] = this.rcvFinSeq | 0;
    n[ib + TW_ECN_FLAGS] = this.ecnFlags;
    n[ib + TW_ECN_RECOVER] = this.ecnRecoverS;
    n[ib + TW_RTO_SHIFT] = this.rtoEst.backoffCount;
    const f = store.floatsOf(slot);
    const fb = store.floatBase(slot);
    f[fb + TW_TS_RECENT_AT] = this.tsRecentAt ?? NaN;
    f[fb + TW_LAST_INVALID_ACK] = this.lastInvalidAck;
    f[fb + TW_LAST_NOW] = this.lastNow;
    f[fb + TW_CLOSE_AT] = this.closeAt;
    f[fb + TW_SRTT] = this.rtoEst.srtt ?? NaN;
    f[fb + TW_RTTVAR] = this.rtoEst.rttvar;
    f[fb + TW_RTO_BASE] = this.rtoEst.base;
    f[fb + TW_CWND] = this.cc.cwnd;
    f[fb + TW_SSTHRESH] = this.cc.ssthresh;
    f[fb + TW_CC_MSS] = this.cc.mss;
    f[fb + TW_RCV_BUF] = this.rcvBuf.capacity;
    f[fb + TW_SND_BUF] = this.sndBuf.capacity;
    const stats = this.stats as unknown as Record<string, number>;
    let i = fb + TW_STATS;
    for (const k in stats) f[i++] = stats[k]!;
    return slot;
  }

  /**
   * The connection kept in `store`'s slot `slot`, whole again (its parts
   * that TIME-WAIT no longer uses start afresh). The slot is given back.
   */
  static fromTimeWait(store: TimeWaitStore, slot: number): TcpConnection {
    const n = store.intsOf(slot);
    const ib = store.intBase(slot);
    const f = store.floatsOf(slot);
    const fb = store.floatBase(slot);
    const flags = n[ib + TW_FLAGS]!;
    const c = new TcpConnection(
      { config: store.config(slot), tuple: store.tuple(slot), iss: n[ib + TW_ISS]! >>> 0, now: f[fb + TW_LAST_NOW]!, mss: n[ib + TW_ADV_MSS]!, tsOffset: n[ib + TW_TS_OFFSET]! },
      (flags & TW_PASSIVE) !== 0,
      store,
      slot,
    );
    c.st = 'TIME_WAIT';
    c.irsVS = n[ib + TW_IRS]!;
    c.sndUnaVS = c.sndNxtVS = c.sndMaxS = n[ib + TW_SND_NXT]!;
    c.sndWndV = n[ib + TW_SND_WND]!;
    c.maxSndWnd = n[ib + TW_MAX_SND_WND]!;
    c.sndWl1S = n[ib + TW_SND_WL1]!;
    c.sndWl2S = n[ib + TW_SND_WL2]!;
    c.sndMss = n[ib + TW_SND_MSS]!;
    c.sndWscale = n[ib + TW_SND_WSCALE]!;
    c.rcvWscale = n[ib + TW_RCV_WSCALE]!;
    c.wscaleOk = (flags & TW_WSCALE_OK) !== 0;
    c.sackOk = (flags & TW_SACK_OK) !== 0;
    c.tsOk = (flags & TW_TS_OK) !== 0;
    c.tsRecentS = n[ib + TW_TS_RECENT]!;
    const tsRecentAt = f[fb + TW_TS_RECENT_AT]!;
    c.tsRecentAt = Number.isNaN(tsRecentAt) ? undefined : tsRecentAt;
    c.rcvNxtVS = n[ib + TW_RCV_NXT]!;
    c.rcvAdvS = n[ib + TW_RCV_ADV]!;
    c.lastAckSentS = n[ib + TW_LAST_ACK_SENT]!;
    c.finQueued = c.finSent = c.finReceived = true;
    c.finSeq = seqAdd(n[ib + TW_SND_NXT]! >>> 0, -1);
    c.rcvFinSeq = n[ib + TW_RCV_FIN_SEQ]! >>> 0;
    c.ecnFlags = n[ib + TW_ECN_FLAGS]!;
    c.ecnRecoverS = n[ib + TW_ECN_RECOVER]!;
    c.lastInvalidAck = f[fb + TW_LAST_INVALID_ACK]!;
    c.closeAt = f[fb + TW_CLOSE_AT]!;
    store.release(slot);
    return c;
  }

  /** connect(): CLOSED → SYN_SENT, the SYN is queued for pollTransmit. */
  static openActive(o: OpenOptions): TcpConnection {
    const c = new TcpConnection(o, false);
    c.setState('SYN_SENT', o.now);
    c.sendSyn(o.now);
    c.rttSeq = c.issV;
    c.rttStart = o.now;
    c.sndNxtV = c.sndMax = seqAdd(c.issV, 1);
    c.rtxAt = c.at(o.now + c.rtoEst.rto);
    return c;
  }

  /**
   * A LISTEN socket accepted `syn`: LISTEN → SYN_RECEIVED, the SYN-ACK is
   * queued. `syn` must carry SYN and neither ACK nor RST (the listener
   * answers those itself, see resetFor). Data on the SYN is not accepted; the
   * peer sends it again.
   */
  static openPassive(o: OpenOptions & { syn: Segment }): TcpConnection {
    const syn = o.syn;
    if ((syn.flags & SYN) === 0 || (syn.flags & (ACK | RST)) !== 0) {
      throw new RangeError('openPassive needs a segment with SYN and without ACK or RST');
    }
    const c = new TcpConnection(o, true);
    c.st = 'LISTEN';
    c.acceptSyn(syn, o.now);
    c.sndWl2 = c.issV;
    c.setState('SYN_RECEIVED', o.now);
    c.sendSynAck(o.now);
    c.rttSeq = c.issV;
    c.rttStart = o.now;
    c.sndNxtV = c.sndMax = seqAdd(c.issV, 1);
    c.rtxAt = c.at(o.now + c.rtoEst.rto);
    return c;
  }

  /**
   * RFC 4987 §3.6: the ACK `ack` returned a SYN cookie (the caller has
   * validated it: `iss` is SEG.ACK − 1). No SYN_RECEIVED state was kept, so
   * the connection is rebuilt from what the cookie restored and starts in
   * ESTABLISHED (reporting LISTEN → SYN_RECEIVED → ESTABLISHED); the ACK is
   * then processed as in ESTABLISHED, so data or a FIN on it are taken.
   * `synAckWindow` is the window the cookie SYN-ACK offered.
   */
  static openFromCookie(o: OpenOptions & { ack: Segment; restored: CookieRestored; synAckWindow: number }): TcpConnection {
    const seg = o.ack;
    const r = o.restored;
    const c = new TcpConnection({ ...o, tsOffset: r.tsOffset }, true);
    c.st = 'LISTEN';
    c.irsV = seqAdd(seg.seq, -1);
    c.rcvNxtV = seg.seq >>> 0;
    c.lastAckSent = c.rcvNxtV;
    c.rcvAdv = seqAdd(c.rcvNxtV, o.synAckWindow);
    c.wscaleOk = r.sndWscale !== undefined && c.ourWscale !== undefined;
    c.sndWscale = c.wscaleOk ? r.sndWscale! : 0;
    c.rcvWscale = c.wscaleOk ? c.ourWscale! : 0;
    c.sackOk = r.sackOk && c.cfg.sack;
    c.tsOk = r.tsOk && c.cfg.timestamps;
    c.initSack();
    const ts = c.tsOk ? findTimestamp(seg.options) : undefined;
    if (ts !== undefined) {
      c.tsRecent = ts.val;
      c.tsRecentAt = o.now;
    }
    c.sndMss = Math.max(1, Math.min(Math.max(r.mss, MIN_PEER_MSS), c.sendLimit) - (c.tsOk ? TS_OPTION_SPACE : 0));
    c.cwndV = c.cfg.initialWindowSegments * c.sndMss;
    c.sndUnaV = c.sndNxtV = c.sndMax = seqAdd(c.issV, 1);
    c.sndWndV = seg.window * (1 << c.sndWscale);
    c.maxSndWnd = c.sndWndV;
    c.sndWl1 = seg.seq >>> 0;
    c.sndWl2 = seg.ack >>> 0;
    c.setState('SYN_RECEIVED', o.now);
    c.setState('ESTABLISHED', o.now);
    c.onSegment(seg, o.now);
    return c;
  }

  // ---------------------------------------------------------------- getters

  get state(): TcpState {
    return this.st;
  }
  get iss(): number {
    return this.issV;
  }
  get irs(): number {
    return this.irsV;
  }
  get sndUna(): number {
    return this.sndUnaV;
  }
  get sndNxt(): number {
    return this.sndNxtV;
  }
  /** RFC 6675 HighData: one past the highest sequence number sent so far (SND.NXT before any rewind for retransmission). */
  get highData(): number {
    return this.sndMax;
  }
  /** The peer's window in bytes (already scaled). */
  get sndWnd(): number {
    return this.sndWndV;
  }
  get rcvNxt(): number {
    return this.rcvNxtV;
  }
  /** The receive window last advertised, as seen from RCV.NXT now. */
  get rcvWnd(): number {
    return this.rcvWndNow();
  }
  /** The current retransmission timeout, backoff included (µs). */
  get rto(): number {
    return this.rtoEst.rto;
  }
  /** Smoothed RTT (µs), undefined before the first sample. */
  get srtt(): number | undefined {
    return this.rtoEst.srtt;
  }
  get cwnd(): number {
    return this.cwndV;
  }
  get ssthresh(): number {
    return this.ssthreshV;
  }
  /** The congestion control algorithm in use. */
  get congestionControl(): CongestionControlName {
    return this.cc.name;
  }
  /** Bytes the peer has SACKed above SND.UNA (RACK's log, or the RFC 6675 scoreboard). */
  get sackedBytes(): number {
    return this.rack?.sackedBytes ?? this.board?.sackedBytes ?? 0;
  }
  get negotiated(): NegotiatedOptions {
    return { mss: this.sndMss, sndWscale: this.sndWscale, rcvWscale: this.rcvWscale, sackOk: this.sackOk, tsOk: this.tsOk };
  }
  /** The receive and send buffers' sizes now (they change with auto-tuning and setBufferSize). */
  get rcvBufSize(): number {
    return this.rcvBuf.capacity;
  }
  get sndBufSize(): number {
    return this.sndBuf.capacity;
  }
  get readableLength(): number {
    return this.rcvBuf.readable;
  }
  get writableLength(): number {
    return this.canQueueData() ? this.sndBuf.free : 0;
  }

  // ------------------------------------------------------------ driver API

  nextDeadline(): number {
    if (this.done) return Infinity;
    return Math.min(this.rtxAt, this.persistAt, this.kaAt, this.dackAt, this.closeAt, this.rackAt, this.tlpAt);
  }

  pollTransmit(): Segment | undefined {
    const seg = this.outHead;
    if (seg === null) return undefined;
    this.outHead = seg.next;
    if (this.outHead === null) this.outTail = null;
    seg.next = null;
    return seg;
  }

  pollEvent(): ConnEvent | undefined {
    const q = this.evQ;
    if (this.evHead === this.evEnd) return undefined;
    const ev = q[this.evHead]!;
    // The slot keeps a shared object, not the event (nor a hole).
    q[this.evHead++] = READABLE;
    if (this.evHead === this.evEnd) {
      // Drained: lend the array back.
      this.evHead = this.evEnd = 0;
      this.evQ = NO_EVENTS;
      if (eventArrays.length < EVENT_ARRAYS_MAX) eventArrays.push(q);
    }
    return ev;
  }

  /**
   * A segment arrived. `batched`: it came in a receive batch
   * (NetDevice.receiveBatches) and `release` follows. An ordinary segment
   * then sends nothing yet: an ACK, data or a FIN in order with no hole
   * left, taking the connection to (or keeping it in) ESTABLISHED, or to
   * CLOSE_WAIT with that FIN; or the SYN-ACK that completes our handshake.
   * `release` sends what the whole batch called for, one ACK for the burst
   * and new data for the ACKs read, as a kernel does for a GRO-merged
   * burst; and what the application answered in the meantime rides on the
   * same segments (see `hold`). Anything else is answered at once; so
   * out-of-order data still gets one duplicate ACK per segment (RFC 5681
   * §4.2), which a sender without SACK counts.
   */
  onSegment(seg: Segment, now: number, batched = false): void {
    this.lastNow = now;
    if (this.done) return;
    this.stats.segmentsIn++;
    if (this.st === 'SYN_SENT') {
      this.synSentSegment(seg, now);
      // The ACK of the SYN-ACK waits for the application's first words:
      // data on the third segment (RFC 9293 §3.5 allows it).
      if (batched && (this.st as TcpState) === 'ESTABLISHED' && seg.payload.length === 0 && (seg.flags & FIN) === 0) {
        this.outHold |= OUT_HELD;
        return;
      }
    } else if (this.st !== 'CLOSED' && this.st !== 'LISTEN') {
      const ordinary =
        batched &&
        (this.st === 'ESTABLISHED' || this.st === 'SYN_RECEIVED') &&
        (seg.flags & ~(ACK | PSH | ECE | CWR | FIN)) === 0 &&
        seg.seq === this.rcvNxtV;
      this.otherSegment(seg, now);
      if (
        ordinary &&
        (this.st === 'ESTABLISHED' || this.st === 'CLOSE_WAIT') &&
        seqSub(this.rcvNxtV, seg.seq) === seg.payload.length + ((seg.flags & FIN) !== 0 ? 1 : 0) &&
        !this.rcvBuf.hasOutOfOrder
      ) {
        this.outHold |= OUT_HELD;
        return;
      }
    }
    this.output(now);
  }

  /**
   * The driver is about to hand this connection's events to the
   * application: until `release`, what the application does (send, close,
   * read) queues its effects but sends nothing. Its answer then goes out
   * with the ACK it was owed, data and FIN in one segment where they fit,
   * as in lwIP, whose input path calls the application before it sends.
   * All within one instant: no timing changes, only fewer segments.
   */
  hold(): void {
    this.outHold |= OUT_HOLDING;
  }

  /** The end of a receive batch (`onSegment(..., true)`) or of a `hold`: send what waited. */
  release(now: number): void {
    const held = (this.outHold & OUT_HELD) !== 0;
    this.outHold = 0;
    if (!held) return;
    this.lastNow = now;
    this.output(now);
  }

  /** Segments are waiting for pollTransmit. */
  get hasOutput(): boolean {
    return this.outHead !== null;
  }

  onTimer(now: number): void {
    this.lastNow = now;
    if (this.done) return;
    if (this.closeAt <= now) {
      // TIME_WAIT ran out (RFC 9293 §3.10.8), or the FIN_WAIT_2 timeout of a
      // closed connection whose peer never sent its FIN.
      this.closeAt = Infinity;
      this.terminate(now, undefined);
      return;
    }
    if (this.tlpAt <= now) {
      // First: a probe due with the RTO goes in its place (and restarts it).
      this.tlpAt = Infinity;
      this.tailLossProbe(now);
    }
    if (this.rtxAt <= now) {
      this.rtxAt = Infinity;
      this.retransmitTimeout(now);
      if (this.done) return;
    }
    if (this.rackAt <= now) {
      this.rackAt = Infinity;
      this.rackDetect(now);
    }
    if (this.persistAt <= now) {
      this.persistAt = Infinity;
      this.persistTimeout(now);
      if (this.done) return;
    }
    if (this.kaAt <= now) {
      this.kaAt = Infinity;
      this.keepaliveTimeout(now);
      if (this.done) return;
    }
    if (this.dackAt <= now) {
      this.dackAt = Infinity;
      this.ackNow = true;
      // The reply the ACK waited for did not come: not interactive after all.
      this.pingpong = false;
    }
    this.output(now);
  }

  // -------------------------------------------------------- user interface

  /**
   * Queue bytes (copied). Returns how many were taken; 0 once the sending
   * side is shut down or the connection is closed (the API layer turns that
   * into EPIPE).
   */
  send(data: Uint8Array, now: number): number {
    this.lastNow = now;
    if (!this.canQueueData()) return 0;
    const n = this.sndBuf.write(data);
    if (n < data.length) this.writeBlocked = true;
    this.output(now);
    return n;
  }

  /** Take up to `max` in-order bytes. `now` stamps a window update if the read opens the window (defaults to the last time seen). */
  read(max?: number, now?: number): Uint8Array | null {
    const data = this.rcvBuf.read(max);
    if (data === null) return null;
    this.afterRead(now);
    return data;
  }

  /** Move up to dst.length in-order bytes into `dst` (the caller's buffer); returns how many. */
  readInto(dst: Uint8Array, now?: number): number {
    const n = this.rcvBuf.readInto(dst);
    if (n > 0) this.afterRead(now);
    return n;
  }

  private afterRead(now: number | undefined): void {
    const t = now ?? this.lastNow;
    this.lastNow = Math.max(this.lastNow, t);
    if (this.rcvBufTarget !== 0) {
      // A smaller receive buffer was asked for: shrink as far as the offered window allows.
      const size = this.rcvBuf.resize(Math.max(this.rcvBufTarget, this.offeredExtent()));
      if (size === this.rcvBufTarget) this.rcvBufTarget = 0;
    }
    if (this.cfg.rcvBufMax !== undefined && this.cfg.rcvBufMax > this.rcvBuf.capacity) this.rcvSpaceAdjust(t);
    this.windowUpdate(t);
  }

  /**
   * After room opened in the receive buffer (a read, a larger buffer): a
   * window update when the window the peer would see at least doubles
   * (receiver SWS avoidance, RFC 9293 §3.8.6.2.2, decides the size).
   */
  private windowUpdate(now: number): void {
    if (this.done || this.finReceived || (this.st !== 'ESTABLISHED' && this.st !== 'FIN_WAIT_1' && this.st !== 'FIN_WAIT_2')) return;
    const remaining = this.rcvWndNow();
    const would = this.windowToAdvertise();
    if (would > remaining && would >= 2 * remaining) {
      this.ackNow = true;
      this.output(now);
    }
  }

  /**
   * Dynamic right-sizing of the receive buffer (Linux's
   * tcp_rcv_space_adjust, after Fisk and Feng): once per round trip,
   * compare what the application read in it with the buffer. A sender that
   * delivers more than half the buffer per round trip may be held back by
   * the window, so the buffer grows to twice that (at least doubling), up
   * to rcvBufMax; the next window update offers the room. The round trip
   * is measured by the receiver (Linux's rcv_rtt_est): with timestamps,
   * from the TSval each data segment echoes, which counts the time the
   * window takes to travel and drain; without, the smoothed RTT (for a
   * pure receiver, the handshake's sample, which misses the queueing a full
   * window causes).
   */
  private rcvSpaceAdjust(now: number): void {
    const consumed = this.rcvBuf.consumed;
    const s = this.rcvSpace;
    if (s === undefined) {
      this.rcvSpace = { at: now, consumed, rtt: undefined };
      return;
    }
    const rtt = s.rtt ?? this.rtoEst.srtt;
    // Timestamps tick in milliseconds: a round trip measures at least one.
    if (rtt === undefined || now - s.at < Math.max(rtt, 1000)) return;
    const copied = consumed - s.consumed;
    const cap = this.rcvBuf.capacity;
    // At least doubling: the ring is copied on every growth.
    if (2 * copied > cap) this.rcvBuf.resize(Math.min(this.cfg.rcvBufMax!, Math.max(2 * copied, 2 * cap)));
    s.at = now;
    s.consumed = consumed;
  }

  /**
   * Set the receive or send buffer's size (SO_RCVBUF / SO_SNDBUF on an open
   * connection). Neither drops below the bytes it holds. The window scale
   * was fixed by the SYN (RFC 7323 §2.2), so a receive buffer beyond
   * 65535 << shift is not all offered. A receive buffer also keeps room
   * for the window already offered (the peer may send into all of it): a
   * smaller size takes effect as the application reads. A larger send
   * buffer lets a blocked writer go on ('writable'). Returns the size now
   * in force.
   */
  setBufferSize(which: 'rcv' | 'snd', bytes: number, now: number): number {
    this.lastNow = now;
    if (which === 'snd') {
      const before = this.sndBuf.free;
      const size = this.sndBuf.resize(bytes);
      if (this.sndBuf.free > before && this.writeBlocked && this.canQueueData()) {
        this.writeBlocked = false;
        this.pushEvent(WRITABLE);
      }
      return size;
    }
    const offered = this.offeredExtent();
    this.rcvBufTarget = bytes < offered ? bytes : 0;
    const size = this.rcvBuf.resize(Math.max(bytes, offered));
    this.windowUpdate(now);
    return size;
  }

  /** Bytes from the first unread one to the right edge of the window offered. */
  private offeredExtent(): number {
    return this.rcvBuf.readable + this.rcvWndNow();
  }

  shutdown(now: number): void {
    this.lastNow = now;
    if (this.done) return;
    switch (this.st) {
      case 'SYN_SENT':
      case 'SYN_RECEIVED':
      case 'ESTABLISHED':
      case 'CLOSE_WAIT':
        this.queueFin(now);
        break;
      default:
        return;
    }
    this.output(now);
  }

  close(now: number): void {
    this.lastNow = now;
    if (this.done) return;
    this.userClosed = true;
    switch (this.st) {
      case 'SYN_SENT':
        // RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB.
        this.terminate(now, undefined);
        return;
      case 'SYN_RECEIVED':
      case 'ESTABLISHED':
      case 'CLOSE_WAIT':
      case 'FIN_WAIT_1':
      case 'FIN_WAIT_2':
        if (this.rcvBuf.readable > 0) {
          // RFC 1122 §4.2.2.13: closing with unread data tells the peer with a RST.
          this.flushHeld(now);
          this.sendReset(this.sndNxtV, now);
          this.terminate(now, undefined);
          return;
        }
        this.queueFin(now);
        if (this.st === 'FIN_WAIT_2' && this.closeAt === Infinity) this.closeAt = this.at(now + this.cfg.finTimeout);
        break;
      default:
        return;
    }
    this.output(now);
  }

  abort(now: number): void {
    this.lastNow = now;
    if (this.done) return;
    switch (this.st) {
      case 'SYN_RECEIVED':
      case 'ESTABLISHED':
      case 'FIN_WAIT_1':
      case 'FIN_WAIT_2':
      case 'CLOSE_WAIT':
        // What a handler sent just before goes first, as it would have
        // without the hold. RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>.
        this.flushHeld(now);
        this.sendReset(this.sndNxtV, now);
        break;
      default:
        break;
    }
    this.terminate(now, undefined);
  }

  /** Send what a `hold` keeps back now, before a reset ends the connection. */
  private flushHeld(now: number): void {
    if ((this.outHold & OUT_HELD) === 0) return;
    const holding = this.outHold & OUT_HOLDING;
    this.outHold = 0;
    this.output(now);
    this.outHold = holding;
  }

  /** Switch the congestion control algorithm; the new one starts from the current window and threshold. */
  setCongestionControl(name: CongestionControlName): void {
    if (name === this.cc.name) return;
    const next = createCongestionControl(name, this.sndMss, this.cc.cwnd, this.cfg.hystart === true && this.cc.ssthresh === 0x7fffffff ? HYSTART : {});
    next.ssthresh = this.cc.ssthresh;
    this.cc = next;
  }

  setNoDelay(noDelay: boolean): void {
    this.noDelay = noDelay;
    if (noDelay && !this.done) this.output(this.lastNow);
  }

  setKeepAlive(enable: boolean, idle?: number, now?: number): void {
    if (now !== undefined) this.lastNow = Math.max(this.lastNow, now);
    this.keepAlive = enable;
    if (idle !== undefined && idle > 0) this.kaIdle = idle;
    this.kaProbes = 0;
    this.armKeepalive(Math.max(this.lastRcvAt, now ?? this.lastRcvAt));
  }

  onIcmp(signal: IcmpSignal, now: number): void {
    this.lastNow = now;
    if (this.done) return;
    if (signal.kind === 'mtu') {
      // RFC 1191 / RFC 8201: shrink the segment size and resend what no
      // longer fits.
      const ipHeader = this.tuple.localAddr.length === 16 ? 40 : 20;
      const limit = Math.max(signal.mtu - ipHeader - 20, MIN_PEER_MSS);
      if (limit < this.sendLimit) {
        this.sendLimit = limit;
        const mss = Math.max(1, limit - (this.tsOk ? TS_OPTION_SPACE : 0));
        if (mss < this.sndMss) {
          this.sndMss = mss;
          this.cc.mss = mss;
          if (this.isSynchronized() && seqLt(this.sndUnaV, this.sndMax)) {
            this.sndNxtV = this.sndUnaV;
            this.rttSeq = undefined;
          }
        }
      }
    } else if (signal.kind === 'hard' && (this.st === 'SYN_SENT' || (this.st === 'SYN_RECEIVED' && !this.passive))) {
      // RFC 1122 §4.2.3.9 / RFC 5461: a hard error aborts a connection attempt.
      this.terminate(now, signal.code);
      return;
    } else {
      // Soft errors are remembered and reported if the connection times out.
      this.softError = signal.code;
    }
    this.output(now);
  }

  // ------------------------------------------------------- segment arrival

  /** RFC 9293 §3.10.7.3: SYN-SENT. */
  private synSentSegment(seg: Segment, now: number): void {
    const hasAck = (seg.flags & ACK) !== 0;
    // First: the ACK must acknowledge our SYN: ISS < SEG.ACK ≤ SND.NXT.
    if (hasAck && (seqLe(seg.ack, this.issV) || seqGt(seg.ack, this.sndMax))) {
      // An old duplicate SYN-ACK (RFC 9293 §3.5 figure 9): <SEQ=SEG.ACK><CTL=RST>.
      if ((seg.flags & RST) === 0) this.sendReset(seg.ack, now);
      return;
    }
    if ((seg.flags & RST) !== 0) {
      // Acceptable only with an acceptable ACK (RFC 9293; RFC 5961 §3.2).
      if (hasAck) {
        this.stats.resetsIn++;
        this.terminate(now, 'ECONNREFUSED');
      }
      return;
    }
    if ((seg.flags & SYN) === 0) return;
    this.lastRcvAt = now;
    this.acceptSyn(seg, now);
    if (hasAck) {
      this.sndWl2 = seg.ack;
      this.newAck(seg.ack, this.tsOk ? findTimestamp(seg.options) : undefined, now);
      this.setState('ESTABLISHED', now);
      if (this.finQueued) this.setState('FIN_WAIT_1', now);
      this.ackNow = true;
      // Data on a SYN-ACK goes on as in ESTABLISHED (sixth step onwards).
      this.processText(seqAdd(seg.seq, 1), seg.payload, now, seg.payloadOwned === true);
      if (!this.done && (seg.flags & FIN) !== 0) this.rcvFinSeq = seqAdd(seg.seq, 1 + seg.payload.length);
      this.maybeFin(now);
    } else {
      // Simultaneous open (RFC 9293 §3.5 figure 8): SYN_RECEIVED, answer
      // with SYN-ACK. It repeats our SYN, so it is a retransmission (Karn).
      this.sndWl2 = this.issV;
      this.setState('SYN_RECEIVED', now);
      this.rttSeq = undefined;
      this.sendSynAck(now);
    }
  }

  /** Take the peer's SYN: IRS, RCV.NXT, the window, and option negotiation. */
  private acceptSyn(seg: Segment, now: number): void {
    this.irsV = seg.seq >>> 0;
    this.rcvNxtV = seqAdd(seg.seq, 1);
    this.rcvAdv = this.rcvNxtV;
    this.lastAckSent = this.rcvNxtV;
    const peer = parseSynOptions(seg.options);
    const n = negotiate(
      {
        mss: this.advMss,
        sendLimit: this.sendLimit,
        wscale: this.ourWscale,
        sack: this.cfg.sack,
        timestamps: this.cfg.timestamps,
        defaultMss: this.defaultMss(),
      },
      peer,
    );
    this.wscaleOk = n.wscaleOk;
    this.sndWscale = n.sndWscale;
    this.rcvWscale = n.rcvWscale;
    this.sackOk = n.sackOk;
    this.tsOk = n.tsOk;
    this.sndMss = Math.max(1, n.sndMss - (this.tsOk ? TS_OPTION_SPACE : 0));
    // What a full-sized segment from the peer should carry (for "ACK every second full segment").
    this.rcvMss = Math.max(1, Math.min(this.advMss, Math.max(peer.mss ?? this.defaultMss(), MIN_PEER_MSS)) - (this.tsOk ? TS_OPTION_SPACE : 0));
    this.cc.mss = this.sndMss;
    this.cwndV = this.cfg.initialWindowSegments * this.sndMss;
    this.initSack();
    // RFC 3168 §6.1.1: ECN is on when a SYN with ECE and CWR is answered by
    // a SYN-ACK with ECE alone. (Not in a simultaneous open.)
    const e = seg.flags & (ECE | CWR);
    if ((seg.flags & ACK) !== 0) {
      if ((this.ecnFlags & ECN_ASKED) !== 0 && e === ECE) this.ecnFlags |= ECN_OK;
    } else if (this.st === 'LISTEN' && (this.cfg.ecn === 'on' || this.cfg.ecn === 'accept') && e === (ECE | CWR)) {
      this.ecnFlags |= ECN_OK;
    }
    if (this.tsOk && peer.ts !== undefined) {
      this.tsRecent = peer.ts.val;
      this.tsRecentAt = now;
    }
    // RFC 7323 §2.2: the window of a SYN is never scaled.
    this.sndWndV = seg.window;
    this.maxSndWnd = seg.window;
    this.sndWl1 = seg.seq >>> 0;
  }

  /** RFC 9293 §3.10.7.4: SYN-RECEIVED and the synchronized states. */
  private otherSegment(seg: Segment, now: number): void {
    let flags = seg.flags;
    this.lastRcvAt = now;
    if (this.keepAlive) {
      this.kaProbes = 0;
      this.armKeepalive(now);
    }

    const ts = this.tsOk ? findTimestamp(seg.options) : undefined;
    if (headerPrediction && this.predicted(seg, ts, now)) return;

    // Second (done first, as RFC 5961 §3.2 words it): RST.
    if ((flags & RST) !== 0) {
      this.processRst(seg, now);
      return;
    }

    // RFC 7323 §5.3 R1 (PAWS): an older timestamp than TS.Recent means an old duplicate.
    if (ts !== undefined && this.tsRecentAt !== undefined && now - this.tsRecentAt < PAWS_IDLE && seqLt(ts.val, this.tsRecent)) {
      this.stats.pawsDrops++;
      this.answerInvalid(seg, now);
      return;
    }

    let segSeq = seg.seq >>> 0;
    // Fourth: SYN.
    if ((flags & SYN) !== 0) {
      if (this.st === 'SYN_RECEIVED' && segSeq === this.irsV) {
        if ((flags & ACK) === 0) {
          // The peer repeats its SYN: our SYN-ACK was lost or is late.
          this.sendSynAck(now);
          return;
        }
        // Simultaneous open: the peer's SYN-ACK repeats the SYN we have;
        // only its ACK is new.
        segSeq = seqAdd(segSeq, 1);
        flags &= ~SYN;
      } else {
        // RFC 5961 §4.2: a SYN in a synchronized state draws a challenge ACK
        // whatever its sequence number (a duplicate SYN-ACK after a lost
        // third ACK gets the ACK it needs the same way).
        this.challengeAck(seg, now);
        return;
      }
    }

    // First: is the sequence number acceptable (RFC 9293 §3.10.7.4 table)?
    let payload = seg.payload;
    let fin = (flags & FIN) !== 0;
    const rcvWnd = this.rcvWndNow();
    if (!this.acceptable(segSeq, payload.length, fin, rcvWnd)) {
      if (this.st === 'TIME_WAIT' && fin && seqAdd(segSeq, payload.length + 1) === this.rcvNxtV) {
        // A retransmitted FIN: our last ACK was lost. ACK it again and
        // restart the 2·MSL timer (RFC 9293 §3.10.7.4, eighth step).
        this.closeAt = this.at(now + this.cfg.timeWait);
      }
      // RFC 2883 §4: data we already hold is reported in a D-SACK block.
      if (payload.length > 0 && this.sackOk && seqLe(seqAdd(segSeq, payload.length), this.rcvNxtV)) this.dsack = { left: segSeq, right: seqAdd(segSeq, payload.length) };
      this.answerInvalid(seg, now);
      return;
    }
    // Trim what lies before RCV.NXT and beyond the window.
    if (seqLt(segSeq, this.rcvNxtV)) {
      const skip = seqSub(this.rcvNxtV, segSeq);
      if (payload.length > 0 && this.sackOk) this.dsack = { left: segSeq, right: seqAdd(segSeq, Math.min(skip, payload.length)) };
      payload = payload.subarray(Math.min(skip, payload.length));
      segSeq = this.rcvNxtV;
    }
    const room = Math.min(rcvWnd, this.rcvBuf.free);
    if (payload.length > room) {
      payload = payload.subarray(0, room);
      fin = false;
      this.ackNow = true;
    }

    // Fifth: ACK.
    if ((flags & ACK) === 0) return;
    if (!this.processAck(seg, ts, now)) return;
    if (this.done) return;

    // RFC 7323 §4.3: TS.Recent follows the segment that the last ACK
    // covered, once the segment is known to be acceptable, its ACK included
    // (one dropped for an ACK beyond SND.NXT must not move it, or PAWS
    // would then drop the peer's valid segments).
    if (ts !== undefined && seqLe(seg.seq, this.lastAckSent) && seqGe(ts.val, this.tsRecent)) {
      this.tsRecent = ts.val;
      this.tsRecentAt = now;
    }

    // The receiver's round trip, for buffer auto-tuning: data that echoes
    // our TSval left the peer in answer to the ACK that carried it.
    const space = this.rcvSpace;
    if (space !== undefined && ts !== undefined && ts.ecr !== 0 && payload.length > 0) {
      const sample = Math.max(seqSub(this.tsNow(now), ts.ecr), 0) * 1000;
      space.rtt = space.rtt === undefined ? sample : (7 * space.rtt + sample) / 8;
    }

    // RFC 3168 §6.1.3: ECE on every ACK from a CE-marked data segment on,
    // until the sender says it reduced its window (CWR). The ACK that
    // carries the news goes at once.
    if ((this.ecnFlags & ECN_OK) !== 0) {
      if ((flags & CWR) !== 0) this.ecnFlags &= ~ECN_ECE;
      if (seg.ecn === CE && payload.length > 0) {
        this.ecnFlags |= ECN_ECE;
        this.ackNow = true;
      }
    }

    // Seventh: segment text.
    if (!this.processText(segSeq, payload, now, seg.payloadOwned === true)) return;

    // Eighth: FIN.
    if (fin && this.rcvFinSeq === undefined && !this.finReceived) this.rcvFinSeq = seqAdd(segSeq, payload.length);
    // A FIN beyond a hole is out of order like any segment: it draws an
    // immediate duplicate ACK (RFC 5681 §4.2), with SACK when on.
    if (fin && !this.finReceived && this.rcvFinSeq !== this.rcvNxtV) this.ackNow = true;
    this.maybeFin(now);
  }

  /**
   * Header prediction (Van Jacobson's, as in 4.4BSD's tcp_input and
   * Linux's fast path): the next data segment in order, acknowledging
   * nothing new while we have nothing in flight, with the window as it was
   * and nothing else to see (no SYN, FIN, RST, URG, ECN signal or SACK
   * block, a timestamp that passes PAWS). For such a segment the steps of
   * RFC 9293 §3.10.7.4 before the text change nothing but what is done
   * here: it is acceptable and needs no trimming, its ACK is neither new
   * nor a duplicate, and the send window stays. Returns false, having
   * changed nothing, for any other segment: the full path takes it.
   */
  private predicted(seg: Segment, ts: { val: number; ecr: number } | undefined, now: number): boolean {
    const payload = seg.payload;
    if ((seg.flags & ~PSH) !== ACK || payload.length === 0) return false;
    if (this.sackOk && findSack(seg.options) !== undefined) return false;
    if ((this.ecnFlags & ECN_OK) !== 0 && seg.ecn === CE) return false;
    const seq = seg.seq >>> 0;
    const ack = seg.ack >>> 0;
    if (!this.predictable(seq, ack, seg.window, payload.length, ts, now)) return false;
    this.takePredicted(seq, ack, payload, ts, now, seg.payloadOwned === true);
    return true;
  }

  /** What header prediction asks of the connection's state for a segment with these fields. */
  private predictable(seq: number, ack: number, window: number, len: number, ts: { val: number; ecr: number } | undefined, now: number): boolean {
    if (this.st !== 'ESTABLISHED') return false;
    if (seq !== this.rcvNxtV || ack !== this.sndUnaV || this.sndUnaV !== this.sndMax) return false;
    if (window * (1 << this.sndWscale) !== this.sndWndV) return false;
    if (this.tsOk && (ts === undefined || (this.tsRecentAt !== undefined && now - this.tsRecentAt < PAWS_IDLE && seqLt(ts.val, this.tsRecent)))) return false;
    if (this.rcvBuf.hasOutOfOrder || this.rcvFinSeq !== undefined || this.finReceived || this.userClosed || this.inRecovery || this.rtoRecovery) return false;
    if (len > this.rcvWndNow() || len > this.rcvBuf.free) return false;
    const rack = this.rack;
    return rack === undefined || rack.records === 0;
  }

  /** A predicted segment's effects: those of the fifth step, then the text. */
  private takePredicted(seq: number, ack: number, payload: Uint8Array, ts: { val: number; ecr: number } | undefined, now: number, owned: boolean): void {
    this.stats.predictedIn++;
    // The fifth step's effects on it: no probes outstanding, RACK has
    // nothing in flight to watch, and the window update moves SND.WL1/WL2
    // (the window itself is unchanged).
    this.persistProbes = 0;
    if (this.rack !== undefined) this.rackAt = Infinity;
    if (seqLt(this.sndWl1, seq) || (this.sndWl1 === seq && seqLe(this.sndWl2, ack))) {
      this.sndWl1 = seq;
      this.sndWl2 = ack;
    }
    if (ts !== undefined && seqLe(seq, this.lastAckSent) && seqGe(ts.val, this.tsRecent)) {
      this.tsRecent = ts.val;
      this.tsRecentAt = now;
    }
    const space = this.rcvSpace;
    if (space !== undefined && ts !== undefined && ts.ecr !== 0) {
      const sample = Math.max(seqSub(this.tsNow(now), ts.ecr), 0) * 1000;
      space.rtt = space.rtt === undefined ? sample : (7 * space.rtt + sample) / 8;
    }
    this.processText(seq, payload, now, owned);
  }

  /**
   * Receive offload (the driver's half is Stack.continueRun): the next
   * segment of a receive batch whose header is that of the segment this
   * connection has just taken by header prediction, but for its sequence
   * number (and PSH): the header checks of prediction hold for it as they
   * did for that one, so only those on the connection's state are made
   * again. Returns false, having changed nothing, if they fail: the driver
   * then hands the segment over whole (onSegment). Otherwise the segment
   * is taken exactly as onSegment(…, batched) would take it, without
   * parsing it again: `ack`, `window` and `ts` are the run's header.
   */
  continuePredicted(seq: number, ack: number, window: number, payload: Uint8Array, ts: { val: number; ecr: number } | undefined, now: number, owned: boolean): boolean {
    if (this.done || payload.length === 0 || !this.predictable(seq, ack, window, payload.length, ts, now)) return false;
    this.lastNow = now;
    this.stats.segmentsIn++;
    this.lastRcvAt = now;
    if (this.keepAlive) {
      this.kaProbes = 0;
      this.armKeepalive(now);
    }
    this.takePredicted(seq, ack, payload, ts, now, owned);
    // onSegment's end for an ordinary segment of a batch: hold the answer
    // when the data went in whole and in order (as it does here).
    if ((this.st === 'ESTABLISHED' || this.st === 'CLOSE_WAIT') && seqSub(this.rcvNxtV, seq) === payload.length && !this.rcvBuf.hasOutOfOrder) {
      this.outHold |= OUT_HELD;
      return true;
    }
    this.output(now);
    return true;
  }

  /**
   * RFC 9293 §3.10.7.4 acceptability test. A bare FIN exactly at RCV.NXT is
   * taken even with a zero window: it needs no buffer space.
   */
  private acceptable(seq: number, dataLen: number, fin: boolean, wnd: number): boolean {
    const len = dataLen + (fin ? 1 : 0);
    if (len === 0) return wnd === 0 ? seq === this.rcvNxtV : seqInWindow(seq, this.rcvNxtV, wnd);
    if (wnd === 0) return dataLen === 0 && seq === this.rcvNxtV;
    return seqInWindow(seq, this.rcvNxtV, wnd) || seqInWindow(seqAdd(seq, len - 1), this.rcvNxtV, wnd);
  }

  /** RFC 5961 §3.2: exact RST resets, in-window RST draws a challenge ACK, others are dropped. */
  private processRst(seg: Segment, now: number): void {
    const seq = seg.seq >>> 0;
    if (seq === this.rcvNxtV) {
      this.stats.resetsIn++;
      switch (this.st) {
        case 'SYN_RECEIVED':
          // A passive open goes back to LISTEN: for us, the half-open
          // connection closes without an error (the listener stays).
          this.terminate(now, this.passive ? undefined : 'ECONNREFUSED');
          return;
        case 'ESTABLISHED':
        case 'FIN_WAIT_1':
        case 'FIN_WAIT_2':
        case 'CLOSE_WAIT':
          this.terminate(now, this.userClosed ? undefined : 'ECONNRESET');
          return;
        case 'CLOSING':
        case 'LAST_ACK':
          // RFC 9293 §3.10.7.4 just closes here. An application that only
          // shut down its sending side still holds the socket, and FreeBSD
          // and Linux report the reset to it (SO_ERROR ECONNRESET).
          this.terminate(now, this.userClosed ? undefined : 'ECONNRESET');
          return;
        default:
          // TIME_WAIT: just close.
          this.terminate(now, undefined);
          return;
      }
    }
    if (seqInWindow(seq, this.rcvNxtV, this.rcvWndNow())) this.challengeAck(seg, now);
  }

  /** Fifth step; false when the segment must be dropped here. */
  private processAck(seg: Segment, ts: { val: number; ecr: number } | undefined, now: number): boolean {
    const ack = seg.ack >>> 0;
    if (this.st === 'SYN_RECEIVED') {
      if (!(seqLt(this.sndUnaV, ack) && seqLe(ack, this.sndMax))) {
        // <SEQ=SEG.ACK><CTL=RST>
        this.sendReset(ack, now);
        return false;
      }
      this.newAck(ack, ts, now);
      this.sndWndV = seg.window * (1 << this.sndWscale);
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWndV);
      this.sndWl1 = seg.seq >>> 0;
      this.sndWl2 = ack;
      this.setState('ESTABLISHED', now);
      if (this.finQueued) this.setState('FIN_WAIT_1', now);
      return true;
    }
    // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA − MAX.SND.WND, SND.NXT].
    if (seqGt(ack, this.sndMax) || seqLt(ack, seqAdd(this.sndUnaV, -this.maxSndWnd))) {
      this.answerInvalid(seg, now);
      return false;
    }
    this.persistProbes = 0;
    const blocks = this.sackOk ? findSack(seg.options) : undefined;
    if (this.board !== undefined && blocks !== undefined) {
      // RFC 6675 §5: every ACK's SACK blocks update the scoreboard (D-SACK blocks below SND.UNA are ignored there).
      this.board.update(blocks, seqMax(ack, this.sndUnaV), this.sndMax);
    }
    // RFC 6937 DeliveredData: the change in SND.UNA plus the change in SACKed bytes.
    const deliveredBase = this.rack !== undefined ? this.sndUnaV + this.rack.sackedBytes : 0;
    const unaBefore = this.sndUnaV;
    // An ACK below SND.UNA (reordered on the way) still brings news in its SACK blocks.
    if (this.rack !== undefined) this.rackAck(seqMax(ack, this.sndUnaV), blocks, ts, now);
    const wnd = seg.window * (1 << this.sndWscale);
    const isDup =
      ack === this.sndUnaV &&
      seg.payload.length === 0 &&
      (seg.flags & (SYN | FIN)) === 0 &&
      wnd === this.sndWndV &&
      seqLt(this.sndUnaV, this.sndMax);
    if (seqGt(ack, this.sndUnaV)) this.newAck(ack, ts, now);
    else if (isDup) this.dupAck(now);
    // RFC 3168 §6.1.2: ECN-Echo is congestion without loss: reduce as for a
    // loss, once per window of data, unless a recovery already did.
    if ((seg.flags & ECE) !== 0 && (this.ecnFlags & ECN_OK) !== 0 && seqGt(ack, this.ecnRecover) && !this.inRecovery && !this.rtoRecovery) {
      this.cc.onCongestion(seqSub(this.sndMax, this.sndUnaV), now);
      this.cwndV = Math.max(this.ssthreshV, this.sndMss);
      this.ecnRecover = this.sndMax;
      this.ecnFlags |= ECN_CWR;
      this.stats.ecnReductions++;
    }
    if (this.rack !== undefined) {
      const newlyLost = this.rackDetect(now);
      if (this.inRecovery) this.prrAck(seqSub(this.sndUnaV + this.rack.sackedBytes, deliveredBase), this.sndUnaV !== unaBefore && newlyLost === 0);
    }

    // RFC 9293 §3.10.7.4: update the send window only from segments newer than the last update.
    const seq = seg.seq >>> 0;
    if (seqLt(this.sndWl1, seq) || (this.sndWl1 === seq && seqLe(this.sndWl2, ack))) {
      const was = this.sndWndV;
      this.sndWndV = wnd;
      this.sndWl1 = seq;
      this.sndWl2 = ack;
      this.maxSndWnd = Math.max(this.maxSndWnd, wnd);
      if (wnd > 0 && was === 0) {
        this.persistShift = 0;
        this.persistAt = Infinity;
      }
    }

    const finAcked = this.finSent && seqGt(this.sndUnaV, this.finSeq);
    switch (this.st) {
      case 'FIN_WAIT_1':
        if (finAcked) {
          this.setState('FIN_WAIT_2', now);
          if (this.userClosed) this.closeAt = this.at(now + this.cfg.finTimeout);
        }
        break;
      case 'CLOSING':
        if (finAcked) this.enterTimeWait(now);
        break;
      case 'LAST_ACK':
        if (finAcked) {
          this.terminate(now, undefined);
          return false;
        }
        break;
      default:
        break;
    }
    return true;
  }

  /** SND.UNA < SEG.ACK ≤ SND.NXT: new data (or our SYN/FIN) acknowledged. */
  private newAck(ack: number, ts: { val: number; ecr: number } | undefined, now: number): void {
    const synAcked = this.sndUnaV === this.issV;
    const undo = this.undo;
    if (undo !== undefined && undo.tsval !== undefined && ts !== undefined && ts.ecr !== 0) {
      // RFC 3522 §2 / RFC 4015: the first ACK to cover the resent head
      // echoes the original's timestamp: the original had arrived.
      const original = seqLt(ts.ecr, undo.tsval);
      undo.tsval = undefined;
      if (original) this.spurious();
    }
    let sampled = false;
    let rttSample: number | undefined;
    // RTT: a timestamp echo names the transmission (RFC 7323 §4.1);
    // otherwise one timed segment at a time, never a retransmitted one (Karn).
    if (ts !== undefined && ts.ecr !== 0) {
      const ms = seqSub(this.tsNow(now), ts.ecr);
      if (this.rtoTsval !== undefined && seqLt(ts.ecr, this.rtoTsval)) {
        // The echo names a transmission from before the timeout: the receiver
        // had the data and its ACKs were lost or late (the Eifel test of
        // RFC 3522 §2). Its timestamp is as old as the last in-order segment
        // (RFC 7323 §4.3), so the "RTT" would count the whole outage; skip it.
        this.stats.staleEchoes++;
      } else if (ms < 0x7fffffff) {
        this.rtoTsval = undefined;
        rttSample = ms * 1000;
        this.rtoEst.sample(rttSample);
        sampled = true;
      }
    } else if (this.rttSeq !== undefined && seqGt(ack, this.rttSeq)) {
      rttSample = now - this.rttStart;
      this.rtoEst.sample(rttSample);
      sampled = true;
    }
    if (this.rttSeq !== undefined && seqGt(ack, this.rttSeq)) this.rttSeq = undefined;
    if (synAcked && !sampled && this.nRtx > 0) this.rtoEst.fallback(RTO_FALLBACK);

    const dataEnd = seqAdd(this.bufSeq, this.sndBuf.length);
    const upto = seqMin(ack, dataEnd);
    let acked = 0;
    if (seqGt(upto, this.bufSeq)) {
      acked = seqSub(upto, this.bufSeq);
      this.sndBuf.consume(acked);
      this.bufSeq = upto;
    }
    this.sndUnaV = ack;
    if (seqLt(this.sndNxtV, ack)) this.sndNxtV = ack;
    this.nRtx = 0;

    this.board?.advance(ack);
    if (this.rtoRecovery && seqGe(ack, this.recover)) this.rtoRecovery = false;

    // Congestion control.
    if (this.inRecovery) {
      if (seqGe(ack, this.recover)) {
        // RFC 6582 §3.2 step 3: full ACK, deflate the window; with PRR
        // (RFC 6937 §3) the window is ssthresh.
        this.inRecovery = false;
        this.rack?.onRecoveryEnd();
        if (this.rack !== undefined) this.cwndV = this.ssthreshV;
        else this.cwndV = Math.max(Math.min(this.ssthreshV, seqSub(this.sndMax, this.sndUnaV) + this.sndMss), this.sndMss);
      } else if (this.sackOk) {
        // RFC 6675: a partial ACK needs nothing special; sackSend() fills the holes the pipe allows.
        this.highRxt = seqMax(this.highRxt, this.sndUnaV);
      } else {
        // Partial ACK: resend the next hole, deflate by what was acked.
        this.retransmitHead(now);
        this.cwndV = Math.max(this.cwndV - acked + this.sndMss, this.sndMss);
      }
    } else if (acked > 0) {
      // One scratch record for every connection: read at once, never kept.
      ACK_SAMPLE.ack = ack;
      ACK_SAMPLE.sndNxt = this.sndMax;
      ACK_SAMPLE.rtt = rttSample;
      this.cc.onAck(acked, now, this.rtoEst.srtt, ACK_SAMPLE);
    }
    this.dupAcks = 0;
    // RFC 6675 §5: with SACK, loss is also found by the scoreboard after a new ACK.
    if (!this.inRecovery && this.board !== undefined && this.rack === undefined && seqLt(this.sndUnaV, this.sndMax) && this.board.isLost(this.sndUnaV, this.sndMss)) this.enterRecovery(now);
    const rk = this.rack;
    if (rk !== undefined && rk.tlpEnd !== undefined && seqGe(ack, rk.tlpEnd)) this.tlpEpisodeEnd(rk, now);

    // RFC 6298 §5.2/§5.3.
    this.rtxAt = this.sndUnaV === this.sndMax ? Infinity : this.at(now + this.rtoEst.rto);
    // Send-buffer auto-tuning: a writer held back by the buffer gets room
    // for twice the congestion window (a window in flight and one queued).
    // It at least doubles each time: the ring is copied on every growth, and
    // cwnd grows by a segment per ACK.
    const sndMax = this.cfg.sndBufMax;
    if (this.writeBlocked && sndMax !== undefined && 2 * this.cwndV > this.sndBuf.capacity && this.sndBuf.capacity < sndMax) {
      this.sndBuf.resize(Math.min(sndMax, Math.max(2 * this.cwndV, 2 * this.sndBuf.capacity)));
    }
    if (this.writeBlocked && acked > 0 && this.canQueueData()) {
      this.writeBlocked = false;
      this.pushEvent(WRITABLE);
    }
  }

  /** RFC 5681 §3.2 fast retransmit on the third duplicate ACK; NewReno recovery (RFC 6582). */
  private dupAck(now: number): void {
    this.stats.dupAcksIn++;
    this.dupAcks++;
    if (this.inRecovery) {
      // NewReno inflates the window per duplicate (RFC 6582 §3.2 step 4); with SACK the pipe says what left the network.
      if (!this.sackOk) this.cwndV += this.sndMss;
      return;
    }
    // RFC 5681 §3.2: the third duplicate ACK; RFC 6675 §5: or the scoreboard deems SND.UNA lost.
    // With RACK (RFC 8985) time, not the count, decides: rackDetect() runs after every ACK.
    if (this.rackWanted) return;
    if (this.dupAcks >= 3 || (this.board !== undefined && this.board.isLost(this.sndUnaV, this.sndMss))) this.enterRecovery(now);
  }

  /** Fast retransmit and the start of fast recovery (RFC 5681 §3.2, RFC 6582 §3.2, RFC 6675 §5 step 4). */
  private enterRecovery(now: number): void {
    // RFC 6582 §3.2 step 2: not again for losses from the window already
    // recovered. RACK only asks once that window is acknowledged (SND.UNA at
    // `recover` is enough: the losses it found lie beyond).
    if (this.rack !== undefined ? seqLt(this.sndUnaV, this.recover) : !seqGt(this.sndUnaV, this.recover)) return;
    const flight = seqSub(this.sndMax, this.sndUnaV);
    if (this.rack !== undefined) this.beginUndo(now);
    this.cc.onCongestion(flight, now);
    this.recover = this.sndMax;
    this.inRecovery = true;
    this.stats.fastRetransmits++;
    if (this.rack !== undefined) {
      // RFC 8985 §6.2 / RFC 6675 §5: the records RACK marked lost go out
      // as the pipe allows (rackSend), at the pace PRR sets (prrAck).
      this.recoverFs = flight;
      this.prrDelivered = 0;
      this.prrOut = 0;
      // The first retransmission goes at once, whatever else (RFC 6937 §3).
      this.cwndV = this.rack.pipe + this.sndMss;
      return;
    }
    this.highRxt = this.sndUnaV;
    this.retransmitHead(now);
    if (this.board !== undefined) {
      this.cwndV = this.ssthreshV;
      this.highRxt = seqMin(seqAdd(this.sndUnaV, this.sndMss), this.sndMax);
    } else {
      this.cwndV = this.ssthreshV + 3 * this.sndMss;
    }
  }

  /**
   * Seventh step; false when the connection was reset. `owned`: the
   * payload's buffer is ours to keep (Segment.payloadOwned).
   */
  private processText(seq: number, payload: Uint8Array, now: number, owned = false): boolean {
    if (payload.length === 0) return true;
    if (this.st !== 'ESTABLISHED' && this.st !== 'FIN_WAIT_1' && this.st !== 'FIN_WAIT_2') return true;
    if (this.finReceived) return true;
    if (this.userClosed) {
      // RFC 1122 §4.2.2.13: data after close() is lost; tell the peer.
      this.sendReset(this.sndNxtV, now);
      this.terminate(now, undefined);
      return false;
    }
    if (this.rcvFinSeq !== undefined) {
      // Nothing lies beyond the peer's FIN.
      const beyond = seqDiff(seqAdd(seq, payload.length), this.rcvFinSeq);
      if (beyond > 0) payload = payload.subarray(0, Math.max(0, payload.length - beyond));
      if (payload.length === 0) return true;
    }
    const off = seqSub(seq, this.rcvNxtV);
    const hadHoles = this.rcvBuf.hasOutOfOrder;
    if (hadHoles && this.sackOk && this.dsack === undefined) {
      // RFC 2883 §4: bytes already held out of order arrived again; the
      // first such range is reported in a D-SACK block.
      for (const r of this.rcvBuf.outOfOrder()) {
        const l = Math.max(r.start, off);
        const e = Math.min(r.end, off + payload.length);
        if (l < e) {
          this.dsack = { left: seqAdd(this.rcvNxtV, l), right: seqAdd(this.rcvNxtV, e) };
          break;
        }
      }
    }
    const dropsBefore = this.rcvBuf.outOfOrderDropped;
    const advanced = this.rcvBuf.write(off, payload, owned);
    if (this.rcvBuf.outOfOrderDropped !== dropsBefore) this.stats.outOfOrderDropped++;
    this.rcvMss = Math.max(this.rcvMss, Math.min(payload.length, this.advMss));
    if (off > 0) {
      // Out of order: an immediate duplicate ACK (RFC 5681 §4.2), with SACK.
      this.stats.outOfOrderIn++;
      this.lastOooSeq = seq;
      this.ackNow = true;
      return true;
    }
    if (advanced === 0) {
      this.ackNow = true;
      return true;
    }
    this.rcvNxtV = seqAdd(this.rcvNxtV, advanced);
    this.stats.bytesIn += advanced;
    // One 'readable' for a run of arrivals (a burst read in one batch).
    if (this.evEnd === 0 || this.evQ[this.evEnd - 1] !== READABLE) this.pushEvent(READABLE);
    this.unackedBytes += advanced;
    this.unackedSegments++;
    if (this.cfg.quickAck !== false && now - this.lastDataAt > this.rtoEst.rto) {
      // The first data, or the first after an idle spell longer than the
      // RTO: up to 16 ACKs at once (at most one per two segments the
      // window holds, at least two), so the peer's slow start is not held
      // back by delayed ACKs.
      this.quickAcks = Math.max(this.quickAcks, Math.min(16, Math.max(2, Math.floor(this.rcvWndNow() / (2 * this.rcvMss)))));
    }
    this.lastDataAt = now;
    const second = this.cfg.ackEverySecondSegment === true ? this.unackedSegments >= 2 : this.unackedBytes >= 2 * this.rcvMss;
    if (hadHoles || this.cfg.delayedAck === 0 || second || (this.quickAcks > 0 && !this.pingpong)) {
      // Filling a hole is acknowledged at once; otherwise at least every
      // second full-sized segment (RFC 5681 §4.2, RFC 1122 §4.2.3.2), and
      // every one in quick-ACK mode.
      this.ackNow = true;
    } else if (this.dackAt === Infinity) {
      this.dackAt = this.at(now + this.cfg.delayedAck);
    }
    return true;
  }

  /** Eighth step, once every byte before the peer's FIN is in. */
  private maybeFin(now: number): void {
    if (this.done || this.finReceived || this.rcvFinSeq === undefined || this.rcvFinSeq !== this.rcvNxtV) return;
    switch (this.st) {
      case 'ESTABLISHED':
      case 'FIN_WAIT_1':
      case 'FIN_WAIT_2':
        break;
      default:
        return;
    }
    this.finReceived = true;
    this.rcvNxtV = seqAdd(this.rcvNxtV, 1);
    this.ackNow = true;
    this.pushEvent(EOF);
    if (this.st === 'ESTABLISHED') {
      this.setState('CLOSE_WAIT', now);
    } else if (this.st === 'FIN_WAIT_1') {
      // Our FIN not yet acknowledged (or FIN_WAIT_2 would have been entered by the ACK step).
      this.setState('CLOSING', now);
    } else {
      this.enterTimeWait(now);
    }
  }

  // ----------------------------------------------------------------- timers

  private retransmitTimeout(now: number): void {
    this.stats.timeouts++;
    const synPhase = this.st === 'SYN_SENT' || this.st === 'SYN_RECEIVED';
    const limit = this.st === 'SYN_RECEIVED' && this.passive ? this.cfg.synAckRetries : synPhase ? this.cfg.synRetries : this.cfg.retries2;
    // The peer shut its window on data already sent and keeps acknowledging:
    // the retransmissions are window probes, and a connection whose peer
    // answers its probes stays open (RFC 9293 §3.8.6.1). Linux counts no
    // retry then, unless nothing came back for the longest RTO or the
    // application has let go of the socket.
    const probing = !synPhase && this.sndWndV === 0 && !this.userClosed && now - this.lastRcvAt < this.cfg.rtoMax;
    if (this.nRtx >= limit && !probing) {
      if (this.st === 'SYN_RECEIVED' && this.passive) {
        // The half-open connection was never accepted: it just goes away.
        this.terminate(now, undefined);
      } else {
        this.terminate(now, this.userClosed ? undefined : (this.softError ?? 'ETIMEDOUT'));
      }
      return;
    }
    this.nRtx++;
    this.rtoEst.backoff();
    this.rttSeq = undefined;
    if (this.st === 'SYN_SENT') {
      this.stats.retransmits++;
      this.sendSyn(now);
    } else if (this.st === 'SYN_RECEIVED') {
      this.stats.retransmits++;
      this.sendSynAck(now);
    } else {
      // RFC 5681 §3.1 eq. 4: loss detected by the timer.
      const flight = seqSub(this.sndMax, this.sndUnaV);
      // A timeout within a recovery keeps the undo point from before its first reduction.
      if (this.rack !== undefined && !this.inRecovery && !this.rtoRecovery) this.beginUndo(now, true);
      this.cc.onTimeout(flight, now);
      // RFC 2018 §8 / RFC 6675 §5.1: the receiver may have dropped what it
      // SACKed; after a second timeout in a row, trust the scoreboard no more.
      if (this.nRtx > 1) {
        this.board?.clear();
        this.rack?.clearSacked();
      }
      if (this.rack !== undefined) this.rack.tlpEnd = undefined;
      this.tlpAt = Infinity;
      this.rackAt = Infinity;
      this.inRecovery = false;
      this.dupAcks = 0;
      this.recover = this.sndMax;
      if (this.tsOk) this.rtoTsval = this.tsNow(now);
      if (this.rack !== undefined && this.rack.records > 0) {
        // RFC 8985 §6.3: every unSACKed segment is deemed lost and goes again
        // as cwnd (one segment now, then slow start) allows; segments RACK
        // finds lost meanwhile join them, with no further reduction.
        this.rack.markAllLost();
        this.rtoRecovery = true;
        this.rackSend(now);
      } else {
        // Go back N: resend from SND.UNA, the first segment even into a closed window.
        this.sndNxtV = this.sndUnaV;
        this.sendData(now, true);
      }
    }
    this.rtxAt = this.at(now + this.rtoEst.rto);
  }

  /** Zero window probe (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17) or the SWS override. */
  private persistTimeout(now: number): void {
    if (!this.isSynchronized() || !this.hasPending() || this.rtxAt !== Infinity) return;
    if (this.persistProbes >= this.cfg.retries2) {
      // Probes went unanswered: the peer is gone. Answers reset the count, so
      // a peer that keeps its window shut is probed forever.
      this.terminate(now, this.userClosed ? undefined : (this.softError ?? 'ETIMEDOUT'));
      return;
    }
    if (this.sndWndV === 0) {
      // <SEQ=SND.UNA−1><ACK=RCV.NXT>: out of window, so the peer answers with its window.
      this.stats.windowProbes++;
      this.persistProbes++;
      this.emit(seqAdd(this.sndUnaV, -1), ACK, EMPTY, now);
    } else {
      this.sendData(now, true);
    }
    if (this.persistInterval() < this.cfg.persistMax) this.persistShift++;
    if (this.rtxAt === Infinity) this.persistAt = this.at(now + this.persistInterval());
  }

  private keepaliveTimeout(now: number): void {
    if (!this.keepAlive || !this.keepaliveState()) return;
    if (seqLt(this.sndUnaV, this.sndMax) || this.hasPending()) {
      // Busy: the retransmission or persist timer watches the peer.
      this.kaAt = this.at(now + this.kaIdle);
      return;
    }
    if (this.kaProbes >= this.cfg.keepaliveProbes) {
      this.sendReset(this.sndNxtV, now);
      this.terminate(now, this.userClosed ? undefined : 'ETIMEDOUT');
      return;
    }
    // RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT − 1 with no data draws an ACK.
    this.kaProbes++;
    this.stats.keepaliveProbes++;
    this.emit(seqAdd(this.sndUnaV, -1), ACK, EMPTY, now);
    this.kaAt = this.at(now + this.cfg.keepaliveInterval);
  }

  private armKeepalive(from: number): void {
    this.kaAt = this.keepAlive && this.keepaliveState() && !this.done ? this.at(from + (this.kaProbes === 0 ? this.kaIdle : this.cfg.keepaliveInterval)) : Infinity;
  }

  private keepaliveState(): boolean {
    return this.st === 'ESTABLISHED' || this.st === 'CLOSE_WAIT' || this.st === 'FIN_WAIT_2';
  }

  private persistInterval(): number {
    let v = this.rtoEst.base;
    for (let i = 0; i < this.persistShift && v < this.cfg.persistMax; i++) v *= 2;
    return Math.min(Math.max(v, this.cfg.persistMin), this.cfg.persistMax);
  }

  // ----------------------------------------------------------------- output

  private output(now: number): void {
    if ((this.outHold & OUT_HOLDING) !== 0) {
      this.outHold |= OUT_HELD;
      return;
    }
    this.outHold = 0;
    if (this.done) return;
    if (this.canSendData()) {
      if ((this.inRecovery || this.rtoRecovery) && this.sackOk) this.sackSend(now);
      else this.sendData(now, false);
    }
    if (this.ackNow && this.st !== 'SYN_SENT' && this.st !== 'CLOSED' && this.st !== 'LISTEN') {
      // A pure ACK carries the highest sequence number sent, not the
      // go-back-N pointer: the peer may already hold everything up to
      // sndMax, and an ACK that looks old to it would be answered by another
      // ACK, and so on forever.
      this.emit(this.sndMax, ACK, EMPTY, now);
    }
    if (this.rack !== undefined) this.armTlp(now);
  }

  /** Send what the windows, Nagle and SWS avoidance allow; `force` sends one segment regardless. */
  private sendData(now: number, force: boolean): void {
    for (;;) {
      const dataEnd = seqAdd(this.bufSeq, this.sndBuf.length);
      // Going back N after a timeout: what the peer SACKed is not sent again (RFC 6675 §5.1).
      let sackCut = false;
      if (this.board !== undefined && seqLt(this.sndNxtV, this.sndMax) && !this.board.isEmpty) {
        const right = this.board.sackedAt(this.sndNxtV);
        if (right !== undefined) {
          this.sndNxtV = right;
          continue;
        }
        sackCut = true;
      }
      const unsent = seqLt(this.sndNxtV, dataEnd) ? seqSub(dataEnd, this.sndNxtV) : 0;
      const finPending = this.finQueued && seqLe(this.sndNxtV, this.finSeq);
      if (unsent === 0 && !finPending) break;
      const flight = seqSub(this.sndNxtV, this.sndUnaV);
      const wndLeft = this.sndWndV > flight ? this.sndWndV - flight : 0;
      // RFC 3042 limited transmit: the first two duplicate ACKs each let one more new segment out.
      const cwnd = this.inRecovery ? this.cwndV : this.cwndV + Math.min(this.dupAcks, 2) * this.sndMss;
      const cwndLeft = cwnd > flight ? cwnd - flight : 0;
      const mss = this.dataMss();
      let len = Math.min(unsent, mss, wndLeft, cwndLeft);
      if (force && len === 0 && unsent > 0) len = Math.min(unsent, mss, Math.max(wndLeft, 1));
      if (sackCut) {
        // Stop where the next SACKed range starts.
        const next = this.board!.nextSackedFrom(this.sndNxtV);
        if (next !== undefined && seqLt(next, seqAdd(this.sndNxtV, len))) len = seqSub(next, this.sndNxtV);
      }
      const fin = finPending && len === unsent && (force || flight + len < this.sndWndV);
      if (len === 0 && !fin) break;
      if (!force && !sackCut && len > 0 && len < mss && !fin) {
        if (len < unsent) {
          // Window- or cwnd-limited: sender SWS avoidance (RFC 9293 §3.8.6.2.1).
          if (len < this.maxSndWnd / 2 || len < wndLeft) break;
        } else if (!this.noDelay && flight > 0) {
          // Nagle (RFC 896, RFC 1122 §4.2.3.4): one small segment in flight at a time.
          break;
        }
      }
      const seq = this.sndNxtV;
      const retx = seqLt(seq, this.sndMax);
      // Segmentation offload: a run of full-sized segments of new data,
      // each with the same header but for its sequence number, goes to
      // the driver as one train to cut (their options are the same: one
      // timestamp for one instant, no SACK blocks). Only where each would
      // be sent alone in just this way, so the packets on the wire are the
      // same ones.
      let count = 1;
      if (this.segmentationOffload > 1 && len === mss && !force && !fin && !sackCut && !retx && !this.inRecovery && this.trainable()) {
        const room = Math.min(unsent, wndLeft, cwndLeft);
        count = Math.min(Math.floor(room / len), this.segmentationOffload, Math.floor(GSO_MAX_BYTES / len));
        // The segment that ends the data may carry the FIN: it goes alone.
        if (finPending && count * len === unsent) count--;
        if (count < 1) count = 1;
        len *= count;
      }
      const payload = len > 0 ? this.sndBuf.peek(seqSub(seq, this.bufSeq), len) : EMPTY;
      const last = seqAdd(seq, len) === dataEnd;
      if (retx) this.stats.retransmits++;
      this.emit(seq, ACK | (len > 0 && last ? PSH : 0) | (fin ? FIN : 0), payload, now, count);
      this.stats.bytesOut += len;
      this.sndNxtV = seqAdd(seq, len + (fin ? 1 : 0));
      if (seqGt(this.sndNxtV, this.sndMax)) this.sndMax = this.sndNxtV;
      if (fin) this.finSent = true;
      if (!retx && len > 0 && this.rttSeq === undefined && !this.tsOk) {
        this.rttSeq = seq;
        this.rttStart = now;
      }
      if (this.rtxAt === Infinity) this.rtxAt = this.at(now + this.rtoEst.rto);
      if (fin || force) break;
    }
    // The persist timer runs while something waits to be sent and nothing is
    // in flight to bring an ACK (RFC 9293 §3.8.6.1).
    if (this.rtxAt !== Infinity || !this.hasPending()) {
      this.persistAt = Infinity;
    } else if (this.persistAt === Infinity) {
      this.persistAt = this.at(now + this.persistInterval());
    }
  }

  /**
   * RFC 6675 §5 step (C): while cwnd − pipe ≥ 1 SMSS, send what NextSeg()
   * names: first the lost holes above HighRxt (rule 1), then new data (rule 2).
   */
  private sackSend(now: number): void {
    if (this.rack !== undefined) {
      this.rackSend(now);
      return;
    }
    if (this.board === undefined) return;
    const board = this.board;
    const sentEnd = this.finSent ? seqMin(this.sndMax, this.finSeq) : this.sndMax;
    for (let n = 0; n < 1024; n++) {
      const pipe = board.pipe(this.sndUnaV, this.sndMax, this.highRxt, this.sndMss);
      if (this.cwndV - pipe < this.sndMss) return;
      // Rule 1: the first unSACKed byte above HighRxt that IsLost().
      let s = seqMax(this.highRxt, this.sndUnaV);
      for (let r = board.sackedAt(s); r !== undefined; r = board.sackedAt(s)) s = r;
      if (seqLt(s, sentEnd) && board.isLost(s, this.sndMss)) {
        let end = seqAdd(s, this.dataMss());
        if (seqGt(end, sentEnd)) end = sentEnd;
        const next = board.nextSackedFrom(s);
        if (next !== undefined && seqLt(next, end)) end = next;
        const len = seqSub(end, s);
        const dataEnd = seqAdd(this.bufSeq, this.sndBuf.length);
        this.stats.retransmits++;
        this.stats.bytesOut += len;
        this.rttSeq = undefined;
        this.emit(s, ACK | (end === dataEnd ? PSH : 0), this.sndBuf.peek(seqSub(s, this.bufSeq), len), now);
        this.highRxt = end;
        continue;
      }
      // Rule 2: new data, as the peer's window allows.
      if (!this.sendNewInRecovery(now)) return;
    }
  }

  /** One new segment at SND.MAX during SACK recovery; false when none may go. */
  private sendNewInRecovery(now: number): boolean {
    if (this.sndNxtV !== this.sndMax) return false;
    const dataEnd = seqAdd(this.bufSeq, this.sndBuf.length);
    const unsent = seqLt(this.sndMax, dataEnd) ? seqSub(dataEnd, this.sndMax) : 0;
    const finPending = this.finQueued && !this.finSent;
    if (unsent === 0 && !finPending) return false;
    const outstanding = seqSub(this.sndMax, this.sndUnaV);
    const wndLeft = this.sndWndV > outstanding ? this.sndWndV - outstanding : 0;
    const mss = this.dataMss();
    const len = Math.min(unsent, mss, wndLeft);
    const fin = finPending && len === unsent && outstanding + len < this.sndWndV;
    if (len === 0 && !fin) return false;
    if (len < mss && len < unsent) return false;
    const seq = this.sndMax;
    this.emit(seq, ACK | (len > 0 && seqAdd(seq, len) === dataEnd ? PSH : 0) | (fin ? FIN : 0), len > 0 ? this.sndBuf.peek(seqSub(seq, this.bufSeq), len) : EMPTY, now);
    this.stats.bytesOut += len;
    this.sndMax = this.sndNxtV = seqAdd(seq, len + (fin ? 1 : 0));
    if (fin) this.finSent = true;
    if (this.rtxAt === Infinity) this.rtxAt = this.at(now + this.rtoEst.rto);
    return true;
  }

  // ------------------------------------------------------------ RACK-TLP

  private initSack(): void {
    if (!this.sackOk) return;
    // RACK keeps its own record of what was SACKed; RFC 6675's scoreboard
    // serves only the duplicate-ACK recovery used without it.
    this.rackWanted = this.cfg.rack !== false;
    if (!this.rackWanted) this.board = new SackScoreboard();
  }

  /** A reduction begins (fast recovery, or a timeout outside any): remember how to take it back. */
  private beginUndo(now: number, timeout = false): void {
    // The Eifel test needs the resent segment to be the one at SND.UNA.
    const head = timeout || this.rack?.firstLost()?.start === this.sndUnaV;
    this.undo = { fn: this.cc.undoPoint(), retrans: 0, from: this.sndUnaV, to: this.sndMax, tsval: this.tsOk && head ? this.tsNow(now) : undefined };
  }

  /** The episode's retransmissions were not needed: restore the window and stop resending. */
  private spurious(): void {
    const undo = this.undo;
    if (undo === undefined) return;
    this.undo = undefined;
    undo.fn();
    this.stats.spuriousRecoveries++;
    this.rack?.clearLost();
    this.inRecovery = false;
    this.rtoRecovery = false;
    // Losses found from here on start a recovery of their own.
    if (seqLt(this.sndUnaV, this.recover)) this.recover = this.sndUnaV;
  }

  /**
   * RFC 6937 §3: on each ACK in recovery, let out what the peer received
   * scaled by ssthresh/RecoverFS while the pipe is above ssthresh; below it,
   * grow back towards ssthresh no faster than slow start (PRR-SSRB). The
   * first retransmission always goes. Counted in whole segments, as the
   * packet counts of RFC 6937's examples.
   */
  private prrAck(delivered: number, unaAdvancedNoLoss: boolean): void {
    if (delivered <= 0) return;
    this.prrDelivered += delivered;
    const pipe = this.rack!.pipe;
    const ssthresh = this.ssthreshV;
    const mss = this.sndMss;
    let sndcnt: number;
    if (pipe > ssthresh) {
      sndcnt = Math.ceil((this.prrDelivered * ssthresh) / (Math.max(this.recoverFs, 1) * mss) - 1e-9) * mss - this.prrOut;
    } else {
      // The extra segment of PRR-SSRB only when SND.UNA advanced and nothing
      // new was found lost (as in RFC 6937's revision and Linux).
      sndcnt = Math.min(ssthresh - pipe, Math.max(this.prrDelivered - this.prrOut, delivered) + (unaAdvancedNoLoss ? mss : 0));
    }
    sndcnt = Math.max(sndcnt, this.prrOut === 0 ? mss : 0);
    this.cwndV = pipe + sndcnt;
  }

  /** Feed one acceptable ACK to RACK (RFC 8985 §6.2 steps 1–4). */
  private rackAck(ack: number, blocks: readonly SackBlock[] | undefined, ts: { val: number; ecr: number } | undefined, now: number): void {
    const rack = this.rack!;
    // The send time the timestamp echo names, at its 1 ms resolution.
    const echoedAt = ts !== undefined && ts.ecr !== 0 ? (Math.floor(now / 1000) - seqSub(this.tsNow(now), ts.ecr)) * 1000 : undefined;
    rack.onAck(ack, blocks, now, echoedAt);
    if (blocks === undefined || blocks.length === 0) return;
    // RFC 2883 §4: a first block below the cumulative ACK, or inside the second, is a D-SACK.
    const b0 = blocks[0]!;
    const b1 = blocks[1];
    const dsack = seqLe(b0.right >>> 0, ack) || (b1 !== undefined && seqGe(b0.left >>> 0, b1.left >>> 0) && seqLe(b0.right >>> 0, b1.right >>> 0));
    if (!dsack) return;
    this.stats.dsacksIn++;
    rack.onDsack(ack, this.sndMax);
    // RFC 3708: once every retransmission of the episode came back as a duplicate, none was needed.
    const undo = this.undo;
    if (undo !== undefined && undo.retrans > 0 && !seqLt(b0.left >>> 0, undo.from) && seqLe(b0.right >>> 0, undo.to) && --undo.retrans === 0) this.spurious();
    if (rack.tlpEnd !== undefined && rack.tlpRetrans && seqLt(b0.left >>> 0, rack.tlpEnd) && seqGt(b0.right >>> 0, rack.tlpStart)) rack.tlpDsack = true;
  }

  /** RFC 8985 §6.2 step 5 and the reordering timer; losses start fast recovery. Returns the records newly deemed lost. */
  private rackDetect(now: number): number {
    const rack = this.rack!;
    if (this.sndUnaV === this.sndMax || !this.isSynchronized()) {
      this.rackAt = Infinity;
      return 0;
    }
    const r = rack.detectLoss(now, rack.reoWnd(this.inRecovery || this.rtoRecovery, this.rtoEst.srtt));
    this.rackAt = r.timeout > 0 ? this.at(now + r.timeout) : Infinity;
    // Also segments marked during a timeout recovery that ended with them still unrepaired.
    if (rack.lostBytes > 0 && !this.inRecovery && !this.rtoRecovery) this.enterRecovery(now);
    return r.lost;
  }

  /**
   * RFC 6675 §5 step (C) with RACK's marks: while cwnd − pipe ≥ 1 SMSS,
   * resend the first segment deemed lost, else send new data.
   */
  private rackSend(now: number): void {
    const rack = this.rack!;
    for (let n = 0; n < 1024; n++) {
      if (this.cwndV - rack.pipe < this.sndMss) return;
      const lost = rack.firstLost();
      if (lost !== undefined) {
        this.resendRange(lost.start, lost.end, now);
        if (this.undo !== undefined) this.undo.retrans++;
        continue;
      }
      if (!this.sendNewInRecovery(now)) return;
    }
  }

  /**
   * Send [start, end) again: data from the send buffer, and the FIN if it
   * lies at its end. A range sent as one segment goes as two when the
   * options now leave less room (SACK blocks: see dataMss).
   */
  private resendRange(start: number, end: number, now: number): void {
    const sentEnd = this.finSent ? seqMin(this.sndMax, this.finSeq) : this.sndMax;
    const dataEnd = seqAdd(this.bufSeq, this.sndBuf.length);
    const stop = seqLt(end, sentEnd) ? end : sentEnd;
    for (let from = start; ; ) {
      const len = seqLt(from, stop) ? Math.min(seqSub(stop, from), this.dataMss()) : 0;
      const fin = this.finSent && seqAdd(from, len) === this.finSeq && seqGt(end, this.finSeq);
      this.stats.retransmits++;
      this.stats.bytesOut += len;
      this.rttSeq = undefined;
      const payload = len > 0 ? this.sndBuf.peek(seqSub(from, this.bufSeq), len) : EMPTY;
      this.emit(from, ACK | (len > 0 && seqAdd(from, len) === dataEnd ? PSH : 0) | (fin ? FIN : 0), payload, now);
      from = seqAdd(from, len);
      if (len === 0 || !seqLt(from, stop)) return;
    }
  }

  /**
   * The most data a segment sent now may carry: the MSS less the SACK
   * blocks (and their two NOPs) the segment will have to carry besides the
   * timestamp, which the MSS already leaves room for. RFC 9293 §3.7.1: the
   * MSS counts data only, so a sender with more options sends less data;
   * Linux's tcp_current_mss does the same. Without this, a full-sized
   * segment carrying SACK blocks was larger than the path MTU.
   */
  private dataMss(): number {
    if (!this.sendsSackBlocks()) return this.sndMss;
    const blocks = Math.min(this.rcvBuf.outOfOrderCount + (this.dsack !== undefined ? 1 : 0), maxSackBlocks(this.tsOk));
    return Math.max(1, this.sndMss - (4 + 8 * blocks));
  }

  /** Whether a segment sent now carries SACK blocks (RFC 2018 §4: out-of-order data held, or a D-SACK to report). */
  private sendsSackBlocks(): boolean {
    return this.sackOk && (this.rcvBuf.hasOutOfOrder || this.dsack !== undefined);
  }

  /**
   * RFC 8985 §7.2: (re)arm the probe timer after new data goes out or an
   * ACK moves SND.UNA, outside recovery, one probe at a time.
   */
  private armTlp(now: number): void {
    const open = this.st === 'ESTABLISHED' || this.st === 'CLOSE_WAIT' || this.st === 'FIN_WAIT_1' || this.st === 'CLOSING' || this.st === 'LAST_ACK';
    // No probe without RACK (its log names the last segment).
    const rack = this.rack;
    if (rack === undefined || !open || this.sndUnaV === this.sndMax || this.inRecovery || this.rtoRecovery || rack.tlpEnd !== undefined || this.nRtx > 0) {
      this.tlpAt = Infinity;
      return;
    }
    if (this.tlpAt !== Infinity && rack.tlpUna === this.sndUnaV && rack.tlpMax === this.sndMax) return;
    rack.tlpUna = this.sndUnaV;
    rack.tlpMax = this.sndMax;
    // Never later than the retransmission timer: then the probe goes in its
    // place, and a lone lost segment costs no collapse of cwnd.
    const at = this.at(now + Math.max(probeTimeout(this.rtoEst.srtt, seqSub(this.sndMax, this.sndUnaV), this.sndMss), TLP_MIN));
    this.tlpAt = Math.min(at, this.rtxAt);
  }

  /** RFC 8985 §7.3: the probe, new data if the peer's window allows, else the last segment again. */
  private tailLossProbe(now: number): void {
    const rack = this.rack;
    if (rack === undefined || rack.tlpEnd !== undefined || this.inRecovery || this.rtoRecovery || this.sndUnaV === this.sndMax || this.nRtx > 0) return;
    const before = this.sndMax;
    const dataEnd = seqAdd(this.bufSeq, this.sndBuf.length);
    const outstanding = seqSub(this.sndMax, this.sndUnaV);
    if (this.sndNxtV === this.sndMax && seqLt(this.sndMax, dataEnd) && this.sndWndV > outstanding) this.sendData(now, true);
    if (this.sndMax === before) {
      const last = rack.last();
      if (last === undefined) return;
      this.resendRange(last.start, last.end, now);
      rack.tlpStart = last.start;
      rack.tlpRetrans = true;
    } else {
      rack.tlpStart = before;
      rack.tlpRetrans = false;
    }
    this.stats.tailLossProbes++;
    rack.tlpEnd = this.sndMax;
    rack.tlpDsack = false;
    this.rtxAt = this.at(now + this.rtoEst.rto);
  }

  /**
   * RFC 8985 §7.4: the ACK covers the probe. A resent tail acknowledged
   * without a D-SACK for it was really lost, and the probe repaired it:
   * that loss still calls for the congestion response.
   */
  private tlpEpisodeEnd(rack: Rack, now: number): void {
    if (rack.tlpRetrans && !rack.tlpDsack && !this.inRecovery) {
      // The ACK has emptied the flight; the window before the loss is what halves (as Linux does, from cwnd).
      this.cc.onCongestion(this.cwndV, now);
      this.cwndV = Math.min(this.cwndV, this.ssthreshV);
    }
    rack.tlpEnd = undefined;
  }

  /** Resend the first unacknowledged segment (fast retransmit, NewReno partial ACK). */
  private retransmitHead(now: number): void {
    const dataEnd = seqAdd(this.bufSeq, this.sndBuf.length);
    const seq = this.sndUnaV;
    this.rttSeq = undefined;
    // Only what was sent before: the segment at SND.UNA may have been shorter than an MSS.
    const sentEnd = this.finSent ? seqMin(this.sndMax, this.finSeq) : this.sndMax;
    if (seqLt(seq, sentEnd)) {
      const len = Math.min(this.dataMss(), seqSub(sentEnd, seq));
      const fin = this.finSent && seqAdd(seq, len) === this.finSeq;
      this.stats.retransmits++;
      this.stats.bytesOut += len;
      this.emit(seq, ACK | (seqAdd(seq, len) === dataEnd ? PSH : 0) | (fin ? FIN : 0), this.sndBuf.peek(seqSub(seq, this.bufSeq), len), now);
      if (seqLt(this.sndNxtV, seqAdd(seq, len + (fin ? 1 : 0)))) this.sndNxtV = seqAdd(seq, len + (fin ? 1 : 0));
    } else if (this.finSent && seq === this.finSeq) {
      this.stats.retransmits++;
      this.emit(seq, ACK | FIN, EMPTY, now);
      if (seqLt(this.sndNxtV, seqAdd(seq, 1))) this.sndNxtV = seqAdd(seq, 1);
    }
  }

  private sendSyn(now: number): void {
    // RFC 3168 §6.1.1: an ECN-setup SYN carries ECE and CWR. Retransmitted
    // SYNs go without, in case a middlebox drops ECN-setup SYNs (as Linux's
    // tcp_ecn_fallback).
    let flags = SYN;
    if (this.cfg.ecn === 'on' && this.nRtx === 0) {
      flags |= ECE | CWR;
      this.ecnFlags |= ECN_ASKED;
    } else this.ecnFlags &= ~ECN_ASKED;
    this.emit(this.issV, flags, EMPTY, now);
  }

  private sendSynAck(now: number): void {
    // RFC 3168 §6.1.1: an ECN-setup SYN-ACK carries ECE and not CWR.
    this.emit(this.issV, SYN | ACK | ((this.ecnFlags & ECN_OK) !== 0 ? ECE : 0), EMPTY, now);
  }

  private sendReset(seq: number, now: number): void {
    this.stats.resetsOut++;
    this.emit(seq >>> 0, RST, EMPTY, now);
  }

  /** RFC 5961 §3.2/§4.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, rate-limited as §7 suggests. */
  private challengeAck(seg: Segment, now: number): void {
    if (this.answerInvalid(seg, now)) this.stats.challengeAcks++;
  }

  /**
   * The ACK that answers an unacceptable segment (RFC 9293 §3.10.7.4), a
   * PAWS failure (RFC 7323 §5.3), a bad ACK field (RFC 5961 §5.2) or a
   * RST/SYN that needs a challenge. A segment without data (or with SYN)
   * gets at most one such answer per INVALID_ACK_INTERVAL: two ends that each
   * find the other's pure ACKs unacceptable (old duplicates, PAWS after
   * reordering) would otherwise ping-pong ACKs for ever. Keepalive and zero
   * window probes (<SEQ=RCV.NXT−1>, no data) are always answered. Returns
   * whether an ACK will be sent.
   */
  private answerInvalid(seg: Segment, now: number): boolean {
    const noData = seg.payload.length === 0 && (seg.flags & FIN) === 0;
    const probe = noData && (seg.flags & (SYN | RST)) === 0 && seqAdd(seg.seq, 1) === this.rcvNxtV;
    if ((noData || (seg.flags & SYN) !== 0) && !probe) {
      if (now - this.lastInvalidAck < INVALID_ACK_INTERVAL) {
        this.stats.invalidAcksSuppressed++;
        return false;
      }
      this.lastInvalidAck = now;
    }
    this.ackNow = true;
    return true;
  }

  /**
   * Whether the next segments could go as one train: their options would be
   * the timestamp alone (no SACK or D-SACK blocks, which change from one
   * segment to the next) and none of them is the first after an ECN
   * window reduction (only that one says CWR).
   */
  private trainable(): boolean {
    if (this.sendsSackBlocks()) return false;
    return (this.ecnFlags & ECN_CWR) === 0 || (this.ecnFlags & ECN_OK) === 0;
  }

  /**
   * Build one segment and queue it; `count` > 1: a train of that many
   * full-sized segments (see sendData), with the per-segment bookkeeping
   * done for each as if it had been sent alone.
   */
  private emit(seq: number, flags: number, payload: Uint8Array, now: number, count = 1): void {
    let window = 0;
    let options: Segment['options'] = NO_OPTIONS;
    let out: PooledSegment | undefined;
    if ((flags & RST) === 0) {
      if ((flags & SYN) !== 0) {
        // RFC 7323 §2.2: the window of a SYN is not scaled.
        window = Math.min(this.rcvBuf.free, 0xffff);
        const synAck = (flags & ACK) !== 0;
        const ts = synAck ? this.tsOk : this.cfg.timestamps;
        // Written into the pooled segment's own option objects.
        out = takeSegment();
        options = writeSynOptions(
          (out.synOptions ??= new SynOptionScratch()),
          this.advMss,
          synAck ? (this.wscaleOk ? this.rcvWscale : undefined) : this.ourWscale,
          synAck ? this.sackOk : this.cfg.sack,
          ts,
          ts ? this.tsNow(now) : 0,
          ts && synAck ? this.tsRecent : 0,
          this.cfg.optionLayout,
        );
        if (seqGt(seqAdd(this.rcvNxtV, window), this.rcvAdv)) this.rcvAdv = seqAdd(this.rcvNxtV, window);
      } else {
        window = this.windowField();
        const adv = seqAdd(this.rcvNxtV, window * (1 << this.rcvWscale));
        if (seqGt(adv, this.rcvAdv)) this.rcvAdv = adv;
        // Most segments carry the timestamp alone: written into the
        // pooled segment's own option objects, allocating nothing.
        if (this.sendsSackBlocks()) {
          options = buildDataOptions(this.tsOk ? { val: this.tsNow(now), ecr: this.tsRecent } : undefined, this.sackBlocks());
        } else if (this.tsOk) {
          out = takeSegment();
          options = out.tsOptions;
          const t = out.tsOption;
          t.val = this.tsNow(now);
          t.ecr = this.tsRecent;
        }
      }
    }
    if (this.rackWanted && (flags & (SYN | RST)) === 0 && (payload.length > 0 || (flags & FIN) !== 0)) {
      const len = payload.length + ((flags & FIN) !== 0 ? 1 : 0);
      const rack = (this.rack ??= new Rack());
      if (count === 1) rack.onTransmit(seq, seqAdd(seq, len), now);
      else for (let i = 0, size = len / count; i < count; i++) rack.onTransmit(seqAdd(seq, i * size), seqAdd(seq, (i + 1) * size), now);
      if (this.inRecovery) this.prrOut += len;
    }
    const ack = (flags & ACK) !== 0 ? this.rcvNxtV : 0;
    if ((flags & (SYN | RST)) === 0) {
      if (this.quickAcks > 0 && (flags & ACK) !== 0) this.quickAcks = Math.max(0, this.quickAcks - count);
      // Data sent within the delayed-ACK time of data received: interactive.
      if (payload.length > 0 && now - this.lastDataAt < this.cfg.delayedAck) this.pingpong = true;
    }
    if ((flags & ACK) !== 0) {
      this.dsack = undefined;
      this.lastAckSent = this.rcvNxtV;
      this.ackNow = false;
      this.dackAt = Infinity;
      this.unackedBytes = 0;
      this.unackedSegments = 0;
    }
    let ecn = 0;
    if ((this.ecnFlags & ECN_OK) !== 0 && (flags & (SYN | RST)) === 0) {
      if ((flags & ACK) !== 0 && (this.ecnFlags & ECN_ECE) !== 0) flags |= ECE;
      // RFC 3168 §6.1.4-6.1.5: only new data is ECN-capable, not pure ACKs,
      // window probes or retransmissions; the first after a reduction says CWR.
      if (payload.length > 0 && !seqLt(seq, this.sndMax)) {
        ecn = ECT0;
        if ((this.ecnFlags & ECN_CWR) !== 0) {
          flags |= CWR;
          this.ecnFlags &= ~ECN_CWR;
        }
      }
    }
    this.stats.segmentsOut += count;
    out ??= takeSegment();
    out.gsoSize = count > 1 ? payload.length / count : 0;
    out.srcPort = this.tuple.localPort;
    out.dstPort = this.tuple.remotePort;
    out.seq = seq >>> 0;
    out.ack = ack;
    out.flags = flags;
    out.window = window;
    out.options = options;
    out.payload = payload;
    out.ecn = ecn;
    if (this.outTail === null) this.outHead = out;
    else this.outTail.next = out;
    this.outTail = out;
  }

  /**
   * The receive window we would offer now, in bytes: the free buffer, but
   * the right edge never moves left (RFC 9293 §3.8.6.2.2 / RFC 7323 §2.4)
   * and moves right only by at least min(buffer/2, MSS) (receiver SWS
   * avoidance).
   */
  private windowToAdvertise(): number {
    const remaining = this.rcvWndNow();
    const free = this.rcvBuf.free;
    let w = free;
    if (w - remaining < Math.min(this.rcvBuf.capacity / 2, this.advMss)) w = remaining;
    if (w < remaining) w = remaining;
    return Math.min(w, 0xffff * (1 << this.rcvWscale));
  }

  private windowField(): number {
    // Shifts are at most 14 (RFC 7323 §2.3, MAX_WSCALE): 1 << shift is exact
    // and cheaper than 2 ** shift, a call to pow on every segment.
    const scale = 1 << this.rcvWscale;
    const remaining = this.rcvWndNow();
    // The window offered before is kept (RFC 9293 §3.8.6.2.2: the right edge
    // does not move back), rounded up to whole units, but only as far as the
    // buffer can hold: rounding up on every ACK would otherwise carry the
    // edge a little further each time, past the buffer's end, and data sent
    // into that room would be dropped (RFC 7323 Appendix F). The edge may
    // then fall back by less than one unit, which RFC 7323 §2.4 expects of a
    // scaled window.
    const kept = Math.min(Math.ceil(remaining / scale), Math.floor(this.rcvBuf.free / scale));
    const field = Math.max(Math.floor(this.windowToAdvertise() / scale), kept);
    return Math.min(field, 0xffff);
  }

  private rcvWndNow(): number {
    const d = seqDiff(this.rcvAdv, this.rcvNxtV);
    return d > 0 ? d : 0;
  }

  /**
   * RFC 2018 §4: the first block holds the segment that triggered the ACK;
   * the others repeat the most recently reported first blocks, most recent
   * first, then whatever else is held. A D-SACK block goes before them all,
   * once (RFC 2883 §4).
   */
  private sackBlocks(): SackBlock[] {
    const ranges = this.rcvBuf.outOfOrder().map((r) => ({ left: seqAdd(this.rcvNxtV, r.start), right: seqAdd(this.rcvNxtV, r.end) }));
    const blocks: SackBlock[] = [];
    const taken = new Array<boolean>(ranges.length).fill(false);
    const pick = (seq: number): void => {
      const i = ranges.findIndex((b) => seqInWindow(seq, b.left, seqSub(b.right, b.left)));
      if (i >= 0 && !taken[i]) {
        taken[i] = true;
        blocks.push(ranges[i]!);
      }
    };
    pick(this.lastOooSeq);
    if (this.sackRecent !== undefined) for (const seq of this.sackRecent) pick(seq);
    for (let i = 0; i < ranges.length; i++) if (!taken[i]) blocks.push(ranges[i]!);
    // Remember this option's first block; forget segments now below RCV.NXT.
    const first = this.lastOooSeq;
    this.sackRecent = [first, ...(this.sackRecent ?? []).filter((q) => q !== first && seqGe(q, this.rcvNxtV))].slice(0, 4);
    if (this.dsack !== undefined) blocks.unshift(this.dsack);
    return blocks.slice(0, maxSackBlocks(this.tsOk));
  }

  // ---------------------------------------------------------------- helpers

  private queueFin(now: number): void {
    if (this.finQueued) return;
    this.finQueued = true;
    this.finSeq = seqAdd(this.bufSeq, this.sndBuf.length);
    if (this.st === 'ESTABLISHED') this.setState('FIN_WAIT_1', now);
    else if (this.st === 'CLOSE_WAIT') this.setState('LAST_ACK', now);
    // SYN_SENT/SYN_RECEIVED: the FIN follows once ESTABLISHED.
  }

  private enterTimeWait(now: number): void {
    this.setState('TIME_WAIT', now);
    this.rtxAt = this.persistAt = this.kaAt = Infinity;
    this.closeAt = this.at(now + this.cfg.timeWait);
  }

  private pushEvent(ev: ConnEvent): void {
    if (this.evQ === NO_EVENTS) this.evQ = eventArrays.pop() ?? [];
    // Written by index: past the array's end this appends.
    this.evQ[this.evEnd++] = ev;
  }

  private setState(to: TcpState, now: number): void {
    const from = this.st;
    if (from === to) return;
    this.st = to;
    this.pushEvent({ type: 'state', from, to, at: now });
    if (to === 'ESTABLISHED') {
      this.pushEvent(ESTABLISHED);
      this.armKeepalive(now);
    } else if (!this.keepaliveState()) {
      this.kaAt = Infinity;
    }
    if (to === 'SYN_SENT' || to === 'SYN_RECEIVED' || to === 'ESTABLISHED') return;
    if (to !== 'FIN_WAIT_2') this.closeAt = Infinity;
    // Nothing more is sent or received in order: a connection that waits
    // out 2MSL (or is gone) keeps no buffer memory beyond unread bytes (an
    // auto-tuned pair may have grown to megabytes).
    if (to === 'TIME_WAIT' || to === 'CLOSED') {
      this.sndBuf.release();
      this.rcvBuf.release();
      // Nothing is in flight any more: RACK's log and the SACK scoreboard
      // go too (a busy server holds many connections in TIME_WAIT).
      this.rack = undefined;
      this.tlpAt = Infinity;
      this.rackAt = Infinity;
      this.board?.clear();
      this.sackRecent = undefined;
      this.rcvSpace = undefined;
    }
  }

  /** Go to CLOSED: the error (if any), the state change, then 'closed', exactly once. */
  private terminate(now: number, code: TcpErrorCode | undefined): void {
    if (this.done) return;
    if (code !== undefined) this.pushEvent({ type: 'error', code });
    this.setState('CLOSED', now);
    this.done = true;
    this.rtxAt = this.persistAt = this.kaAt = this.dackAt = this.closeAt = Infinity;
    this.ackNow = false;
    this.pushEvent(CLOSED);
  }

  private hasPending(): boolean {
    const dataEnd = seqAdd(this.bufSeq, this.sndBuf.length);
    return seqLt(this.sndNxtV, dataEnd) || (this.finQueued && seqLe(this.sndNxtV, this.finSeq));
  }

  private canQueueData(): boolean {
    if (this.done || this.finQueued) return false;
    return this.st === 'SYN_SENT' || this.st === 'SYN_RECEIVED' || this.st === 'ESTABLISHED' || this.st === 'CLOSE_WAIT';
  }

  private canSendData(): boolean {
    switch (this.st) {
      case 'ESTABLISHED':
      case 'CLOSE_WAIT':
      case 'FIN_WAIT_1':
      case 'CLOSING':
      case 'LAST_ACK':
        return true;
      default:
        return false;
    }
  }

  private isSynchronized(): boolean {
    return this.st !== 'CLOSED' && this.st !== 'LISTEN' && this.st !== 'SYN_SENT' && this.st !== 'SYN_RECEIVED';
  }

  private defaultMss(): number {
    return this.tuple.remoteAddr.length === 16 ? DEFAULT_MSS_IPV6 : DEFAULT_MSS_IPV4;
  }

  /** RFC 7323 §5.4: a millisecond clock plus a per-connection offset. */
  private tsNow(now: number): number {
    return (Math.floor(now / 1000) + this.tsOffset) >>> 0;
  }

  /** Round a deadline up to the timer tick (the bsd profile's 500 ms slow timer). */
  private at(t: number): number {
    const tick = this.cfg.timerTick;
    return tick > 0 ? Math.ceil(t / tick) * tick : t;
  }
}

/**
 * RFC 9293 §3.10.7.1 / §3.5.2: the RST to answer a segment that matches no
 * connection (undefined for a RST).
 */
export function resetFor(seg: Segment): Segment | undefined {
  if ((seg.flags & RST) !== 0) return undefined;
  const base = { srcPort: seg.dstPort, dstPort: seg.srcPort, window: 0, urgent: 0, options: [], payload: EMPTY };
  if ((seg.flags & ACK) !== 0) {
    // <SEQ=SEG.ACK><CTL=RST>
    return { ...base, seq: seg.ack >>> 0, ack: 0, flags: RST };
  }
  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN and FIN count in SEG.LEN.
  const len = seg.payload.length + ((seg.flags & SYN) !== 0 ? 1 : 0) + ((seg.flags & FIN) !== 0 ? 1 : 0);
  return { ...base, seq: 0, ack: seqAdd(seg.seq, len), flags: RST | ACK };
}
