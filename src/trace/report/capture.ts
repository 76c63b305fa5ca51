// From a capture to what the drawings need: its TCP connections with their
// ladder events (inferred states included), peer names and graph input.

import type { CaptureRecord } from '../capture.js';
import { endpointText, tcpFlows, type TcpFlow } from '../diagram/flows.js';
import { eventsFromFlow } from '../diagram/infer.js';
import type { LadderEvent, LadderOptions } from '../diagram/types.js';
import { tsgInputFromFlow, type CwndSample, type TsgInput } from '../graph/analysis.js';
import { defaultPrintOptions, type PrintOptions } from '../print/options.js';
import { TcpdumpPrinter } from '../print/printer.js';
import type { ReportInput } from './html.js';

export interface CaptureConnection {
  /** 1-based connection number, as `--conn` takes it. */
  id: number;
  flow: TcpFlow;
  title: string;
  labels: { A: string; B: string };
  events: LadderEvent[];
  tsg: TsgInput;
}

export interface CaptureConnectionsOptions {
  /** Only this connection (1-based). */
  conn?: number;
  /** cwnd/ssthresh samples for the graph of the chosen (or first) connection. */
  cwnd?: CwndSample[];
}

export interface CaptureConnections {
  connections: CaptureConnection[];
  /** How many TCP connections the capture holds in all. */
  total: number;
  skipped: number;
}

/** The capture's TCP connections, ready to draw (all, or the one `conn` names). */
export function captureConnections(
  records: readonly CaptureRecord[],
  linktype: number | undefined,
  opts: CaptureConnectionsOptions = {},
): CaptureConnections {
  const { flows, t0, skipped } = tcpFlows(records, linktype);
  const chosen = opts.conn === undefined ? flows : flows.filter((f) => f.id === opts.conn);
  const connections = chosen.map((flow, i) => {
    const a = endpointText(flow.a, flow.ipVersion);
    const b = endpointText(flow.b, flow.ipVersion);
    const tsg = tsgInputFromFlow(flow, t0);
    const title = `Connection ${flow.id}: ${a} ⇄ ${b}`;
    tsg.title = title;
    tsg.labels = { A: a, B: b };
    if (i === 0 && opts.cwnd !== undefined) tsg.cwnd = opts.cwnd;
    return { id: flow.id, flow, title, labels: { A: a, B: b }, events: eventsFromFlow(flow, t0), tsg };
  });
  return { connections, total: flows.length, skipped };
}

export interface CaptureReportOptions extends CaptureConnectionsOptions {
  /** Shown as the page's title (usually the file name). */
  name: string;
  /** How the tcpdump lines are printed (default: tcpdump's defaults, UTC). */
  print?: PrintOptions;
  ladder?: LadderOptions;
}

/** The report of a capture: every TCP connection (or the chosen one) and the tcpdump lines. */
export function captureReport(records: readonly CaptureRecord[], linktype: number | undefined, opts: CaptureReportOptions): ReportInput {
  const { connections, total } = captureConnections(records, linktype, opts);
  const printer = new TcpdumpPrinter(opts.print ?? defaultPrintOptions({ localTime: false }));
  let tcpdump = '';
  for (const rec of records) tcpdump += printer.print(rec);
  const shown = opts.conn === undefined ? `${total} TCP connection${total === 1 ? '' : 's'}` : `connection ${opts.conn} of ${total}`;
  const input: ReportInput = {
    title: `synack: ${opts.name}`,
    subtitle: `${records.length} packet${records.length === 1 ? '' : 's'}, ${shown}`,
    connections: connections.map((c) => ({ title: c.title, labels: c.labels, events: c.events, tsg: c.tsg })),
    tcpdump,
  };
  if (opts.ladder !== undefined) input.ladder = opts.ladder;
  return input;
}
