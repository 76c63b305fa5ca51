// What a time-sequence graph shows, computed from one connection's segments
// as seen from the data sender's side: the data segments in the sender's
// sequence space (relative to its ISN), which of them are retransmissions,
// the receiver's cumulative ACK and advertised window edge, its SACK blocks,
// RTT samples and throughput.

import { ACK, FIN, SYN, type SackBlock } from '../../wire/tcp-types.js';
import { seqAdd, seqDiff, seqGt, seqLe, seqLt } from '../../tcp/seq.js';
import type { LadderEvent, Side } from '../diagram/types.js';
import type { TcpFlow } from '../diagram/flows.js';
import { sackBlocks } from '../diagram/flows.js';

/** One segment for the graph. */
export interface TsgSegment {
  /** µs: departure for the sender's segments, arrival for the receiver's, as the graph's observer saw them. */
  t: number;
  from: Side;
  seq: number;
  ack: number;
  flags: number;
  len: number;
  /** Raw window field. */
  window?: number;
  sack?: SackBlock[];
  /** The segment was lost (drawn, but marked). */
  lost?: boolean;
}

/** A congestion-control sample from the sender (bytes). */
export interface CwndSample {
  /** µs, on the segments' time base. */
  t: number;
  cwnd: number;
  /** Absent, null or "infinite" (2^31 - 1 or more) when not yet set. */
  ssthresh?: number | null;
}

export interface TsgInput {
  segments: TsgSegment[];
  /** The data sender whose sequence space is drawn; default the side that sent more payload. */
  sender?: Side;
  /**
   * Window scale shifts the peers announced on their SYNs (RFC 7323 §2.2);
   * used only when both are known, as window scaling needs both.
   */
  wscale?: { A?: number | undefined; B?: number | undefined };
  cwnd?: CwndSample[];
  title?: string;
  /** Names of the peers, for titles. */
  labels?: { A?: string; B?: string };
}

export interface DataMark {
  t: number;
  /** Relative sequence numbers: [start, end) in bytes from the ISN (SYN and FIN take one). */
  start: number;
  end: number;
  retransmission: boolean;
  lost: boolean;
  syn: boolean;
  fin: boolean;
}

export interface AckPoint {
  t: number;
  /** Relative cumulative ACK. */
  ack: number;
  /** Relative right edge of the advertised window (ack + scaled window), when the window is known. */
  win: number | undefined;
}

export interface SackMark {
  t: number;
  start: number;
  end: number;
}

export interface RttSample {
  t: number;
  rtt: number;
}

export interface TsgAnalysis {
  sender: Side;
  /** The sender's initial sequence number (relative 0). */
  base: number;
  data: DataMark[];
  acks: AckPoint[];
  sacks: SackMark[];
  rtt: RttSample[];
  /** Bytes of payload the sender sent, retransmissions included. */
  bytesSent: number;
  /** Highest relative sequence number acknowledged. */
  bytesAcked: number;
  retransmissions: number;
  tMin: number;
  tMax: number;
}

function other(s: Side): Side {
  return s === 'A' ? 'B' : 'A';
}

/** The side that sent more payload bytes (A on a tie). */
export function dataSender(segments: readonly TsgSegment[]): Side {
  let a = 0;
  let b = 0;
  for (const s of segments) {
    if (s.from === 'A') a += s.len;
    else b += s.len;
  }
  return b > a ? 'B' : 'A';
}

/** Sequence space used by a segment: payload, plus one each for SYN and FIN (RFC 9293 §3.4). */
function segLen(s: TsgSegment): number {
  return s.len + ((s.flags & SYN) !== 0 ? 1 : 0) + ((s.flags & FIN) !== 0 ? 1 : 0);
}

