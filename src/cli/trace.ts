// `synack trace`: print a capture file the way tcpdump 4.99.3 does
// (`tcpdump -r FILE` with the same display switches).

import { readFileSync } from 'node:fs';
import { readCapture } from '../trace/read-capture.js';
import { defaultPrintOptions, type PrintOptions } from '../trace/print/options.js';
import { TcpdumpPrinter } from '../trace/print/printer.js';

export const TRACE_USAGE = `usage: synack trace [-#AeSqvxX] [-n] [-t…] [--nano] [-c count] [-r] FILE
  FILE may be '-' for standard input; pcap and pcapng are read.
  -#  packet numbers        -S  absolute sequence numbers    -q  quick output
  -v  verbose (-vv more)    -t  no time; -tt epoch; -ttt delta; -tttt date; -ttttt since first
  -e  link-level header     -x/-xx hex, -X/-XX hex+ASCII, -A/-AA ASCII (doubled: with link header)
  -n/-nn  accepted (addresses and ports are always numeric)
  --nano  nanosecond timestamps      -c N  stop after N packets
`;

export class UsageError extends Error {}

export interface TraceArgs {
  file: string;
  count: number;
  opts: PrintOptions;
}

/** tcpdump-style option parsing: clustered short flags, `-c N`/`-cN`, `-r FILE`/`-rFILE`. */
export function parseTraceArgs(argv: string[]): TraceArgs {
  const opts = defaultPrintOptions({ localTime: (process.env['TZ'] ?? '') !== '' });
  let file: string | undefined;
  let count = Infinity;
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
  return { file, count, opts };
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
  if (cap.error !== undefined && printed < args.count) {
    const name = args.file === '-' ? 'standard input' : args.file;
    process.stderr.write(`synack trace: ${name}: record ${cap.error.record + 1} at offset ${cap.error.offset}: ${cap.error.message}\n`);
    return 1;
  }
  return 0;
}
