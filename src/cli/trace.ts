// `synack trace`: print a capture file the way tcpdump 4.99.3 does
// (`tcpdump -r FILE` with the same display switches).

import { readFileSync, writeFileSync } from 'node:fs';
import type { CaptureError, CaptureRecord } from '../trace/capture.js';
import { readCapture } from '../trace/read-capture.js';
import { defaultPrintOptions, type PrintOptions } from '../trace/print/options.js';
import { TcpdumpPrinter } from '../trace/print/printer.js';
import { ladderText } from '../trace/diagram/text.js';
import { ladderSvg } from '../trace/diagram/svg.js';
import { stackSvg } from '../trace/graph/svg.js';
import { captureConnections, captureReport } from '../trace/report/capture.js';
import { htmlReport } from '../trace/report/html.js';

export const TRACE_USAGE = `usage: synack trace [-#AeSqvxX] [-n] [-t…] [--nano] [-c count] [-r] FILE
  FILE may be '-' for standard input; pcap and pcapng are read.
  -#  packet numbers        -S  absolute sequence numbers    -q  quick output
  -v  verbose (-vv more)    -t  no time; -tt epoch; -ttt delta; -tttt date; -ttttt since first
  -e  link-level header     -x/-xx hex, -X/-XX hex+ASCII, -A/-AA ASCII (doubled: with link header)
  -n/-nn  accepted (addresses and ports are always numeric)
  --nano  nanosecond timestamps      -c N  stop after N packets
  --diagram     print each TCP connection as an RFC 793 ladder instead of tcpdump lines
  --svg FILE    write the ladder diagram(s) as SVG     --html FILE  write the HTML report
  --rfc-isn     ladders: rebase the ISNs to 100 (A) and 300 (B) as the RFC figures do
  --conn N      ladders and report: only TCP connection N (1 = the first seen)
`;

export class UsageError extends Error {}

export interface TraceArgs {
  file: string;
  count: number;
  opts: PrintOptions;
  /** --diagram: ladders on standard output instead of tcpdump lines. */
  diagram?: boolean;
  /** --svg FILE: the ladder diagram(s) as SVG. */
  svg?: string;
  /** --html FILE: the HTML report. */
  html?: string;
  /** --rfc-isn: ISNs shown as 100 and 300. */
  rfcIsn?: boolean;
  /** --conn N: only this TCP connection in ladders and report. */
  conn?: number;
}

/** tcpdump-style option parsing: clustered short flags, `-c N`/`-cN`, `-r FILE`/`-rFILE`. */
export function parseTraceArgs(argv: string[]): TraceArgs {
  const opts = defaultPrintOptions({ localTime: (process.env['TZ'] ?? '') !== '' });
  let file: string | undefined;
  let count = Infinity;
  const drawing: Omit<TraceArgs, 'file' | 'count' | 'opts'> = {};
  const setFile = (f: string): void => {
    if (file !== undefined) throw new UsageError(`more than one capture file given ('${file}' and '${f}')`);
    file = f;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--nano' || a === '--time-stamp-precision=nano') {
      opts.nano = true;
      continue;
    }
    if (a === '--time-stamp-precision=micro') {
      opts.nano = false;
      continue;
    }
    if (a === '-h' || a === '--help') throw new UsageError('');
    if (a === '--diagram') {
      drawing.diagram = true;
      continue;
    }
    if (a === '--rfc-isn') {
      drawing.rfcIsn = true;
      continue;
    }
    const long = /^--(svg|html|conn)(?:=(.*))?$/.exec(a);
    if (long !== null) {
      let val = long[2];
      if (val === undefined) {
        val = argv[++i];
        if (val === undefined) throw new UsageError(`option --${long[1]} needs a value`);
      }
      if (long[1] === 'svg') drawing.svg = val;
      else if (long[1] === 'html') drawing.html = val;
      else {
        if (!/^[0-9]+$/.test(val) || Number(val) < 1) throw new UsageError(`invalid connection number '${val}'`);
        drawing.conn = Number(val);
      }
      continue;
    }
    if (a.startsWith('--')) throw new UsageError(`unknown option '${a}'`);
    if (a === '-' || !a.startsWith('-')) {
      setFile(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      switch (c) {
        case 'n':
          break;
        case '#':
          opts.packetNumber = true;
          break;
        case 'S':
          opts.absoluteSeq = true;
          break;
        case 'q':
          opts.quiet = true;
          break;
        case 'v':
          opts.verbose++;
          break;
        case 't':
          opts.tflag++;
          break;
        case 'e':
          opts.linkHeader = true;
          break;
        case 'x':
          opts.xflag++;
          break;
        case 'X':
          opts.Xflag++;
          break;
        case 'A':
          opts.Aflag++;
          break;
        case 'c':
        case 'r': {
          let val = a.slice(j + 1);
          if (val === '') {
            const next = argv[++i];
            if (next === undefined) throw new UsageError(`option -${c} needs a value`);
            val = next;
          }
          if (c === 'r') setFile(val);
          else {
            if (!/^[0-9]+$/.test(val) || Number(val) < 1) throw new UsageError(`invalid packet count '${val}'`);
            count = Number(val);
          }
          j = a.length;
          break;
        }
        default:
          throw new UsageError(`unknown option '-${c}'`);
      }
    }
  }
  if (opts.tflag > 5) throw new UsageError('only -t, -tt, -ttt, -tttt and -ttttt are defined');
  if (file === undefined) throw new UsageError('no capture file given (use - for standard input)');
  return { file, count, opts, ...drawing };
}

