// The RFC 793 / RFC 9293 §3.5 text ladder:
//
//   <n>.  <state of A>  <arrow>  <segment>  <arrow>  <state of B>
//
// Columns are as wide as their widest entry plus one space, so every arrow
// and every state of B starts in the same column. A right arrow `-->` is a
// segment from A, `<--` one from B; `...` stands in for the end a segment has
// not reached yet (RFC 9293 §3.5), and `XXX` for the end a lost segment never
// reaches (RFC 793 §3.4: "lost or rejected").

import { ladderRows, segmentText, seqView, type LadderRow } from './layout.js';
import type { LadderEvent, LadderOptions } from './types.js';

interface Cells {
  num: string;
  a: string;
  arrowA: string;
  seg: string;
  arrowB: string;
  b: string;
}

function cellsOf(row: LadderRow, n: number, segText: (row: Extract<LadderRow, { kind: 'segment' }>) => string): Cells {
  const num = `${n}.`;
  switch (row.kind) {
    case 'initial':
    case 'state':
      return { num, a: row.stateA ?? '', arrowA: '', seg: '', arrowB: '', b: row.stateB ?? '' };
    case 'timer': {
      // A comment in parentheses, as the RFC figures write "(Close)" or "(2 MSL)".
      const note = `(${row.name})`;
      return row.side === 'A'
        ? { num, a: note, arrowA: '', seg: '', arrowB: '', b: '' }
        : { num, a: '', arrowA: '', seg: '', arrowB: '', b: note };
    }
    case 'segment': {
      const arrow = row.seg.from === 'A' ? '-->' : '<--';
      let arrowA: string;
      let arrowB: string;
      const senderEnd = arrow;
      let receiverEnd: string;
      let senderShown = true;
      switch (row.part) {
        case 'whole':
          receiverEnd = arrow;
          break;
        case 'send':
          receiverEnd = '...';
          break;
        case 'lost':
          receiverEnd = 'XXX';
          break;
        case 'arrive':
          receiverEnd = arrow;
          senderShown = false;
          break;
      }
      if (row.seg.from === 'A') {
        arrowA = senderShown ? senderEnd : '...';
        arrowB = receiverEnd;
      } else {
        arrowB = senderShown ? senderEnd : '...';
        arrowA = receiverEnd;
      }
      return { num, a: row.stateA ?? '', arrowA, seg: segText(row), arrowB, b: row.stateB ?? '' };
    }
  }
}

/** The width a column needs: its widest entry and one space, or nothing when the column is empty. */
function width(values: string[]): number {
  const w = values.reduce((m, v) => Math.max(m, v.length), 0);
  return w === 0 ? 0 : w + 1;
}

/**
 * Render events as an RFC 9293 §3.5 figure. Lines are numbered from 1; line 1
 * holds the peers' first states when they are known.
 */
export function ladderText(events: readonly LadderEvent[], opts: LadderOptions = {}): string {
  const rows = ladderRows(events);
  const view = seqView(events, opts.isn);
  const cells = rows.map((row, i) => cellsOf(row, i + 1, (r) => segmentText(r.seg, view, opts)));
  const wNum = Math.max(4, String(rows.length).length + 3);
  const wA = width(cells.map((c) => c.a));
  const wArrow = cells.some((c) => c.arrowA !== '' || c.arrowB !== '') ? 4 : 0;
  const wSeg = width(cells.map((c) => c.seg));
  const colB = wNum + wA + wArrow + wSeg + wArrow;
  const out: string[] = [];
  if (opts.header !== false) {
    const la = opts.labels?.A ?? 'TCP Peer A';
    const lb = opts.labels?.B ?? 'TCP Peer B';
    const left = ' '.repeat(wNum) + la;
    out.push((left.length < colB ? left.padEnd(colB) : left + ' ') + lb);
    out.push('');
  }
  cells.forEach((c, i) => {
    const line =
      c.num.padEnd(wNum) +
      c.a.padEnd(wA) +
      (wArrow === 0 ? '' : c.arrowA.padEnd(wArrow)) +
      c.seg.padEnd(wSeg) +
      (wArrow === 0 ? '' : c.arrowB.padEnd(wArrow)) +
      c.b;
    if (i > 0 && opts.blankLines !== false) out.push('');
    out.push(line.trimEnd());
  });
  return out.join('\n') + '\n';
}
