// The order of a ladder's lines, shared by the text and the SVG drawings.
//
// RFC 9293 §3.5 reads a figure line by line: a right arrow is the departure
// of a segment from A or its arrival at B, `...` a segment still in the
// network, and the state on each side is the state after the departure or
// arrival shown on that line. So every segment has a departure and (unless it
// is lost) an arrival; when nothing else happens between the two they share
// one line, otherwise each gets its own line and the missing end reads `...`.

import { ACK, AE, CWR, ECE, FIN, PSH, RST, SYN, URG } from '../../wire/tcp-types.js';
import { seqAdd, seqSub } from '../../tcp/seq.js';
import type { LadderEvent, LadderOptions, SegmentEvent, Side, StateEvent, TimerEvent } from './types.js';

/** What one ladder line shows. */
export type LadderRow =
  | {
      kind: 'initial';
      t: number;
      stateA: string | undefined;
      stateB: string | undefined;
    }
  | {
      kind: 'segment';
      /**
       * 'whole': departure and arrival on one line; 'send': departure of a
       * segment still in flight; 'arrive': its later arrival; 'lost': departure
       * of a segment that never arrives.
       */
      part: 'whole' | 'send' | 'arrive' | 'lost';
      seg: SegmentEvent;
      /** Index of the segment among the segment events (0-based, input order). */
      segIndex: number;
      /** Time of the line (departure, or arrival for 'arrive'). */
      t: number;
      stateA: string | undefined;
      stateB: string | undefined;
    }
  | { kind: 'state'; t: number; stateA: string | undefined; stateB: string | undefined; changed: Side[] }
  | { kind: 'timer'; t: number; side: Side; name: string };

/** A state name the way the RFC figures write it: `SYN_SENT` becomes `SYN-SENT`. */
export function displayState(s: string): string {
  return s.replace(/_/g, '-');
}

/** Each side's states in time order (input order among equal times). */
class StateHistory {
  private readonly changes: { A: StateEvent[]; B: StateEvent[] } = { A: [], B: [] };

  constructor(events: readonly LadderEvent[]) {
    const states = events.filter((e): e is StateEvent => e.kind === 'state');
    const order = states.map((e, i) => ({ e, i }));
    order.sort((x, y) => x.e.t - y.e.t || x.i - y.i);
    for (const { e } of order) this.changes[e.side].push(e);
  }

  list(side: Side): readonly StateEvent[] {
    return this.changes[side];
  }

  /** The state of `side` after everything that happened up to and including time t. */
  at(side: Side, t: number): string | undefined {
    let s: string | undefined;
    for (const e of this.changes[side]) {
      if (e.t > t) break;
      s = e.state;
    }
    return s === undefined ? undefined : displayState(s);
  }
}

interface Occurrence {
  t: number;
  /** Among equal times: arrivals, then timer firings, then state changes, then departures. */
  rank: number;
  order: number;
  row: LadderRow;
}

const RANK_ARRIVE = 0;
const RANK_TIMER = 1;
const RANK_STATE = 2;
const RANK_SEND = 3;

function other(side: Side): Side {
  return side === 'A' ? 'B' : 'A';
}

/**
 * The lines of a ladder, in order. Line 1 shows each side's first state (when
 * it comes no later than anything else); a later state change gets a line of
 * its own only when no segment line at the same instant already shows it.
 */
