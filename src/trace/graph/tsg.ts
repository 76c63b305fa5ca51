// Time-sequence graphs in the tcptrace / "Stevens" style, as SVG: time to
// the right, the sender's sequence numbers up. Each data segment is an
// I-bar from its first to its last sequence number; retransmissions are red;
// the receiver's cumulative ACK is a green step line and the right edge of
// its advertised window a yellow one; SACK blocks are purple bars. Below it:
// RTT samples, throughput, and cwnd/ssthresh when the input has them.

import { analyze, throughput, tsgInputFromEvents, type CwndSample, type TsgAnalysis, type TsgInput } from './analysis.js';
import type { LadderEvent } from '../diagram/types.js';
import { el, fmtBytes, fmtDuration, fmtRate, niceTicks, num, svgRoot, text } from './svg.js';

export interface TsgOptions {
  /** Width in pixels (default 960). */
  width?: number;
  /** Height of the time-sequence plot (default 400). */
  height?: number;
  /** Which plots to draw, in order (default all that have data). */
  plots?: ('tsg' | 'rtt' | 'throughput' | 'cwnd')[];
  /** Prefix of element ids (clip paths), unique per drawing when several share a page (default 'tsg'). */
  idPrefix?: string;
}

const LEFT = 90;
const RIGHT = 28;
const SMALL = 150;
const GAP = 60;

const C = {
  data: '#1a1a1a',
  retrans: '#d62728',
  lost: '#d62728',
  ack: '#2ca02c',
  win: '#bcbd22',
  sack: '#9467bd',
  rtt: '#1f77b4',
  sent: '#7f7f7f',
  acked: '#1f77b4',
  cwnd: '#ff7f0e',
  ssthresh: '#8c564b',
  grid: '#e6e6e6',
  frame: '#555555',
};

interface Frame {
  x: number;
  y: number;
  w: number;
  h: number;
  t0: number;
  t1: number;
  v0: number;
  v1: number;
}

function fx(f: Frame, t: number): number {
  return f.x + ((t - f.t0) / (f.t1 - f.t0)) * f.w;
}
function fy(f: Frame, v: number): number {
  return f.y + f.h - ((v - f.v0) / (f.v1 - f.v0)) * f.h;
}

/** Frame, grid, tick labels and titles of one plot. */
function axes(f: Frame, title: string, yLabel: string, fmtY: (v: number) => string, cls: string): string {
  const parts: string[] = [];
  parts.push(text(f.x, f.y - 10, title, { 'font-weight': 'bold', 'font-size': 12 }));
  for (const t of niceTicks(f.t0, f.t1, 8)) {
    const x = fx(f, t);
    parts.push(el('line', { x1: x, y1: f.y, x2: x, y2: f.y + f.h, stroke: C.grid }));
    parts.push(text(x, f.y + f.h + 14, fmtDuration(t), { 'text-anchor': 'middle', 'font-size': 10, fill: '#555555' }));
  }
  for (const v of niceTicks(f.v0, f.v1, 5)) {
    const y = fy(f, v);
    parts.push(el('line', { x1: f.x, y1: y, x2: f.x + f.w, y2: y, stroke: C.grid }));
    parts.push(text(f.x - 6, y + 4, fmtY(v), { 'text-anchor': 'end', 'font-size': 10, fill: '#555555' }));
  }
  parts.push(el('rect', { x: f.x, y: f.y, width: f.w, height: f.h, fill: 'none', stroke: C.frame }));
  const cy = f.y + f.h / 2;
  parts.push(text(16, cy, yLabel, { 'text-anchor': 'middle', 'font-size': 10, fill: '#555555', transform: `rotate(-90 16 ${num(cy)})` }));
  return el('g', { class: `axes ${cls}-axes` }, parts.join(''));
}

function legend(x: number, y: number, items: [string, string, string?][]): string {
  let cx = x;
  const parts: string[] = [];
  for (const [label, color, dash] of items) {
    parts.push(el('line', { x1: cx, y1: y - 4, x2: cx + 18, y2: y - 4, stroke: color, 'stroke-width': 3, 'stroke-dasharray': dash }));
    parts.push(text(cx + 22, y, label, { 'font-size': 10 }));
    cx += 30 + label.length * 6.2;
  }
  return el('g', { class: 'legend' }, parts.join(''));
}

