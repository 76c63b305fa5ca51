// TCP connections in a capture: every record decoded down to its TCP header
// and grouped by 4-tuple. Side A is the peer that sent the first SYN (without
// ACK), or, when the capture starts after the handshake, the sender of the
// first packet. A new SYN on a 4-tuple whose connection has ended (both sides
// sent FIN, or a RST was seen) starts a new connection.

import type { CaptureRecord } from '../capture.js';
import { decodeLink } from '../linklayer.js';
import { parseIpv4, formatIpv4 } from '../../wire/ipv4.js';
import { parseIpv6, formatIpv6Address } from '../../wire/ipv6.js';
import { parseTcp, IPPROTO_TCP } from '../../wire/tcp.js';
import { ACK, FIN, RST, SYN, type SackBlock, type TcpOption } from '../../wire/tcp-types.js';
import type { Side } from './types.js';

export interface Endpoint {
  /** Address text (dotted quad, or RFC 5952 IPv6). */
  addr: string;
  port: number;
}

/** One TCP segment of a connection as the capture saw it. */
export interface FlowPacket {
  /** Index of the record in the capture (0-based). */
  record: number;
  /** Capture time in microseconds since the epoch. */
  t: number;
  from: Side;
  seq: number;
  ack: number;
  flags: number;
  /** Raw window field. */
  window: number;
  /** Payload length: from the IP length, so it is right even when the capture is cut short. */
  len: number;
  options: TcpOption[];
}

export interface TcpFlow {
  /** 1-based, in order of each connection's first packet. */
  id: number;
  ipVersion: 4 | 6;
  a: Endpoint;
  b: Endpoint;
  packets: FlowPacket[];
  /** Window scale each side announced on its SYN (RFC 7323 §2.2), when it did. */
  wscale: { A: number | undefined; B: number | undefined };
}

export interface FlowsResult {
  flows: TcpFlow[];
  /** Records that held no decodable TCP segment (other protocols, fragments, bad headers). */
  skipped: number;
  /** Capture time (µs since the epoch) of the first record, the time base for the drawings. */
  t0: number;
}

/** Capture time of a record in microseconds since the epoch. */
export function recordMicros(rec: CaptureRecord): number {
  return rec.tsSec * 1_000_000 + Math.floor(rec.tsNsec / 1000);
}

export function endpointText(e: Endpoint, ipVersion: 4 | 6): string {
  return ipVersion === 6 ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}

interface Decoded {
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  len: number;
  options: TcpOption[];
}

/** The TCP segment of one record, or undefined. Never throws. */
function decodeTcp(rec: CaptureRecord, linktype: number): Decoded | undefined {
  const link = decodeLink(linktype, rec.data);
  if (link.offset < 0) return undefined;
  const net = rec.data.subarray(link.offset);
  let version: 4 | 6;
  let src: string;
  let dst: string;
  let payload: Uint8Array;
  let wireLen: number;
  if (link.proto === 'ipv4') {
    const ip = parseIpv4(net, { verifyChecksum: false, allowTruncated: true });
    if (!ip.ok || ip.value.protocol !== IPPROTO_TCP || ip.value.isFragment) return undefined;
    version = 4;
    src = formatIpv4(ip.value.src);
    dst = formatIpv4(ip.value.dst);
    payload = ip.value.payload;
    wireLen = ip.value.totalLength - ip.value.headerLength;
  } else if (link.proto === 'ipv6') {
    const ip = parseIpv6(net, { allowTruncated: true });
    if (!ip.ok || ip.value.upperProtocol !== IPPROTO_TCP || ip.value.isFragment) return undefined;
    version = 6;
    src = formatIpv6Address(ip.value.src);
    dst = formatIpv6Address(ip.value.dst);
    payload = ip.value.payload;
    wireLen = ip.value.payloadLength - (ip.value.upperOffset - 40);
  } else {
    return undefined;
  }
  // A capture cut short keeps the header; the payload length comes from IP.
  const tcp = parseTcp(payload);
  if (!tcp.ok) return undefined;
  const h = tcp.value;
  return {
    ipVersion: version,
    src,
    dst,
    srcPort: h.srcPort,
    dstPort: h.dstPort,
    seq: h.seq,
    ack: h.ack,
    flags: h.flags,
    window: h.window,
    len: Math.max(0, wireLen - h.headerLength),
    options: h.options.map(ownOption),
  };
}

