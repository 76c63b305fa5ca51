// The state timeline: one band per peer, split where either peer changes
// state. Every interval gets a column of its own whatever its length (a
// handshake takes microseconds, ESTABLISHED seconds), with the time at
// which it starts written under it.

import { el, fmtDuration, num, svgRoot, text } from '../graph/svg.js';
import { displayState } from './layout.js';
import type { LadderEvent, Side, StateEvent } from './types.js';

export interface StateSpan {
  side: Side;
  state: string;
  from: number;
  /** End of the span: the next change, or the last event's time for the final state. */
  to: number;
  /** How many earlier spans of this side start at the same instant (states passed through at once). */
  order: number;
}

/** Each side's states as spans of time, in order. */
export function stateSpans(events: readonly LadderEvent[]): StateSpan[] {
  const end = events.reduce((m, e) => Math.max(m, e.t, e.kind === 'segment' ? (e.arrivedAt ?? e.sentAt) : e.t), -Infinity);
  const out: StateSpan[] = [];
  for (const side of ['A', 'B'] as const) {
    const mine = events
      .map((e, i) => ({ e, i }))
      .filter((x): x is { e: StateEvent; i: number } => x.e.kind === 'state' && x.e.side === side)
      .sort((x, y) => x.e.t - y.e.t || x.i - y.i)
      .map((x) => x.e);
    for (let i = 0; i < mine.length; i++) {
      const s = mine[i]!;
      const state = displayState(s.state);
      const next = mine[i + 1];
      const last = out[out.length - 1];
      if (last !== undefined && last.side === side && last.state === state) {
        last.to = next?.t ?? Math.max(end, s.t);
        continue;
      }
      if (last !== undefined && last.side === side) last.to = s.t;
      const order = last !== undefined && last.side === side && last.from === s.t ? last.order + 1 : 0;
      out.push({ side, state, from: s.t, to: next?.t ?? Math.max(end, s.t), order });
    }
  }
  return out;
}

const STATE_COLOR: Record<string, string> = {
  CLOSED: '#d9d9d9',
  LISTEN: '#c6dbef',
  'SYN-SENT': '#fdd49e',
  'SYN-RECEIVED': '#fdae6b',
  ESTABLISHED: '#a1d99b',
  'FIN-WAIT-1': '#fcbba1',
  'FIN-WAIT-2': '#fc9272',
  'CLOSE-WAIT': '#dadaeb',
  CLOSING: '#fb6a4a',
  'LAST-ACK': '#bcbddc',
  'TIME-WAIT': '#9ecae1',
};

export function stateColor(state: string): string {
  return STATE_COLOR[state] ?? '#eeeeee';
}

export interface TimelineOptions {
  labels?: { A?: string; B?: string };
  /** Width of one interval's column in pixels (default 104). */
  column?: number;
}

/** The state timeline as a standalone SVG document. */
export function stateTimelineSvg(events: readonly LadderEvent[], opts: TimelineOptions = {}): string {
  const spans = stateSpans(events);
  const t0 = events.reduce((m, e) => Math.min(m, e.t), Infinity);
  // One column per instant a state starts; states passed through at the same
  // instant get a column each, in order.
  const keyOf = (s: StateSpan): string => `${s.from}/${s.order}`;
  const cutList = [...new Map(spans.map((s) => [keyOf(s), { t: s.from, order: s.order }])).values()].sort(
    (x, y) => x.t - y.t || x.order - y.order,
  );
  const cutIndex = new Map(cutList.map((c, i) => [`${c.t}/${c.order}`, i]));
  const col = opts.column ?? 104;
  const left = 150;
  const width = left + Math.max(1, cutList.length) * col + 20;
  const bandH = 26;
  const rowY: Record<Side, number> = { A: 20, B: 20 + bandH + 10 };
  const parts: string[] = [];
  for (const side of ['A', 'B'] as const) {
    const label = side === 'A' ? (opts.labels?.A ?? 'TCP Peer A') : (opts.labels?.B ?? 'TCP Peer B');
    parts.push(text(left - 8, rowY[side] + bandH / 2 + 4, label, { 'text-anchor': 'end', 'font-weight': 'bold' }));
  }
  spans.forEach((s, i) => {
    const c0 = cutIndex.get(keyOf(s))!;
    const next = spans[i + 1];
    const c1 = next !== undefined && next.side === s.side ? cutIndex.get(keyOf(next))! : cutList.length;
    const x = left + c0 * col;
    const w = col * Math.max(1, c1 - c0);
    parts.push(
      el(
        'g',
        { class: 'span', 'data-side': s.side, 'data-state': s.state },
        el('title', {}, `${s.side}: ${s.state} from ${fmtDuration(s.from - t0)} to ${fmtDuration(s.to - t0)}`) +
          el('rect', { x: x + 1, y: rowY[s.side], width: w - 2, height: bandH, fill: stateColor(s.state), stroke: '#666666', 'stroke-width': 0.5, rx: 3 }) +
          text(x + w / 2, rowY[s.side] + bandH / 2 + 4, s.state, { 'text-anchor': 'middle', 'font-size': 10 }),
      ),
    );
  });
  const axisY = rowY.B + bandH + 16;
  cutList.forEach((c, i) => {
    const x = left + i * col;
    parts.push(el('line', { x1: x, y1: 14, x2: x, y2: axisY - 8, stroke: '#999999', 'stroke-dasharray': '2 3' }));
    if (c.order === 0) {
      parts.push(text(x + 2, axisY, fmtDuration(c.t - t0), { 'font-size': 10, fill: '#555555', transform: `rotate(30 ${num(x + 2)} ${num(axisY)})` }));
    }
  });
  if (spans.length === 0) parts.push(text(left, 40, 'no state known', { fill: '#888888' }));
  return svgRoot(width, axisY + 50, 'synack-timeline', parts.join('\n'));
}
