// `synack graph`: time-sequence graphs (with RTT, throughput and, given a
// side channel, cwnd/ssthresh plots) of the TCP connections of a capture.

import { readFileSync, writeFileSync } from 'node:fs';
import { readCapture } from '../trace/read-capture.js';
import { graphsSvg } from '../trace/graph/tsg.js';
import { parseCwndJson } from '../trace/graph/cwnd.js';
import type { CwndSample } from '../trace/graph/analysis.js';
import { captureConnections, captureReport } from '../trace/report/capture.js';
import { htmlReport } from '../trace/report/html.js';

export const GRAPH_USAGE = `usage: synack graph FILE [-o OUT.svg] [--conn N] [--cwnd SAMPLES.json] [--html OUT.html] [--list]
  Draws, for each TCP connection of the capture FILE (pcap or pcapng), a
  time-sequence graph of its data sender (data segments as I-bars,
  retransmissions in red, ACK, receive-window and SACK lines), RTT samples and
  throughput, as one SVG (to OUT.svg, or standard output).
  --conn N      only connection N (numbered from 1 in order of first packet; see --list)
  --cwnd FILE   a JSON array [{"t": µs, "cwnd": bytes, "ssthresh": bytes|null}, ...]
                (t in microseconds after the capture's first packet) drawn as a
                cwnd/ssthresh plot under the graph of the (chosen or first) connection
  --html FILE   also write the self-contained HTML report (ladder, graphs, tcpdump lines)
  --list        list the connections and exit
`;

class UsageError extends Error {}

export interface GraphArgs {
  file: string;
  out?: string;
  conn?: number;
  cwnd?: string;
  html?: string;
  list: boolean;
}

export function parseGraphArgs(argv: string[]): GraphArgs {
  let file: string | undefined;
  const args: Omit<GraphArgs, 'file'> = { list: false };
  const value = (i: number, name: string): string => {
    const v = argv[i];
    if (v === undefined) throw new UsageError(`option ${name} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') throw new UsageError('');
    else if (a === '-o' || a === '--output') args.out = value(++i, a);
    else if (a === '--cwnd') args.cwnd = value(++i, a);
    else if (a === '--html') args.html = value(++i, a);
    else if (a === '--list') args.list = true;
    else if (a === '--conn') {
      const v = value(++i, a);
      if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw new UsageError(`invalid connection number '${v}'`);
      args.conn = Number(v);
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    else if (file !== undefined) throw new UsageError(`more than one capture file given ('${file}' and '${a}')`);
    else file = a;
  }
  if (file === undefined) throw new UsageError('no capture file given (use - for standard input)');
  return { file, ...args };
}

function readOrReport(path: string, what: string): Uint8Array | undefined {
  try {
    return readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    process.stderr.write(`synack graph: ${path}: cannot read ${what} (${code})\n`);
    return undefined;
  }
}

function write(path: string, text: string): boolean {
  try {
    writeFileSync(path, text);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    process.stderr.write(`synack graph: ${path}: cannot write (${code})\n`);
    return false;
  }
}

export function runGraph(argv: string[]): number {
  let args: GraphArgs;
  try {
    args = parseGraphArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message === '') {
        process.stdout.write(GRAPH_USAGE);
        return 0;
      }
      process.stderr.write(`synack graph: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const bytes = readOrReport(args.file, 'the capture');
  if (bytes === undefined) return 1;
  let cwnd: CwndSample[] | undefined;
  if (args.cwnd !== undefined) {
    const raw = readOrReport(args.cwnd, 'the cwnd samples');
    if (raw === undefined) return 1;
    const parsed = parseCwndJson(Buffer.from(raw).toString('utf8'));
    if (!parsed.ok) {
      process.stderr.write(`synack graph: ${args.cwnd}: ${parsed.error}\n`);
      return 1;
    }
    cwnd = parsed.samples;
  }
  const cap = readCapture(bytes);
  const name = args.file === '-' ? 'standard input' : args.file;
  const opts = { conn: args.conn, cwnd };
  const { connections, total } = captureConnections(cap.records, cap.linktype, opts);
  if (args.list) {
    for (const c of connections) {
      const data = { A: 0, B: 0 };
      for (const p of c.flow.packets) data[p.from] += p.len;
      process.stdout.write(
        `${c.id}  A ${c.labels.A}  B ${c.labels.B}  ${c.flow.packets.length} packets, A sent ${data.A} bytes, B sent ${data.B} bytes\n`,
      );
    }
    return 0;
  }
  if (args.conn !== undefined && connections.length === 0) {
    process.stderr.write(`synack graph: ${name}: no connection ${args.conn} (the capture has ${total})\n`);
    return 1;
  }
  const svg = graphsSvg(connections.map((c) => c.tsg));
  if (args.out === undefined) process.stdout.write(svg);
  else if (!write(args.out, svg)) return 1;
  if (args.html !== undefined) {
    const report = htmlReport(captureReport(cap.records, cap.linktype, { name, ...opts }));
    if (!write(args.html, report)) return 1;
  }
  if (cap.error !== undefined) {
    process.stderr.write(`synack graph: ${name}: record ${cap.error.record + 1} at offset ${cap.error.offset}: ${cap.error.message}\n`);
    return 1;
  }
  return 0;
}