/** A step line through (t, v) points: level until the next point, then a jump. */
function stepPath(f: Frame, pts: { t: number; v: number }[], tEnd: number): string {
  if (pts.length === 0) return '';
  let d = `M${num(fx(f, pts[0]!.t))},${num(fy(f, pts[0]!.v))}`;
  for (let i = 1; i < pts.length; i++) {
    d += `H${num(fx(f, pts[i]!.t))}V${num(fy(f, pts[i]!.v))}`;
  }
  d += `H${num(fx(f, tEnd))}`;
  return d;
}

function ibars(f: Frame, marks: { t: number; start: number; end: number }[]): string {
  let d = '';
  for (const m of marks) {
    const x = num(fx(f, m.t));
    const y1 = fy(f, m.start);
    const y2 = fy(f, m.end);
    d += `M${x},${num(y1)}V${num(y2)}M${num(fx(f, m.t) - 2.5)},${num(y1)}h5M${num(fx(f, m.t) - 2.5)},${num(y2)}h5`;
  }
  return d;
}

function tsgPlot(a: TsgAnalysis, f0: Omit<Frame, 'v0' | 'v1'>, idPrefix: string): string {
  let vMax = 1;
  let vMin = 0;
  for (const d of a.data) {
    vMax = Math.max(vMax, d.end);
    vMin = Math.min(vMin, d.start);
  }
  for (const k of a.acks) {
    vMax = Math.max(vMax, k.ack, k.win ?? 0);
  }
  for (const s of a.sacks) vMax = Math.max(vMax, s.end);
  const pad = (vMax - vMin) * 0.03;
  const f: Frame = { ...f0, v0: vMin - pad, v1: vMax + pad };
  const parts: string[] = [axes(f, 'Time-sequence graph', 'relative sequence number (bytes)', (v) => String(Math.round(v)), 'tsg')];
  const clipId = `${idPrefix}-clip`;
  const plot: string[] = [];
  const win = a.acks.filter((k) => k.win !== undefined).map((k) => ({ t: k.t, v: k.win! }));
  if (win.length > 0) plot.push(el('path', { d: stepPath(f, win, a.tMax), fill: 'none', stroke: C.win, 'stroke-width': 1.5, class: 'win-line' }));
  if (a.acks.length > 0) {
    plot.push(el('path', { d: stepPath(f, a.acks.map((k) => ({ t: k.t, v: k.ack })), a.tMax), fill: 'none', stroke: C.ack, 'stroke-width': 1.5, class: 'ack-line' }));
  }
  const normal = a.data.filter((d) => !d.retransmission && !d.lost);
  const retrans = a.data.filter((d) => d.retransmission && !d.lost);
  const lost = a.data.filter((d) => d.lost);
  if (normal.length > 0) plot.push(el('path', { d: ibars(f, normal), stroke: C.data, 'stroke-width': 1.2, fill: 'none', class: 'data' }));
  if (lost.length > 0) plot.push(el('path', { d: ibars(f, lost), stroke: C.lost, 'stroke-width': 1.2, 'stroke-dasharray': '2 2', fill: 'none', class: 'lost' }));
  if (retrans.length > 0) plot.push(el('path', { d: ibars(f, retrans), stroke: C.retrans, 'stroke-width': 2, fill: 'none', class: 'retrans' }));
  if (a.sacks.length > 0) {
    let d = '';
    for (const s of a.sacks) d += `M${num(fx(f, s.t) + 3)},${num(fy(f, s.start))}V${num(fy(f, s.end))}`;
    plot.push(el('path', { d, stroke: C.sack, 'stroke-width': 2.5, fill: 'none', class: 'sack' }));
  }
  for (const d of a.data) {
    if (!d.syn && !d.fin) continue;
    plot.push(text(fx(f, d.t) + 4, fy(f, d.end) - 3, d.syn ? 'S' : 'F', { 'font-size': 10, fill: C.data, class: d.syn ? 'syn-mark' : 'fin-mark' }));
  }
  parts.push(el('clipPath', { id: clipId }, el('rect', { x: f.x, y: f.y, width: f.w, height: f.h })));
  parts.push(el('g', { 'clip-path': `url(#${clipId})` }, plot.join('')));
  parts.push(
    legend(f.x + 220, f.y - 10, [
      ['data', C.data],
      ['retransmission', C.retrans],
      ['ACK', C.ack],
      ['window', C.win],
      ['SACK', C.sack],
    ]),
  );
  return el('g', { class: 'tsg' }, parts.join(''));
}

