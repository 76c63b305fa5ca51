// One capture record in, tcpdump's text out (print.c's pretty_print_packet).

import type { CaptureRecord } from '../capture.js';
import { PrintContext, Truncated } from './context.js';
import { asciiText, hexAsciiLines, hexLines } from './hexdump.js';
import { IpPrinter } from './ip.js';
import { LinkPrinter } from './link.js';
import type { PrintOptions } from './options.js';
import { TcpSeqTable } from './tcp.js';
import { TimestampFormatter } from './timestamp.js';

/** The largest capture length tcpdump accepts for a record. */
const MAXIMUM_SNAPLEN = 262144;

export class TcpdumpPrinter {
  private readonly opts: PrintOptions;
  private readonly seqTable = new TcpSeqTable();
  private readonly timestamps: TimestampFormatter;
  private count = 0;

  constructor(opts: PrintOptions) {
    this.opts = opts;
    this.timestamps = new TimestampFormatter({ tflag: opts.tflag, nano: opts.nano, localTime: opts.localTime });
  }

  /** The text for one record, ending in a newline. */
  print(rec: CaptureRecord): string {
    this.count++;
    const opts = this.opts;
    let head = opts.packetNumber ? `${String(this.count).padStart(5, ' ')}  ` : '';
    const caplen = rec.data.length;
    const problems: string[] = [];
    if (caplen === 0) problems.push(' caplen==0');
    if (rec.len === 0) problems.push(' len==0');
    else if (rec.len < caplen) problems.push(` len(${rec.len}) < caplen(${caplen})`);
    if (caplen > MAXIMUM_SNAPLEN) problems.push(` caplen(${caplen}) > ${MAXIMUM_SNAPLEN}`);
    if (rec.len > MAXIMUM_SNAPLEN) problems.push(` len(${rec.len}) > ${MAXIMUM_SNAPLEN}`);
    if (problems.length > 0) {
      return `${head}[Invalid header:${problems.join(',')}]\n`;
    }
    head += this.timestamps.format(rec.tsSec, rec.tsNsec);

    const ctx = new PrintContext(rec.data);
    const ip = new IpPrinter(ctx, opts, this.seqTable);
    const link = new LinkPrinter(ctx, opts, ip);
    try {
      link.print(rec.linktype, rec.len);
    } catch (e) {
      if (!(e instanceof Truncated)) throw e;
      ctx.printTrunc();
      ctx.llHeaderLength = 0;
    }
    ctx.resetSnaplen();
    let tail = '';
    const hdr = ctx.llHeaderLength;
    const d = rec.data;
    if (opts.Xflag > 0) {
      if (opts.Xflag > 1) tail = hexAsciiLines(d, 0, caplen);
      else if (caplen > hdr) tail = hexAsciiLines(d, hdr, caplen);
    } else if (opts.xflag > 0) {
      if (opts.xflag > 1) tail = hexLines(d, 0, caplen);
      else if (caplen > hdr) tail = hexLines(d, hdr, caplen);
    } else if (opts.Aflag > 0) {
      if (opts.Aflag > 1) tail = asciiText(d, 0, caplen);
      else if (caplen > hdr) tail = asciiText(d, hdr, caplen);
    }
    return head + ctx.text() + tail + '\n';
  }
}