export function analyze(input: TsgInput): TsgAnalysis {
  const segs = [...input.segments].sort((x, y) => x.t - y.t);
  const sender = input.sender ?? dataSender(segs);
  const receiver = other(sender);
  const mine = segs.filter((s) => s.from === sender);
  const syn = mine.find((s) => (s.flags & SYN) !== 0);
  const base = syn?.seq ?? mine[0]?.seq ?? 0;
  const rel = (n: number): number => seqDiff(n, base);
  // RFC 7323 §2.2: scaling applies only when both sides offered it, and never to a SYN's window.
  const scaled = input.wscale?.A !== undefined && input.wscale?.B !== undefined;
  const shift = scaled ? (input.wscale?.[receiver] ?? 0) : 0;

  const data: DataMark[] = [];
  const acks: AckPoint[] = [];
  const sacks: SackMark[] = [];
  const rtt: RttSample[] = [];
  let maxEnd: number | undefined;
  let bytesSent = 0;
  let retransmissions = 0;
  // First transmissions not yet acknowledged, for RTT samples (Karn: never a retransmitted one).
  const pending: { end: number; t: number; ambiguous: boolean }[] = [];
  let highAck: number | undefined;

  for (const s of segs) {
    if (s.from === sender) {
      const used = segLen(s);
      if (used === 0) continue;
      const end = seqAdd(s.seq, used);
      const retrans = maxEnd !== undefined && seqLt(s.seq, maxEnd);
      if (retrans) {
        retransmissions++;
        for (const p of pending) if (seqGt(p.end, s.seq) && seqLe(p.end, end)) p.ambiguous = true;
      }
      if (maxEnd === undefined || seqGt(end, maxEnd)) {
        maxEnd = end;
        if (s.lost !== true) pending.push({ end, t: s.t, ambiguous: retrans });
      }
      bytesSent += s.len;
      data.push({
        t: s.t,
        start: rel(s.seq),
        end: rel(end),
        retransmission: retrans,
        lost: s.lost === true,
        syn: (s.flags & SYN) !== 0,
        fin: (s.flags & FIN) !== 0,
      });
    } else {
      if (s.lost === true) continue;
      if ((s.flags & ACK) !== 0) {
        const advanced = highAck === undefined || seqGt(s.ack, highAck);
        if (advanced) {
          // The newest segment this ACK covers gives the sample (a delayed ACK covers two).
          let sample: { end: number; t: number; ambiguous: boolean } | undefined;
          while (pending.length > 0 && seqLe(pending[0]!.end, s.ack)) sample = pending.shift();
          if (sample !== undefined && !sample.ambiguous) rtt.push({ t: s.t, rtt: s.t - sample.t });
          highAck = s.ack;
        }
        const win = s.window === undefined ? undefined : rel(seqAdd(s.ack, (s.flags & SYN) !== 0 ? s.window : s.window * 2 ** shift));
        acks.push({ t: s.t, ack: rel(highAck!), win });
      }
      for (const b of s.sack ?? []) sacks.push({ t: s.t, start: rel(b.left), end: rel(b.right) });
    }
  }
  const ts = segs.map((s) => s.t);
  for (const c of input.cwnd ?? []) ts.push(c.t);
  return {
    sender,
    base,
    data,
    acks,
    sacks,
    rtt,
    bytesSent,
    bytesAcked: highAck === undefined ? 0 : Math.max(0, rel(highAck)),
    retransmissions,
    tMin: ts.length > 0 ? Math.min(...ts) : 0,
    tMax: ts.length > 0 ? Math.max(...ts) : 0,
  };
}

/** Throughput over time: payload sent and newly acknowledged, in bits per second per interval. */
export interface ThroughputBucket {
  t0: number;
  t1: number;
  sentBps: number;
  ackedBps: number;
}

export function throughput(a: TsgAnalysis, buckets = 40): ThroughputBucket[] {
  const span = a.tMax - a.tMin;
  if (span <= 0 || buckets < 1) return [];
  const w = span / buckets;
  const out: ThroughputBucket[] = [];
  for (let i = 0; i < buckets; i++) out.push({ t0: a.tMin + i * w, t1: a.tMin + (i + 1) * w, sentBps: 0, ackedBps: 0 });
  const at = (t: number): ThroughputBucket => out[Math.min(buckets - 1, Math.floor((t - a.tMin) / w))]!;
  for (const d of a.data) {
    const payload = d.end - d.start - (d.syn ? 1 : 0) - (d.fin ? 1 : 0);
    at(d.t).sentBps += payload * 8;
  }
  let prev = 0;
  for (const k of a.acks) {
    if (k.ack > prev) {
      at(k.t).ackedBps += (k.ack - prev) * 8;
      prev = k.ack;
    }
  }
  const seconds = w / 1e6;
  for (const b of out) {
    b.sentBps /= seconds;
    b.ackedBps /= seconds;
  }
  return out;
}

/** Graph input from a captured connection; times are µs after `t0`. */
export function tsgInputFromFlow(flow: TcpFlow, t0: number): TsgInput {
  return {
    segments: flow.packets.map((p) => {
      const s: TsgSegment = { t: p.t - t0, from: p.from, seq: p.seq, ack: p.ack, flags: p.flags, len: p.len, window: p.window };
      const sack = sackBlocks(p.options);
      if (sack.length > 0) s.sack = sack;
      return s;
    }),
    wscale: { A: flow.wscale.A, B: flow.wscale.B },
  };
}

/**
 * Graph input from ladder events, seen from the data sender: its segments at
 * their departure, the receiver's at their arrival (lost ones left out);
 * lost data segments are kept and marked.
 */
export function tsgInputFromEvents(events: readonly LadderEvent[], sender?: Side): TsgInput {
  const all: TsgSegment[] = [];
  const wscale: { A?: number; B?: number } = {};
  for (const e of events) {
    if (e.kind !== 'segment') continue;
    all.push({ t: e.sentAt, from: e.from, seq: e.seq, ack: e.ack, flags: e.flags, len: e.len, window: e.window, sack: e.sack, lost: e.arrivedAt === undefined });
    if (e.wscale !== undefined) wscale[e.from] = e.wscale;
  }
  const who = sender ?? dataSender(all);
  const segments: TsgSegment[] = [];
  for (const e of events) {
    if (e.kind !== 'segment') continue;
    const s = all[segments.length]!;
    segments.push(e.from === who ? s : { ...s, t: e.arrivedAt ?? e.sentAt });
  }
  return { segments, sender: who, wscale };
}