function rttPlot(a: TsgAnalysis, f0: Omit<Frame, 'v0' | 'v1'>): string {
  const max = a.rtt.reduce((m, s) => Math.max(m, s.rtt), 0);
  const f: Frame = { ...f0, v0: 0, v1: max > 0 ? max * 1.1 : 1000 };
  const parts = [axes(f, 'Round-trip time samples', 'RTT', (v) => fmtDuration(v), 'rtt')];
  if (a.rtt.length === 0) {
    parts.push(text(f.x + f.w / 2, f.y + f.h / 2, 'no RTT sample (no ACK of a segment sent once)', { 'text-anchor': 'middle', fill: '#888888' }));
  } else {
    let d = '';
    for (const s of a.rtt) {
      const x = fx(f, s.t);
      const y = fy(f, s.rtt);
      d += `M${num(x - 3)},${num(y)}h6M${num(x)},${num(y - 3)}v6`;
    }
    parts.push(el('path', { d, stroke: C.rtt, 'stroke-width': 1.5, fill: 'none', class: 'rtt-samples' }));
  }
  return el('g', { class: 'rtt' }, parts.join(''));
}

function throughputPlot(a: TsgAnalysis, f0: Omit<Frame, 'v0' | 'v1'>): string {
  const buckets = throughput(a, 40);
  const max = buckets.reduce((m, b) => Math.max(m, b.sentBps, b.ackedBps), 0);
  const f: Frame = { ...f0, v0: 0, v1: max > 0 ? max * 1.1 : 1 };
  const parts = [axes(f, 'Throughput', 'bits per second', fmtRate, 'throughput')];
  const line = (key: 'sentBps' | 'ackedBps'): string => {
    if (buckets.length === 0) return '';
    let d = `M${num(fx(f, buckets[0]!.t0))},${num(fy(f, buckets[0]![key]))}`;
    for (const b of buckets) d += `V${num(fy(f, b[key]))}H${num(fx(f, b.t1))}`;
    return d;
  };
  if (buckets.length > 0) {
    parts.push(el('path', { d: line('sentBps'), stroke: C.sent, 'stroke-width': 1.5, fill: 'none', class: 'sent-rate' }));
    parts.push(el('path', { d: line('ackedBps'), stroke: C.acked, 'stroke-width': 1.5, fill: 'none', class: 'acked-rate' }));
  }
  parts.push(legend(f.x + 220, f.y - 10, [['sent', C.sent], ['acknowledged', C.acked]]));
  return el('g', { class: 'throughput' }, parts.join(''));
}

/** ssthresh values this large mean "not set yet" (Linux starts it at 2^31 - 1). */
const SSTHRESH_UNSET = 0x7fffffff;

function cwndPlot(samples: readonly CwndSample[], a: TsgAnalysis, f0: Omit<Frame, 'v0' | 'v1'>): string {
  const ss = samples.filter((s) => typeof s.ssthresh === 'number' && s.ssthresh < SSTHRESH_UNSET);
  const max = Math.max(1, ...samples.map((s) => s.cwnd), ...ss.map((s) => s.ssthresh as number));
  const f: Frame = { ...f0, v0: 0, v1: max * 1.1 };
  const parts = [axes(f, 'Congestion window', 'bytes', fmtBytes, 'cwnd')];
  const sorted = [...samples].sort((x, y) => x.t - y.t);
  parts.push(el('path', { d: stepPath(f, sorted.map((s) => ({ t: s.t, v: s.cwnd })), a.tMax), stroke: C.cwnd, 'stroke-width': 2, fill: 'none', class: 'cwnd-line' }));
  if (ss.length > 0) {
    const pts = [...ss].sort((x, y) => x.t - y.t).map((s) => ({ t: s.t, v: s.ssthresh as number }));
    parts.push(el('path', { d: stepPath(f, pts, a.tMax), stroke: C.ssthresh, 'stroke-width': 1.5, 'stroke-dasharray': '6 3', fill: 'none', class: 'ssthresh-line' }));
  }
  parts.push(legend(f.x + 220, f.y - 10, [['cwnd', C.cwnd], ['ssthresh', C.ssthresh, '6 3']]));
  return el('g', { class: 'cwnd' }, parts.join(''));
}

