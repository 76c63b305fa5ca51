// The ladder as an SVG sequence diagram: one vertical time line per peer,
// a slanted arrow per segment from its departure (on the sender's line) to
// its arrival (on the receiver's), lost segments ending in a cross, state
// names beside each line where they change, timer firings as diamonds.
//
// The vertical axis follows the lines of the text ladder, spaced by the time
// between them: proportional up to a cap (a long idle period is drawn as a
// break with its duration) and never closer than a line of text.

import { ACK, RST, SYN } from '../../wire/tcp-types.js';
import { el, esc, fmtDuration, num, svgRoot, text } from '../graph/svg.js';
import { ladderRows, segmentText, seqView, type LadderRow } from './layout.js';
import type { LadderEvent, LadderSvgOptions, SegmentEvent, Side } from './types.js';

const ROW_MIN = 24;
const ROW_MAX = 140;
const TOP = 78;

const COLOR = {
  A: '#1f4e9c',
  B: '#1d7a46',
  lost: '#c0392b',
  rst: '#a33a00',
  state: '#333333',
  timer: '#c77c00',
  axis: '#999999',
};

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Placed {
  row: LadderRow;
  /** y of the line (the departure for a segment row). */
  y: number;
  /** y of the arrival, for a segment row that shows one. */
  yArr: number;
}

/**
 * How time becomes height. When segments take time to cross (events from a
 * simulation), a typical delay gets a readable slope and gaps are
 * proportional up to a cap. When every arrow is level (a capture, where
 * departure and arrival share the capture time), lines are a text line apart
 * plus a little more the longer the gap (logarithmically), and only long
 * idle periods are drawn as breaks.
 */
interface TimeScale {
  /** Pixels per microsecond for slopes (0 when every arrow is level). */
  perUs: number;
  /** Space before a line that comes `gap` µs after the previous one, and whether a break marks it. */
  gap(gap: number): { dy: number; cut: boolean };
}

function timeScale(events: readonly LadderEvent[], rows: readonly LadderRow[]): TimeScale {
  const delays: number[] = [];
  for (const e of events) {
    if (e.kind === 'segment' && e.arrivedAt !== undefined && e.arrivedAt > e.sentAt) delays.push(e.arrivedAt - e.sentAt);
  }
  const d = median(delays);
  if (d !== undefined && d > 0) {
    const perUs = 48 / d;
    return {
      perUs,
      gap(gap) {
        const want = gap * perUs;
        return { dy: Math.min(Math.max(want, ROW_MIN), ROW_MAX), cut: want > ROW_MAX };
      },
    };
  }
  const gaps: number[] = [];
  for (let i = 1; i < rows.length; i++) {
    const g = rows[i]!.t - rows[i - 1]!.t;
    if (g > 0) gaps.push(g);
  }
  const typical = median(gaps) ?? 0;
  return {
    perUs: 0,
    gap(gap) {
      if (typical <= 0 || gap <= typical) return { dy: ROW_MIN, cut: false };
      const ratio = gap / typical;
      return { dy: ROW_MIN + Math.min(48, 8 * Math.log2(ratio)), cut: ratio >= 100 && gap >= 1000 };
    },
  };
}

function place(events: readonly LadderEvent[], rows: readonly LadderRow[]): { placed: Placed[]; breaks: { y: number; gap: number }[] } {
  const scale = timeScale(events, rows);
  const placed: Placed[] = [];
  const breaks: { y: number; gap: number }[] = [];
  let curT = rows[0]?.t ?? 0;
  let curY = TOP - ROW_MIN;
  for (const row of rows) {
    const gap = Math.max(0, row.t - curT);
    const { dy, cut } = scale.gap(gap);
    if (cut) breaks.push({ y: curY + dy / 2, gap });
    const y = curY + dy;
    let yArr = y;
    let endT = row.t;
    if (row.kind === 'segment' && row.part === 'whole' && row.seg.arrivedAt !== undefined) {
      yArr = y + Math.min((row.seg.arrivedAt - row.seg.sentAt) * scale.perUs, ROW_MAX);
      endT = row.seg.arrivedAt;
    }
    placed.push({ row, y, yArr });
    curY = yArr;
    curT = endT;
  }
  return { placed, breaks };
}

function segColor(seg: SegmentEvent): string {
  if ((seg.flags & RST) !== 0) return COLOR.rst;
  return COLOR[seg.from];
}

function arrowHead(x: number, y: number, fromX: number, fromY: number, color: string): string {
  const ang = Math.atan2(y - fromY, x - fromX);
  const len = 9;
  const wing = 0.42;
  const p1 = [x - len * Math.cos(ang - wing), y - len * Math.sin(ang - wing)];
  const p2 = [x - len * Math.cos(ang + wing), y - len * Math.sin(ang + wing)];
  return el('polygon', { points: `${num(x)},${num(y)} ${num(p1[0]!)},${num(p1[1]!)} ${num(p2[0]!)},${num(p2[1]!)}`, fill: color });
}

