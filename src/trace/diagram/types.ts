// What a ladder diagram is drawn from: segments between two TCP peers, the
// states each peer passes through, and the timers that fire. Times are in
// microseconds on any one time base (simulated time, or capture time).

import type { SackBlock } from '../../wire/tcp-types.js';

/** The two peers of a diagram. A is the one drawn on the left (the side that sent the first SYN). */
export type Side = 'A' | 'B';

/** One segment from one peer to the other. */
export interface SegmentEvent {
  /** When the event happened (the departure time, like `sentAt`). */
  t: number;
  kind: 'segment';
  from: Side;
  seq: number;
  ack: number;
  /** TCP flag bits (FIN, SYN, RST, PSH, ACK, ... from wire/tcp-types). */
  flags: number;
  /** Payload length in bytes (SYN and FIN not counted). */
  len: number;
  /** Departure time at the sender. */
  sentAt: number;
  /** Arrival time at the receiver; undefined when the segment was lost. */
  arrivedAt?: number;
  /** The raw window field, when known (the time-sequence graph draws it). */
  window?: number;
  /** SACK blocks carried by the segment, when known. */
  sack?: SackBlock[];
  /** The window scale the sender announced on its SYN, when known. */
  wscale?: number;
}

/** A peer entered a state (RFC 9293 §3.3.2 names; `SYN_SENT` and `SYN-SENT` both accepted). */
export interface StateEvent {
  t: number;
  kind: 'state';
  side: Side;
  state: string;
}

/** A timer of one peer fired (retransmission, persist, keepalive, 2 MSL...). */
export interface TimerEvent {
  t: number;
  kind: 'timer';
  side: Side;
  name: string;
}

export type LadderEvent = SegmentEvent | StateEvent | TimerEvent;

export interface LadderOptions {
  /**
   * How sequence numbers are shown. 'asSeen' (default): as they are in the
   * segments. 'rfc': rebased so that A's initial sequence number reads 100 and
   * B's reads 300, as in the RFC 793 / RFC 9293 figures.
   */
  isn?: 'asSeen' | 'rfc';
  /** Column titles; default 'TCP Peer A' and 'TCP Peer B' (RFC 9293 wording). */
  labels?: { A?: string; B?: string };
  /** Separate numbered lines by an empty line, as the RFC figures do (default true). */
  blankLines?: boolean;
  /** Print the title line with the peers' names (default true). */
  header?: boolean;
  /** Write `<DATA=n>` with the payload length instead of `<DATA>`. */
  dataLength?: boolean;
  /**
   * Show every flag in CTL. By default only the RFC 793 control bits the
   * figures use are shown (SYN, FIN, RST, URG, ACK); PSH, ECE, CWR and AE are left out.
   */
  allFlags?: boolean;
}

/** Options of the SVG ladder, on top of the text ones (labels, isn, dataLength, allFlags). */
export interface LadderSvgOptions extends LadderOptions {
  /** A title drawn above the diagram. */
  title?: string;
  /** Total width in pixels (default 820). */
  width?: number;
}
