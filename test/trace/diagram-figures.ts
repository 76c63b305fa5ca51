// Segment lists that reproduce figures of RFC 9293 §3.5, shared by the
// ladder tests (text and SVG).

import type { LadderEvent } from '../../src/trace/diagram/index.js';
import { ACK, PSH, SYN } from '../../src/wire/tcp-types.js';

export function seg(
  from: 'A' | 'B',
  seq: number,
  ack: number,
  flags: number,
  sentAt: number,
  arrivedAt: number | undefined,
  len = 0,
): LadderEvent {
  return { t: sentAt, kind: 'segment', from, seq, ack, flags, len, sentAt, arrivedAt };
}
export function st(side: 'A' | 'B', t: number, state: string): LadderEvent {
  return { t, kind: 'state', side, state };
}

// RFC 9293 Figure 6 (RFC 793 Figure 7): the basic three-way handshake, then data.
export const FIG6_EVENTS: LadderEvent[] = [
  st('A', 0, 'CLOSED'),
  st('B', 0, 'LISTEN'),
  st('A', 100, 'SYN_SENT'),
  seg('A', 100, 0, SYN, 100, 200),
  st('B', 200, 'SYN_RECEIVED'),
  seg('B', 300, 101, SYN | ACK, 200, 300),
  st('A', 300, 'ESTABLISHED'),
  seg('A', 101, 301, ACK, 300, 400),
  st('B', 400, 'ESTABLISHED'),
  seg('A', 101, 301, ACK | PSH, 500, 600, 10),
];

// RFC 9293 Figure 7 (RFC 793 Figure 8): simultaneous open. Each SYN and each
// SYN,ACK crosses the other in the network, so their departures and arrivals
// are lines of their own with `...` for the end not reached yet.
export const FIG8_EVENTS: LadderEvent[] = [
  st('A', 0, 'CLOSED'),
  st('B', 0, 'CLOSED'),
  st('A', 0, 'SYN-SENT'),
  seg('A', 100, 0, SYN, 0, 300),
  st('B', 100, 'SYN-SENT'),
  seg('B', 300, 0, SYN, 100, 200),
  st('A', 200, 'SYN-RECEIVED'),
  st('B', 300, 'SYN-RECEIVED'),
  seg('A', 100, 301, SYN | ACK, 400, 700),
  seg('B', 300, 101, SYN | ACK, 500, 600),
  st('A', 600, 'ESTABLISHED'),
  st('B', 700, 'ESTABLISHED'),
];

// The third ACK of the handshake is lost; B's retransmission timer fires and
// B sends its SYN,ACK again, which A answers.
export const LOST_ACK_EVENTS: LadderEvent[] = [
  st('A', 0, 'CLOSED'),
  st('B', 0, 'LISTEN'),
  st('A', 1000, 'SYN-SENT'),
  seg('A', 100, 0, SYN, 1000, 2000),
  st('B', 2000, 'SYN-RECEIVED'),
  seg('B', 300, 101, SYN | ACK, 2000, 3000),
  st('A', 3000, 'ESTABLISHED'),
  seg('A', 101, 301, ACK, 3000, undefined),
  { t: 1_002_000, kind: 'timer', side: 'B', name: 'RTO' },
  seg('B', 300, 101, SYN | ACK, 1_002_000, 1_003_000),
  seg('A', 101, 301, ACK, 1_003_000, 1_004_000),
  st('B', 1_004_000, 'ESTABLISHED'),
];