/** A label along the segment's line, upright whichever way it points. */
function alongLabel(x1: number, y1: number, x2: number, y2: number, label: string, color: string): string {
  const [lx, ly, rx, ry] = x1 <= x2 ? [x1, y1, x2, y2] : [x2, y2, x1, y1];
  const ang = (Math.atan2(ry - ly, rx - lx) * 180) / Math.PI;
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  return text(cx, cy - 4, label, {
    'text-anchor': 'middle',
    fill: color,
    transform: Math.abs(ang) < 0.01 ? undefined : `rotate(${num(ang)} ${num(cx)} ${num(cy)})`,
  });
}

function tooltip(seg: SegmentEvent, label: string, t0: number): string {
  const parts = [
    `${seg.from === 'A' ? 'A → B' : 'B → A'} ${label}`,
    `sent ${fmtDuration(seg.sentAt - t0)}`,
    seg.arrivedAt === undefined ? 'lost' : `arrived ${fmtDuration(seg.arrivedAt - t0)}`,
  ];
  if (seg.len > 0) parts.push(`${seg.len} bytes`);
  if (seg.window !== undefined) parts.push(`win ${seg.window}`);
  return el('title', {}, esc(parts.join(', ')));
}

/**
 * Render events as an SVG sequence diagram (a standalone document). Segment
 * labels use the text ladder's notation and options (isn, dataLength, allFlags).
 */
