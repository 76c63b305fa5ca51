// A scenario's timeline as the events of a ladder diagram (RFC 9293 §3.5
// notation, SVG ladder, HTML report): each segment with its departure and
// arrival (none when lost), each state change.

import type { LadderEvent } from '../../trace/diagram/types.js';
import { segmentsOf } from './segments.js';
import type { Timeline } from './timeline.js';

export function ladderEvents(timeline: Timeline): LadderEvent[] {
  const events: LadderEvent[] = [];
  for (const s of segmentsOf(timeline)) {
    const e: LadderEvent = {
      t: s.t,
      kind: 'segment',
      from: s.from,
      seq: s.seg.seq,
      ack: s.seg.ack,
      flags: s.seg.flags,
      len: s.seg.payload.length,
      sentAt: s.t,
      window: s.seg.window,
    };
    if (s.arrivedAt !== undefined && !s.lost) e.arrivedAt = s.arrivedAt;
    const sack = s.seg.options.find((o) => o.kind === 'sack');
    if (sack?.kind === 'sack') e.sack = sack.blocks;
    const ws = s.seg.options.find((o) => o.kind === 'wscale');
    if (ws?.kind === 'wscale') e.wscale = ws.shift;
    events.push(e);
  }
  // Each side starts in the state its first change left: a listener starts in
  // LISTEN, anything else in CLOSED. The initial states go just before the
  // first event so that they make the diagram's first line of their own.
  const first = Math.min(...timeline.entries.map((e) => e.t), 0) - 1;
  const started = new Set<string>();
  for (const st of timeline.states()) {
    if (!started.has(st.side)) {
      started.add(st.side);
      if (st.from === 'CLOSED' && st.to === 'LISTEN') {
        events.push({ t: first, kind: 'state', side: st.side, state: 'LISTEN' });
        continue;
      }
      events.push({ t: first, kind: 'state', side: st.side, state: st.from });
    }
    events.push({ t: st.t, kind: 'state', side: st.side, state: st.to });
  }
  // Stable by time; at equal times a state change comes before the segments it caused.
  return events
    .map((e, i) => ({ e, i }))
    .sort((x, y) => x.e.t - y.e.t || (x.e.kind === 'state' ? 0 : 1) - (y.e.kind === 'state' ? 0 : 1) || x.i - y.i)
    .map((x) => x.e);
}
