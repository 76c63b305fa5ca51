// A compact, ISN-independent account of a scenario's segments for tests:
// `time dir flags seq=S len=L ack=A win=W [options]`, seq relative to the
// sender's ISN and ack to the receiver's (signed, so older numbers show as
// negative), options only on segments that carry SYN.

import { ACK, FIN, PSH, RST, SYN, type TcpOption } from '../../src/wire/tcp-types.js';
import { segmentsOf } from '../../src/sim/scenario/segments.js';
import type { World } from '../../src/sim/scenario/world.js';

function flags(f: number): string {
  let s = '';
  if (f & FIN) s += 'F';
  if (f & SYN) s += 'S';
  if (f & RST) s += 'R';
  if (f & PSH) s += 'P';
  if (f & ACK) s += '.';
  return s;
}

function opt(o: TcpOption): string {
  switch (o.kind) {
    case 'mss':
      return `mss ${o.mss}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'timestamp':
      return 'TS';
    case 'sack':
      return 'sack';
    case 'unknown':
      return `opt-${o.type}`;
    default:
      return o.kind;
  }
}

function rel(x: number, base: number): number {
  return (x - base) | 0;
}

export function compact(w: World): string[] {
  const segs = segmentsOf(w.timeline);
  // The ISNs: the first SYN each side sent on its current connection.
  const isn: Record<'A' | 'B', number | undefined> = { A: undefined, B: undefined };
  const lines: string[] = [];
  for (const s of segsWithIsn(segs, isn)) lines.push(s);
  return lines;

  function* segsWithIsn(list: typeof segs, base: typeof isn): Generator<string> {
    for (const s of list) {
      const other = s.from === 'A' ? 'B' : 'A';
      if (s.seg.flags & SYN && base[s.from] === undefined) base[s.from] = s.seg.seq;
      const seqBase = base[s.from] ?? s.seg.seq;
      let line = `${(s.t / 1e6).toFixed(3)} ${s.from}>${other} ${flags(s.seg.flags)} seq=${rel(s.seg.seq, seqBase)}`;
      if (s.seg.payload.length > 0) line += ` len=${s.seg.payload.length}`;
      if (s.seg.flags & ACK) line += ` ack=${base[other] === undefined ? s.seg.ack : rel(s.seg.ack, base[other]!)}`;
      line += ` win=${s.seg.window}`;
      if (s.seg.flags & SYN) line += ` <${s.seg.options.map(opt).join(',')}>`;
      if (s.lost) line += ' LOST';
      yield line;
    }
  }
}
