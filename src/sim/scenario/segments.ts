// The TCP segments of a timeline, decoded, for checks and tests.

import { parseIpv4 } from '../../wire/ipv4.js';
import { parseTcp } from '../../wire/tcp.js';
import type { Segment } from '../../wire/tcp-types.js';
import { ACK, FIN, PSH, RST, SYN } from '../../wire/tcp-types.js';
import type { Side, Timeline } from './timeline.js';

export interface SeenSegment {
  /** Sent at (µs). */
  t: number;
  from: Side;
  lost: boolean;
  arrivedAt?: number;
  seg: Segment;
}

export function segmentsOf(timeline: Timeline): SeenSegment[] {
  const out: SeenSegment[] = [];
  for (const p of timeline.packets()) {
    const ip = parseIpv4(p.data, { verifyChecksum: false });
    if (!ip.ok || ip.value.protocol !== 6) continue;
    const tcp = parseTcp(ip.value.payload);
    if (!tcp.ok) continue;
    const s: SeenSegment = { t: p.t, from: p.from, lost: p.lost, seg: tcp.value };
    if (p.arrivedAt !== undefined) s.arrivedAt = p.arrivedAt;
    out.push(s);
  }
  return out;
}

/** tcpdump's letters for the flags that matter here: S, F, R, P and `.` for ACK. */
export function flagText(flags: number): string {
  let s = '';
  if (flags & FIN) s += 'F';
  if (flags & SYN) s += 'S';
  if (flags & RST) s += 'R';
  if (flags & PSH) s += 'P';
  if (flags & ACK) s += '.';
  return s === '' ? 'none' : s;
}

export function isPureAck(seg: Segment): boolean {
  return seg.flags === ACK && seg.payload.length === 0;
}
