// Ladder events from a capture: the segments of one connection, and the
// states of both peers inferred from what the segments show (RFC 9293
// §3.3.2's state diagram read from the outside).
//
// A single capture point sees each segment once, so departure and arrival
// take the capture time; the states are those a peer reaches when it sends,
// or when it receives, the segment on that line. What a capture cannot show
// (a passive open before any SYN, the end of TIME-WAIT) is left out rather
// than guessed: a side whose state is unknown has an empty column.

import type { CaptureRecord } from '../capture.js';
import { ACK, FIN, RST, SYN } from '../../wire/tcp-types.js';
import { seqAdd, seqGe } from '../../tcp/seq.js';
import { sackBlocks, tcpFlows, type FlowPacket, type TcpFlow } from './flows.js';
import type { LadderEvent, SegmentEvent, Side } from './types.js';

type State =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

interface Peer {
  state: State | undefined;
  /** The peer's ISS, once its SYN was seen. */
  iss: number | undefined;
  /** Sequence number of the peer's FIN, once sent. */
  finSeq: number | undefined;
  /** Reached SYN-RECEIVED from LISTEN (a RST sends it back to LISTEN, RFC 9293 §3.10.7.4). */
  passive: boolean;
}

function other(s: Side): Side {
  return s === 'A' ? 'B' : 'A';
}

/** The first state of each side, from the way the connection starts. */
function initialStates(packets: readonly FlowPacket[]): { A: State | undefined; B: State | undefined } {
  const first = packets[0];
  if (first === undefined) return { A: undefined, B: undefined };
  if ((first.flags & (SYN | ACK)) === SYN) {
    const opener = first.from;
    const answer = packets.find((p) => p.from !== opener);
    let responder: State | undefined;
    if (answer !== undefined) {
      if ((answer.flags & (SYN | ACK)) === (SYN | ACK)) responder = 'LISTEN';
      // Its own SYN: a simultaneous open (RFC 9293 §3.5 Figure 7); a RST: nobody listening.
      else if ((answer.flags & SYN) !== 0 || (answer.flags & RST) !== 0) responder = 'CLOSED';
    }
    return opener === 'A' ? { A: 'CLOSED', B: responder } : { A: responder, B: 'CLOSED' };
  }
  if ((first.flags & (SYN | ACK)) === (SYN | ACK)) {
    // The SYN was not captured: the opener is in SYN-SENT, the responder in SYN-RECEIVED.
    return first.from === 'A' ? { A: 'SYN-RECEIVED', B: 'SYN-SENT' } : { A: 'SYN-SENT', B: 'SYN-RECEIVED' };
  }
  if ((first.flags & ACK) !== 0 && (first.flags & RST) === 0) return { A: 'ESTABLISHED', B: 'ESTABLISHED' };
  return { A: undefined, B: undefined };
}

/** Whether `ack` acknowledges the peer's FIN (it covers the FIN's sequence number). */
function acksFin(p: Peer, ack: number): boolean {
  return p.finSeq !== undefined && seqGe(ack, seqAdd(p.finSeq, 1));
}

/** Departure: what sending `p` does to its sender. */
function depart(s: Peer, p: FlowPacket): void {
  const syn = (p.flags & SYN) !== 0;
  const ack = (p.flags & ACK) !== 0;
  if ((p.flags & RST) !== 0) {
    s.state = 'CLOSED';
    return;
  }
  if (syn) {
    s.iss = p.seq;
    if (!ack && (s.state === undefined || s.state === 'CLOSED')) s.state = 'SYN-SENT';
    if (ack && s.state === undefined) s.state = 'SYN-RECEIVED';
  }
  if ((p.flags & FIN) !== 0) {
    // The FIN follows the data (and the SYN, which takes one number).
    s.finSeq = seqAdd(p.seq, p.len + (syn ? 1 : 0));
    if (s.state === 'ESTABLISHED' || s.state === 'SYN-RECEIVED') s.state = 'FIN-WAIT-1';
    else if (s.state === 'CLOSE-WAIT') s.state = 'LAST-ACK';
  }
}

/** Arrival of `p` at its receiver, FIN aside (see receiveFin). */
function arrive(r: Peer, p: FlowPacket): void {
  const syn = (p.flags & SYN) !== 0;
  const ack = (p.flags & ACK) !== 0;
  if ((p.flags & RST) !== 0) {
    // RFC 9293 §3.10.7.3: in SYN-SENT a RST counts only if it acknowledges the SYN.
    if (r.state === 'SYN-SENT') {
      if (ack && r.iss !== undefined && p.ack === seqAdd(r.iss, 1)) r.state = 'CLOSED';
    } else if (r.state === 'SYN-RECEIVED' && r.passive) {
      // RFC 9293 §3.10.7.4: a passive open goes back to LISTEN.
      r.state = 'LISTEN';
    } else if (r.state !== undefined && r.state !== 'LISTEN') {
      r.state = 'CLOSED';
    }
    return;
  }
  if (syn && !ack) {
    if (r.state === 'LISTEN') {
      r.state = 'SYN-RECEIVED';
      r.passive = true;
    } else if (r.state === 'SYN-SENT') {
      r.state = 'SYN-RECEIVED';
    }
  } else if (syn && ack) {
    const acksSyn = r.iss !== undefined && seqGe(p.ack, seqAdd(r.iss, 1));
    if ((r.state === 'SYN-SENT' || r.state === 'SYN-RECEIVED') && acksSyn) r.state = 'ESTABLISHED';
  } else if (ack) {
    if (r.state === 'SYN-RECEIVED' && (r.iss === undefined || seqGe(p.ack, seqAdd(r.iss, 1)))) r.state = 'ESTABLISHED';
    else if (r.state === 'FIN-WAIT-1' && acksFin(r, p.ack)) r.state = 'FIN-WAIT-2';
    else if (r.state === 'CLOSING' && acksFin(r, p.ack)) r.state = 'TIME-WAIT';
    else if (r.state === 'LAST-ACK' && acksFin(r, p.ack)) r.state = 'CLOSED';
  }
}