export function runTrace(argv: string[]): number {
  let args: TraceArgs;
  try {
    args = parseTraceArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message === '') {
        process.stdout.write(TRACE_USAGE);
        return 0;
      }
      process.stderr.write(`synack trace: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(args.file === '-' ? 0 : args.file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    process.stderr.write(`synack trace: ${args.file}: cannot read (${code})\n`);
    return 1;
  }
  const cap = readCapture(bytes);
  if (args.diagram === true || args.svg !== undefined || args.html !== undefined) {
    const drawn = drawCapture(args, cap.records.slice(0, Math.min(cap.records.length, args.count)), cap.linktype);
    if (drawn !== 0) return drawn;
  }
  if (args.diagram === true) return reportCaptureError(args, cap.error, cap.records.length);
  const printer = new TcpdumpPrinter(args.opts);
  const chunks: string[] = [];
  let size = 0;
  let printed = 0;
  for (const rec of cap.records) {
    if (printed >= args.count) break;
    const text = printer.print(rec);
    chunks.push(text);
    size += text.length;
    printed++;
    if (size > 1 << 20) {
      process.stdout.write(chunks.join(''));
      chunks.length = 0;
      size = 0;
    }
  }
  if (chunks.length > 0) process.stdout.write(chunks.join(''));
  return reportCaptureError(args, cap.error, printed);
}

function reportCaptureError(args: TraceArgs, error: CaptureError | undefined, printed: number): number {
  if (error !== undefined && printed < args.count) {
    const name = args.file === '-' ? 'standard input' : args.file;
    process.stderr.write(`synack trace: ${name}: record ${error.record + 1} at offset ${error.offset}: ${error.message}\n`);
    return 1;
  }
  return 0;
}

/** --diagram, --svg, --html: ladders, their SVG and the report. Returns 0, or the exit status of a failure. */
function drawCapture(args: TraceArgs, records: CaptureRecord[], linktype: number): number {
  const isn = args.rfcIsn === true ? ('rfc' as const) : ('asSeen' as const);
  const { connections, total } = captureConnections(records, linktype, { conn: args.conn });
  if (args.conn !== undefined && connections.length === 0) {
    process.stderr.write(`synack trace: no TCP connection ${args.conn} (the capture has ${total})\n`);
    return 1;
  }
  if (args.diagram === true) {
    const texts = connections.map(
      (c) => `Connection ${c.id}: TCP Peer A ${c.labels.A}, TCP Peer B ${c.labels.B}\n\n${ladderText(c.events, { isn })}`,
    );
    process.stdout.write(texts.length > 0 ? texts.join('\n') : 'no TCP connection in this capture\n');
  }
  const write = (path: string, text: string): boolean => {
    try {
      writeFileSync(path, text);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      process.stderr.write(`synack trace: ${path}: cannot write (${code})\n`);
      return false;
    }
  };
  if (args.svg !== undefined) {
    const svgs = connections.map((c) =>
      ladderSvg(c.events, { isn, title: c.title, labels: { A: `A  ${c.labels.A}`, B: `B  ${c.labels.B}` } }),
    );
    if (!write(args.svg, stackSvg(svgs))) return 1;
  }
  if (args.html !== undefined) {
    const name = args.file === '-' ? 'standard input' : args.file;
    const report = captureReport(records, linktype, { name, conn: args.conn, print: args.opts, ladder: { isn } });
    if (!write(args.html, htmlReport(report))) return 1;
  }
  return 0;
}
