// A scenario's timeline as text: one line per packet (tcpdump's words, with
// its fate), per state change and per note, stamped with simulated time.

import { LINKTYPE_RAW } from '../../trace/capture.js';
import { defaultPrintOptions } from '../../trace/print/options.js';
import { TcpdumpPrinter } from '../../trace/print/printer.js';
import { formatSeconds, type Timeline } from './timeline.js';

export interface RenderOptions {
  /** Absolute sequence numbers (tcpdump -S). */
  absoluteSeq?: boolean;
  /** Leave out state changes. */
  packetsOnly?: boolean;
}

export function renderTimeline(timeline: Timeline, opts: RenderOptions = {}): string {
  const printer = new TcpdumpPrinter(defaultPrintOptions({ tflag: 1, absoluteSeq: opts.absoluteSeq ?? false }));
  const lines: string[] = [];
  for (const e of timeline.entries) {
    const t = formatSeconds(e.t);
    if (e.kind === 'packet') {
      const text = printer.print({ tsSec: 0, tsNsec: 0, nanoPrecision: false, linktype: LINKTYPE_RAW, len: e.data.length, data: e.data, interfaceId: 0 }).trimEnd();
      const fate = e.lost ? '   [lost]' : '';
      lines.push(`${t}  ${e.from === 'A' ? 'A → B' : 'B → A'}  ${text}${fate}`);
    } else if (e.kind === 'state') {
      if (opts.packetsOnly) continue;
      lines.push(`${t}  ${e.side}      ${e.from} → ${e.to}`);
    } else {
      lines.push(`${t}  ${e.side ?? ' '}      -- ${e.text}`);
    }
  }
  return lines.join('\n') + '\n';
}