/** An option that shares nothing with the record's bytes (unknown options are views into them). */
function ownOption(o: TcpOption): TcpOption {
  if (o.kind === 'sack') return { kind: 'sack', blocks: o.blocks.map((b) => ({ ...b })) };
  if (o.kind === 'unknown') return { kind: 'unknown', type: o.type, data: o.data.slice() };
  return o;
}

interface Open {
  flow: TcpFlow;
  /** Set once both FINs or a RST have been seen. */
  ended: boolean;
  fin: { A: boolean; B: boolean };
}

function key(addr1: string, port1: number, addr2: string, port2: number): string {
  const x = `${addr1}|${port1}`;
  const y = `${addr2}|${port2}`;
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

function wscaleOf(options: readonly TcpOption[]): number | undefined {
  for (const o of options) if (o.kind === 'wscale') return o.shift;
  return undefined;
}

/**
 * Every TCP connection in the records. `linktype` is the capture's link type;
 * when omitted each record's own is used.
 */
export function tcpFlows(records: readonly CaptureRecord[], linktype?: number): FlowsResult {
  const flows: TcpFlow[] = [];
  const open = new Map<string, Open>();
  let skipped = 0;
  records.forEach((rec, index) => {
    const d = decodeTcp(rec, linktype ?? rec.linktype);
    if (d === undefined) {
      skipped++;
      return;
    }
    const k = key(d.src, d.srcPort, d.dst, d.dstPort);
    let o = open.get(k);
    const isSyn = (d.flags & (SYN | ACK)) === SYN;
    if (o !== undefined && o.ended && isSyn) o = undefined;
    if (o === undefined) {
      // A is the sender of this first packet, unless it is a SYN,ACK (its SYN was not captured).
      const synAck = (d.flags & (SYN | ACK)) === (SYN | ACK);
      const aIsSrc = !synAck;
      const a = aIsSrc ? { addr: d.src, port: d.srcPort } : { addr: d.dst, port: d.dstPort };
      const b = aIsSrc ? { addr: d.dst, port: d.dstPort } : { addr: d.src, port: d.srcPort };
      o = {
        flow: { id: flows.length + 1, ipVersion: d.ipVersion, a, b, packets: [], wscale: { A: undefined, B: undefined } },
        ended: false,
        fin: { A: false, B: false },
      };
      flows.push(o.flow);
      open.set(k, o);
    }
    const flow = o.flow;
    const from: Side = d.src === flow.a.addr && d.srcPort === flow.a.port ? 'A' : 'B';
    if ((d.flags & SYN) !== 0) {
      const ws = wscaleOf(d.options);
      if (ws !== undefined) flow.wscale[from] = ws;
    }
    flow.packets.push({
      record: index,
      t: recordMicros(rec),
      from,
      seq: d.seq,
      ack: d.ack,
      flags: d.flags,
      window: d.window,
      len: d.len,
      options: d.options,
    });
    if ((d.flags & FIN) !== 0) o.fin[from] = true;
    if ((d.flags & RST) !== 0 || (o.fin.A && o.fin.B)) o.ended = true;
  });
  const t0 = records.length > 0 ? recordMicros(records[0]!) : 0;
  return { flows, skipped, t0 };
}

/** The SACK blocks of a packet's options (RFC 2018), or an empty list. */
export function sackBlocks(options: readonly TcpOption[]): SackBlock[] {
  for (const o of options) if (o.kind === 'sack') return o.blocks;
  return [];
}
