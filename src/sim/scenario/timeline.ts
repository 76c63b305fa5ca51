// What a scenario shows: every packet put on the wire between the two hosts
// (with its fate: delivered, lost, or still in flight), every TCP state
// change on either side, and free-form notes, in simulated-time order.

import type { Link } from '../link.js';
import type { TcpState } from '../../tcp/types.js';

export type Side = 'A' | 'B';

export interface PacketEntry {
  kind: 'packet';
  /** When the packet was sent (µs of simulated time). */
  t: number;
  from: Side;
  /** Number of the packet on its link (1-based). */
  index: number;
  /** A copy of the IP packet as sent. */
  data: Uint8Array;
  /** When the first copy arrived; undefined while in flight or if lost. */
  arrivedAt?: number;
  lost: boolean;
}

export interface StateEntry {
  kind: 'state';
  t: number;
  side: Side;
  from: TcpState;
  to: TcpState;
}

export interface NoteEntry {
  kind: 'note';
  t: number;
  side?: Side;
  text: string;
}

export type TimelineEntry = PacketEntry | StateEntry | NoteEntry;

export class Timeline {
  readonly entries: TimelineEntry[] = [];

  /** Record what travels on `link`, sent by `from`. */
  watchLink(link: Link, from: Side): void {
    const byIndex = new Map<number, PacketEntry>();
    link.watch((e) => {
      if (e.kind === 'send') {
        const entry: PacketEntry = { kind: 'packet', t: e.time, from, index: e.index, data: Uint8Array.from(e.packet), lost: false };
        byIndex.set(e.index, entry);
        this.entries.push(entry);
      } else if (e.kind === 'drop') {
        const entry = byIndex.get(e.index);
        if (entry) entry.lost = true;
      } else {
        const entry = byIndex.get(e.index);
        if (entry && entry.arrivedAt === undefined) entry.arrivedAt = e.time;
      }
    }, { keepsPackets: false }); // entries hold copies
  }

  /**
   * A state change. The stack reports it after the segments the change
   * made it send; it is filed before them, so that the line that caused a
   * segment comes first.
   */
  state(t: number, side: Side, from: TcpState, to: TcpState): void {
    let i = this.entries.length;
    while (i > 0) {
      const prev = this.entries[i - 1]!;
      if (prev.kind !== 'packet' || prev.t !== t || prev.from !== side) break;
      i--;
    }
    this.entries.splice(i, 0, { kind: 'state', t, side, from, to });
  }

  note(t: number, text: string, side?: Side): void {
    const n: NoteEntry = { kind: 'note', t, text };
    if (side !== undefined) n.side = side;
    this.entries.push(n);
  }

  packets(): PacketEntry[] {
    return this.entries.filter((e): e is PacketEntry => e.kind === 'packet');
  }

  states(side?: Side): StateEntry[] {
    return this.entries.filter((e): e is StateEntry => e.kind === 'state' && (side === undefined || e.side === side));
  }
}

/** Simulated time as seconds with microseconds, e.g. `   63.000000`. */
export function formatSeconds(us: number, width = 11): string {
  const sign = us < 0 ? '-' : '';
  const a = Math.abs(Math.round(us));
  const s = `${sign}${Math.floor(a / 1_000_000)}.${String(a % 1_000_000).padStart(6, '0')}`;
  return s.padStart(width, ' ');
}