function summary(a: TsgAnalysis): string {
  const parts = [`${a.sender} sends ${fmtBytes(a.bytesSent)}`, `${a.retransmissions} retransmission${a.retransmissions === 1 ? '' : 's'}`];
  if (a.sacks.length > 0) parts.push(`${a.sacks.length} SACK block${a.sacks.length === 1 ? '' : 's'}`);
  if (a.rtt.length > 0) {
    const r = a.rtt.map((s) => s.rtt).sort((x, y) => x - y);
    parts.push(`RTT min ${fmtDuration(r[0]!)}, median ${fmtDuration(r[Math.floor(r.length / 2)]!)}, max ${fmtDuration(r[r.length - 1]!)}`);
  }
  return parts.join(' · ');
}

/** The plots of one connection: markup and height, for stacking. */
export function connectionPlots(input: TsgInput, opts: TsgOptions = {}): { body: string; height: number; analysis: TsgAnalysis } {
  const a = analyze(input);
  const width = opts.width ?? 960;
  const w = width - LEFT - RIGHT;
  let span = a.tMax - a.tMin;
  if (span <= 0) span = 1000;
  const t0 = a.tMin - span * 0.02;
  const t1 = a.tMin + span * 1.02;
  const wanted = opts.plots ?? ['tsg', 'rtt', 'throughput', 'cwnd'];
  const parts: string[] = [];
  let y = 0;
  const title = input.title ?? 'TCP connection';
  parts.push(text(LEFT, y + 18, title, { 'font-size': 14, 'font-weight': 'bold', class: 'conn-title' }));
  parts.push(text(LEFT, y + 36, summary(a), { 'font-size': 11, fill: '#444444', class: 'conn-summary' }));
  y += 44 + GAP - 20;
  for (const p of wanted) {
    if (p === 'cwnd' && (input.cwnd === undefined || input.cwnd.length === 0)) continue;
    const h = p === 'tsg' ? (opts.height ?? 400) : SMALL;
    const frame = { x: LEFT, y, w, h, t0, t1 };
    if (p === 'tsg') parts.push(tsgPlot(a, frame, opts.idPrefix ?? 'tsg'));
    else if (p === 'rtt') parts.push(rttPlot(a, frame));
    else if (p === 'throughput') parts.push(throughputPlot(a, frame));
    else parts.push(cwndPlot(input.cwnd ?? [], a, frame));
    y += h + GAP;
  }
  return { body: el('g', { class: 'connection' }, parts.join('\n')), height: y - GAP + 30, analysis: a };
}

/**
 * One connection's time-sequence graph and plots, as a standalone SVG
 * document; from graph input, or from ladder events (seen from the data sender).
 */
export function timeSequenceSvg(input: TsgInput | readonly LadderEvent[], opts: TsgOptions = {}): string {
  const { body, height } = connectionPlots(isEvents(input) ? tsgInputFromEvents(input) : input, opts);
  return svgRoot(opts.width ?? 960, height, 'synack-graph', body);
}

function isEvents(input: TsgInput | readonly LadderEvent[]): input is readonly LadderEvent[] {
  return Array.isArray(input);
}

/** Several connections' plots stacked in one SVG document. */
export function graphsSvg(inputs: readonly TsgInput[], opts: TsgOptions = {}): string {
  let y = 0;
  const parts: string[] = [];
  inputs.forEach((input, i) => {
    const { body, height } = connectionPlots(input, { ...opts, idPrefix: `${opts.idPrefix ?? 'tsg'}-${i + 1}` });
    parts.push(el('g', { transform: `translate(0 ${num(y)})` }, body));
    y += height + 30;
  });
  if (inputs.length === 0) {
    parts.push(text(20, 30, 'no TCP connection in this capture', { 'font-size': 13 }));
    y = 50;
  }
  return svgRoot(opts.width ?? 960, Math.max(y, 50), 'synack-graph', parts.join('\n'));
}