/** RFC 9293 §3.10.7.4, eighth step: the FIN, after the ACK field was processed. */
function receiveFin(r: Peer, p: FlowPacket): void {
  if (r.state === 'ESTABLISHED' || r.state === 'SYN-RECEIVED') r.state = 'CLOSE-WAIT';
  else if (r.state === 'FIN-WAIT-1') r.state = (p.flags & ACK) !== 0 && acksFin(r, p.ack) ? 'TIME-WAIT' : 'CLOSING';
  else if (r.state === 'FIN-WAIT-2') r.state = 'TIME-WAIT';
}

/**
 * Where the receiver of the FIN in packets[i] is taken to have processed it:
 * at capture time (i) when its next segment acknowledges the FIN (or it sends
 * nothing more); when its next segment does not, the FIN was still on its way
 * (the two ends closed at once), and it counts from the receiver's first
 * segment that does acknowledge it (-1: none does).
 */
function finDelivery(packets: readonly FlowPacket[], i: number): number {
  const fin = packets[i]!;
  const finSeq = seqAdd(fin.seq, fin.len + ((fin.flags & SYN) !== 0 ? 1 : 0));
  const covers = (p: FlowPacket): boolean => (p.flags & ACK) !== 0 && seqGe(p.ack, seqAdd(finSeq, 1));
  let first = true;
  for (let j = i + 1; j < packets.length; j++) {
    const p = packets[j]!;
    if (p.from === fin.from) continue;
    if (covers(p)) return first ? i : j;
    first = false;
  }
  return first ? i : -1;
}

/** A segment event for a captured packet: departure and arrival at the capture time. */
function segmentEvent(p: FlowPacket, flow: TcpFlow, t: number): SegmentEvent {
  const ev: SegmentEvent = {
    t,
    kind: 'segment',
    from: p.from,
    seq: p.seq,
    ack: p.ack,
    flags: p.flags,
    len: p.len,
    sentAt: t,
    arrivedAt: t,
    window: p.window,
  };
  const sack = sackBlocks(p.options);
  if (sack.length > 0) ev.sack = sack;
  const ws = flow.wscale[p.from];
  if (ws !== undefined) ev.wscale = ws;
  return ev;
}

/**
 * Ladder events of one connection. Times are microseconds after `t0` (the
 * capture's first record, by default the connection's first packet).
 */
export function eventsFromFlow(flow: TcpFlow, t0 = flow.packets[0]?.t ?? 0): LadderEvent[] {
  const events: LadderEvent[] = [];
  const init = initialStates(flow.packets);
  const peers: { A: Peer; B: Peer } = {
    A: { state: init.A, iss: undefined, finSeq: undefined, passive: false },
    B: { state: init.B, iss: undefined, finSeq: undefined, passive: false },
  };
  const start = (flow.packets[0]?.t ?? t0) - t0;
  for (const side of ['A', 'B'] as const) {
    const s = peers[side].state;
    if (s !== undefined) events.push({ t: start, kind: 'state', side, state: s });
  }
  // FINs whose processing waits for a later segment of their receiver (by that segment's index).
  const pendingFin = new Map<number, FlowPacket[]>();
  flow.packets.forEach((p, i) => {
    const t = p.t - t0;
    const before = { A: peers.A.state, B: peers.B.state };
    const sender = peers[p.from];
    const receiver = peers[other(p.from)];
    for (const fin of pendingFin.get(i) ?? []) receiveFin(sender, fin);
    depart(sender, p);
    arrive(receiver, p);
    if ((p.flags & FIN) !== 0 && (p.flags & RST) === 0) {
      const at = finDelivery(flow.packets, i);
      if (at === i) receiveFin(receiver, p);
      else if (at > i) pendingFin.set(at, [...(pendingFin.get(at) ?? []), p]);
    }
    events.push(segmentEvent(p, flow, t));
    for (const side of ['A', 'B'] as const) {
      const now = peers[side].state;
      if (now !== undefined && now !== before[side]) events.push({ t, kind: 'state', side, state: now });
    }
  });
  return events;
}

export interface CaptureEventsOptions {
  /** Which connection (1-based, in order of first packet); default 1. */
  conn?: number;
}

/**
 * Ladder events (segments and inferred states) of one TCP connection of a
 * capture; [] when the capture holds no such connection. Times are
 * microseconds after the capture's first record.
 */
export function eventsFromCapture(
  records: readonly CaptureRecord[],
  linktype?: number,
  opts: CaptureEventsOptions = {},
): LadderEvent[] {
  const { flows, t0 } = tcpFlows(records, linktype);
  const flow = flows[(opts.conn ?? 1) - 1];
  return flow === undefined ? [] : eventsFromFlow(flow, t0);
}