export function ladderRows(events: readonly LadderEvent[]): LadderRow[] {
  const history = new StateHistory(events);
  const segments = events.filter((e): e is SegmentEvent => e.kind === 'segment');
  const timers = events.filter((e): e is TimerEvent => e.kind === 'timer');
  const occ: Occurrence[] = [];
  let order = 0;
  // Times at which a segment line shows a side's state.
  const shown: { A: Set<number>; B: Set<number> } = { A: new Set(), B: new Set() };
  segments.forEach((seg, segIndex) => {
    const to = other(seg.from);
    const base = { kind: 'segment' as const, seg, segIndex };
    if (seg.arrivedAt === undefined) {
      occ.push({
        t: seg.sentAt,
        rank: RANK_SEND,
        order: order++,
        row: { ...base, part: 'lost', t: seg.sentAt, stateA: undefined, stateB: undefined },
      });
      shown[seg.from].add(seg.sentAt);
    } else if (seg.arrivedAt === seg.sentAt) {
      occ.push({
        t: seg.sentAt,
        rank: RANK_SEND,
        order: order++,
        row: { ...base, part: 'whole', t: seg.sentAt, stateA: undefined, stateB: undefined },
      });
      shown[seg.from].add(seg.sentAt);
      shown[to].add(seg.sentAt);
    } else {
      occ.push({
        t: seg.sentAt,
        rank: RANK_SEND,
        order: order++,
        row: { ...base, part: 'send', t: seg.sentAt, stateA: undefined, stateB: undefined },
      });
      occ.push({
        t: seg.arrivedAt,
        rank: RANK_ARRIVE,
        order: order++,
        row: { ...base, part: 'arrive', t: seg.arrivedAt, stateA: undefined, stateB: undefined },
      });
      shown[seg.from].add(seg.sentAt);
      shown[to].add(seg.arrivedAt);
    }
  });
  for (const tm of timers) {
    occ.push({ t: tm.t, rank: RANK_TIMER, order: order++, row: { kind: 'timer', t: tm.t, side: tm.side, name: tm.name } });
  }
  const firstActivity = occ.reduce((m, o) => Math.min(m, o.t), Infinity);

  // Line 1: the first state of each side, when it is known before anything happens.
  const initial: { A: StateEvent | undefined; B: StateEvent | undefined } = { A: undefined, B: undefined };
  for (const side of ['A', 'B'] as const) {
    const first = history.list(side)[0];
    if (first !== undefined && first.t <= firstActivity) initial[side] = first;
  }

  // State changes no segment line shows: lines of their own (one per instant).
  const stateOnly = new Map<number, Set<Side>>();
  for (const side of ['A', 'B'] as const) {
    let prev: string | undefined;
    for (const e of history.list(side)) {
      const s = displayState(e.state);
      if (e === initial[side]) {
        prev = s;
        continue;
      }
      if (s === prev) continue;
      prev = s;
      if (shown[side].has(e.t)) continue;
      let set = stateOnly.get(e.t);
      if (set === undefined) stateOnly.set(e.t, (set = new Set()));
      set.add(side);
    }
  }
  for (const [t, sides] of stateOnly) {
    occ.push({
      t,
      rank: RANK_STATE,
      order: order++,
      row: { kind: 'state', t, stateA: undefined, stateB: undefined, changed: [...sides].sort() },
    });
  }

  occ.sort((x, y) => x.t - y.t || x.rank - y.rank || x.order - y.order);

  const rows: LadderRow[] = [];
  if (initial.A !== undefined || initial.B !== undefined) {
    const t = Math.min(initial.A?.t ?? Infinity, initial.B?.t ?? Infinity);
    rows.push({
      kind: 'initial',
      t,
      stateA: initial.A === undefined ? undefined : displayState(initial.A.state),
      stateB: initial.B === undefined ? undefined : displayState(initial.B.state),
    });
  }
  for (let i = 0; i < occ.length; i++) {
    const row = occ[i]!.row;
    if (row.kind === 'segment') {
      const seg = row.seg;
      const to = other(seg.from);
      const next = occ[i + 1]?.row;
      if (row.part === 'send' && next !== undefined && next.kind === 'segment' && next.seg === seg) {
        // Nothing happened while it was in flight: one line, like RFC 9293 Figure 6.
        i++;
        rows.push(withStates({ ...row, part: 'whole' }, seg.from, history.at(seg.from, seg.sentAt), history.at(to, seg.arrivedAt!)));
      } else if (row.part === 'arrive') {
        rows.push(withStates(row, seg.from, undefined, history.at(to, row.t)));
      } else if (row.part === 'whole') {
        rows.push(withStates(row, seg.from, history.at(seg.from, row.t), history.at(to, row.t)));
      } else {
        rows.push(withStates(row, seg.from, history.at(seg.from, row.t), undefined));
      }
    } else if (row.kind === 'state') {
      rows.push({ ...row, stateA: history.at('A', row.t), stateB: history.at('B', row.t) });
    } else {
      rows.push(row);
    }
  }
  return rows;
}