export function ladderSvg(events: readonly LadderEvent[], opts: LadderSvgOptions = {}): string {
  const rows = ladderRows(events);
  const view = seqView(events, opts.isn);
  const width = Math.max(opts.width ?? 820, 560);
  const xA = Math.round(width * 0.3);
  const xB = width - xA;
  const x: Record<Side, number> = { A: xA, B: xB };
  const { placed, breaks } = place(events, rows);
  const t0 = rows[0]?.t ?? 0;
  const lastY = placed.reduce((m, p) => Math.max(m, p.y, p.yArr), TOP);
  const height = lastY + 36;
  const parts: string[] = [];

  const la = opts.labels?.A ?? 'TCP Peer A';
  const lb = opts.labels?.B ?? 'TCP Peer B';
  parts.push(text(xA, 48, la, { 'text-anchor': 'middle', 'font-weight': 'bold', class: 'peer peer-a' }));
  parts.push(text(xB, 48, lb, { 'text-anchor': 'middle', 'font-weight': 'bold', class: 'peer peer-b' }));
  for (const side of ['A', 'B'] as const) {
    parts.push(el('line', { x1: x[side], y1: 56, x2: x[side], y2: height - 16, stroke: '#444444', 'stroke-width': 2, class: `lifeline lifeline-${side.toLowerCase()}` }));
  }
  for (const b of breaks) {
    parts.push(
      el(
        'g',
        { class: 'gap' },
        el('line', { x1: xA - 40, y1: b.y, x2: xB + 40, y2: b.y, stroke: COLOR.axis, 'stroke-dasharray': '4 4' }) +
          el('rect', { x: width / 2 - 46, y: b.y - 9, width: 92, height: 16, fill: '#ffffff' }) +
          text(width / 2, b.y + 4, `+ ${fmtDuration(b.gap)}`, { 'text-anchor': 'middle', fill: '#666666' }),
      ),
    );
  }

  const lastState: Record<Side, string | undefined> = { A: undefined, B: undefined };
  const stateMark = (side: Side, state: string | undefined, y: number): void => {
    if (state === undefined || state === lastState[side]) return;
    lastState[side] = state;
    const tx = side === 'A' ? xA - 12 : xB + 12;
    parts.push(
      el(
        'g',
        { class: 'state', 'data-side': side, 'data-state': state },
        el('circle', { cx: x[side], cy: y, r: 3.5, fill: COLOR.state }) +
          text(tx, y + 4, state, { 'text-anchor': side === 'A' ? 'end' : 'start', fill: COLOR.state, 'font-weight': 'bold' }),
      ),
    );
  };
  let lastTime: number | undefined;
  const timeMark = (t: number, y: number): void => {
    if (t === lastTime) return;
    lastTime = t;
    parts.push(text(8, y + 4, fmtDuration(t - t0), { fill: '#777777', 'font-size': 10, class: 'time' }));
  };

  // Where each segment's departure was drawn, for arrivals on a later line.
  const departures = new Map<number, { y: number }>();
  for (const p of placed) {
    const row = p.row;
    switch (row.kind) {
      case 'initial':
      case 'state':
        timeMark(row.t, p.y);
        stateMark('A', row.stateA, p.y);
        stateMark('B', row.stateB, p.y);
        break;
      case 'timer': {
        timeMark(row.t, p.y);
        const cx = x[row.side];
        const tx = row.side === 'A' ? cx - 12 : cx + 12;
        parts.push(
          el(
            'g',
            { class: 'timer', 'data-side': row.side },
            el('polygon', { points: `${num(cx)},${num(p.y - 6)} ${num(cx + 6)},${num(p.y)} ${num(cx)},${num(p.y + 6)} ${num(cx - 6)},${num(p.y)}`, fill: COLOR.timer }) +
              text(tx, p.y + 4, `(${row.name})`, { 'text-anchor': row.side === 'A' ? 'end' : 'start', fill: COLOR.timer, 'font-style': 'italic' }),
          ),
        );
        break;
      }
      case 'segment': {
        const seg = row.seg;
        const to: Side = seg.from === 'A' ? 'B' : 'A';
        const label = segmentText(seg, view, opts);
        const color = segColor(seg);
        const x1 = x[seg.from];
        const x2 = x[to];
        if (row.part === 'send') {
          timeMark(row.t, p.y);
          departures.set(row.segIndex, { y: p.y });
          stateMark(seg.from, seg.from === 'A' ? row.stateA : row.stateB, p.y);
          break;
        }
        if (row.part === 'lost') {
          timeMark(row.t, p.y);
          stateMark(seg.from, seg.from === 'A' ? row.stateA : row.stateB, p.y);
          const ex = x1 + (x2 - x1) * 0.8;
          const ey = p.y + 30;
          parts.push(
            el(
              'g',
              { class: 'segment lost', 'data-from': seg.from },
              tooltip(seg, label, t0) +
                el('line', { x1, y1: p.y, x2: ex, y2: ey, stroke: COLOR.lost, 'stroke-width': 1.5, 'stroke-dasharray': '6 3' }) +
                el('line', { x1: ex - 6, y1: ey - 6, x2: ex + 6, y2: ey + 6, stroke: COLOR.lost, 'stroke-width': 2.5, class: 'cross' }) +
                el('line', { x1: ex - 6, y1: ey + 6, x2: ex + 6, y2: ey - 6, stroke: COLOR.lost, 'stroke-width': 2.5, class: 'cross' }) +
                alongLabel(x1, p.y, ex, ey, label, COLOR.lost),
            ),
          );
          break;
        }
        // 'whole' or 'arrive': draw the arrow from departure to arrival.
        let y1: number;
        let y2: number;
        if (row.part === 'whole') {
          y1 = p.y;
          y2 = p.yArr;
          timeMark(row.t, y1);
          stateMark(seg.from, seg.from === 'A' ? row.stateA : row.stateB, y1);
        } else {
          y1 = departures.get(row.segIndex)?.y ?? p.y;
          y2 = p.y;
          timeMark(row.t, y2);
        }
        stateMark(to, to === 'A' ? row.stateA : row.stateB, y2);
        const flagsClass = (seg.flags & SYN) !== 0 ? ' syn' : (seg.flags & ACK) !== 0 && seg.len === 0 ? ' pure-ack' : seg.len > 0 ? ' data' : '';
        parts.push(
          el(
            'g',
            { class: `segment${flagsClass}`, 'data-from': seg.from },
            tooltip(seg, label, t0) +
              el('line', { x1, y1, x2: x2 + (x1 < x2 ? -1 : 1), y2, stroke: color, 'stroke-width': 1.5 }) +
              arrowHead(x2, y2, x1, y1, color) +
              alongLabel(x1, y1, x2, y2, label, color),
          ),
        );
        break;
      }
    }
  }
  // A title too long for one line is wrapped, and the drawing moved down under it.
  const titleLines = opts.title === undefined ? [] : wrapWords(opts.title, Math.floor((width - 24) / 8.5));
  const extra = Math.max(0, titleLines.length - 1) * 18;
  const title = titleLines.map((line, i) => text(width / 2, 22 + i * 18, line, { 'text-anchor': 'middle', 'font-size': 14, 'font-weight': 'bold', class: 'title' }));
  const body = parts.join('\n');
  return svgRoot(width, height + extra, 'synack-ladder', [...title, extra === 0 ? body : el('g', { transform: `translate(0 ${extra})` }, body)].join('\n'));
}

/** Words in lines of at most `max` characters (a longer word gets a line of its own). */
export function wrapWords(s: string, max: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const word of s.split(/\s+/).filter((w) => w !== '')) {
    if (cur === '') cur = word;
    else if (cur.length + 1 + word.length <= max) cur += ' ' + word;
    else {
      lines.push(cur);
      cur = word;
    }
  }
  if (cur !== '') lines.push(cur);
  return lines;
}