/** The row with the sender's and the receiver's state filled in. */
function withStates(
  row: Extract<LadderRow, { kind: 'segment' }>,
  from: Side,
  senderState: string | undefined,
  receiverState: string | undefined,
): LadderRow {
  return from === 'A'
    ? { ...row, stateA: senderState, stateB: receiverState }
    : { ...row, stateA: receiverState, stateB: senderState };
}

/** Maps raw sequence numbers to the ones a figure shows. */
export interface SeqView {
  /** A sequence number of `side`'s own space (its SEQ field). */
  seq(side: Side, n: number): number;
}

/** The initial sequence number of each side: its SYN's, else its first segment's. */
function initialSeqs(events: readonly LadderEvent[]): { A: number | undefined; B: number | undefined } {
  const out: { A: number | undefined; B: number | undefined } = { A: undefined, B: undefined };
  const segs = events.filter((e): e is SegmentEvent => e.kind === 'segment');
  for (const side of ['A', 'B'] as const) {
    const mine = segs.filter((s) => s.from === side);
    const syn = mine.find((s) => (s.flags & SYN) !== 0);
    const first = syn ?? mine[0];
    if (first !== undefined) {
      out[side] = first.seq;
      continue;
    }
    // A side that never sent: the other side's first acknowledgment names its ISN + 1.
    const acked = segs.find((s) => s.from !== side && (s.flags & ACK) !== 0);
    if (acked !== undefined) out[side] = seqSub(acked.ack, 1);
  }
  return out;
}

/** RFC 9293 §3.5 figures start TCP Peer A at 100 and TCP Peer B at 300. */
export const RFC_ISN = { A: 100, B: 300 } as const;

export function seqView(events: readonly LadderEvent[], isn: LadderOptions['isn']): SeqView {
  if (isn !== 'rfc') return { seq: (_side, n) => n >>> 0 };
  const iss = initialSeqs(events);
  return {
    seq(side, n) {
      const base = iss[side];
      return base === undefined ? n >>> 0 : seqAdd(seqSub(n, base), RFC_ISN[side]);
    },
  };
}

const CTL_ORDER: [number, string][] = [
  [SYN, 'SYN'],
  [FIN, 'FIN'],
  [RST, 'RST'],
  [PSH, 'PSH'],
  [URG, 'URG'],
  [ACK, 'ACK'],
  [ECE, 'ECE'],
  [CWR, 'CWR'],
  [AE, 'AE'],
];
/** The control bits of RFC 793's figures; the rest only with allFlags. */
const RFC793_CTL = SYN | FIN | RST | URG | ACK;

/** The flag names of a CTL field, in the order the RFC figures use (SYN,ACK; FIN,ACK). */
export function ctlNames(flags: number, allFlags = false): string[] {
  const shown = allFlags ? flags : flags & RFC793_CTL;
  return CTL_ORDER.filter(([bit]) => (shown & bit) !== 0).map(([, name]) => name);
}

/**
 * The abbreviated segment of RFC 9293 §3.5: `<SEQ=100><ACK=301><CTL=SYN,ACK>`,
 * ACK only when the ACK bit is set, `<DATA>` when the segment carries data.
 */
export function segmentText(seg: SegmentEvent, view: SeqView, opts: LadderOptions = {}): string {
  let s = `<SEQ=${view.seq(seg.from, seg.seq)}>`;
  if ((seg.flags & ACK) !== 0) s += `<ACK=${view.seq(other(seg.from), seg.ack)}>`;
  const ctl = ctlNames(seg.flags, opts.allFlags === true);
  if (ctl.length > 0) s += `<CTL=${ctl.join(',')}>`;
  if (seg.len > 0) s += opts.dataLength === true ? `<DATA=${seg.len}>` : '<DATA>';
  return s;
}
