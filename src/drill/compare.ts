// The offline half of running a script: turning scripted inbound packets
// into live ones, and checking live outbound packets against the script —
// sequence numbers relative to each side's ISN, TS val/ecr mapping, options
// compared in order, TSO aggregation, timing tolerance — with messages in
// packetdrill's style ("live packet field tcp_ack: expected: 1 vs actual: 0").

import { optionLength, type IcmpPacketSpec, type IpInfo, type TcpOptionSpec, type TcpPacketSpec, type UdpPacketSpec } from './ast.js';
import { optionsSize } from '../tcp/options.js';
import type { DrillEnvironment } from './env.js';
import { ACK, AE, CWR, ECE, FIN, PSH, RST, SYN, URG, type Segment, type TcpOption } from '../wire/tcp-types.js';

// ---------------------------------------------------------------------------
// Live packets: what a host emits and what the runner injects.

export interface LiveIp {
  family: 4 | 6;
  src: string;
  dst: string;
  /** IPv4 TOS / IPv6 traffic class byte (ECN in the low two bits). */
  tos: number;
  /** IPv4 TTL / IPv6 hop limit. */
  ttl: number;
  flowLabel?: number;
}

export interface LiveTcp {
  protocol: 'tcp';
  /** µs since the script started, on the host's clock. */
  time: number;
  ip: LiveIp;
  segment: Segment;
  /** Data offset in 32-bit words as sent; derived from the options when absent. */
  dataOffset?: number;
}

export interface LiveUdp {
  protocol: 'udp';
  time: number;
  ip: LiveIp;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** The packet an ICMP error quotes: its IP protocol, ports and (TCP) sequence number. */
export interface IcmpQuote {
  protocol: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  payloadLength: number;
}

export interface LiveIcmp {
  protocol: 'icmp';
  time: number;
  ip: LiveIp;
  type: number;
  code: number;
  /** Next-hop MTU (IPv4 frag-needed) or MTU (ICMPv6 packet too big). */
  mtu?: number;
  id?: number;
  quote?: IcmpQuote;
}

export type LivePacket = LiveTcp | LiveUdp | LiveIcmp;

const U32 = 0x1_0000_0000;

function add32(a: number, b: number): number {
  return (((a + b) % U32) + U32) % U32;
}

function sub32(a: number, b: number): number {
  return (((a - b) % U32) + U32) % U32;
}

// ---------------------------------------------------------------------------
// Sequence spaces

/**
 * One connection's bookkeeping between script numbers and live numbers
 * (packetdrill's socket state): the peer's ISN is the literal seq of the
 * scripted inbound SYN or SYN-ACK; ours is learned from the first outbound
 * SYN or SYN-ACK; TS vals we send are remembered so inbound ecr values can be
 * translated.
 */
export class SeqSpace {
  /** Peer ISN: literal seq of the scripted inbound SYN / SYN-ACK. */
  remoteIsn: number | undefined;
  /** Our live ISN, from the first outbound SYN / SYN-ACK. */
  localIsn: number | undefined;
  /** The seq the script wrote on that SYN (conventionally 0). */
  localScriptIsn = 0;
  private tsFirst: { script: number; live: number } | undefined;
  private readonly tsLive = new Map<number, number>();

  /** Our live seq/ack offset (0 until our SYN was seen, as for connection-less RSTs). */
  get local(): number {
    return this.localIsn ?? 0;
  }

  get remote(): number {
    return this.remoteIsn ?? 0;
  }

  learnLocalIsn(liveSeq: number, scriptSeq: number): void {
    this.localIsn = liveSeq;
    this.localScriptIsn = scriptSeq;
  }

  /** A live TS val in script units: the first one seen anchors the mapping. */
  scriptTsVal(scriptVal: number | undefined, liveVal: number): number {
    if (this.tsFirst === undefined) {
      if (scriptVal === undefined) return liveVal;
      this.tsFirst = { script: scriptVal, live: liveVal };
    }
    return add32(this.tsFirst.script, sub32(liveVal, this.tsFirst.live));
  }

  recordTs(scriptVal: number, liveVal: number): void {
    this.tsLive.set(scriptVal, liveVal);
  }

  /** The live TS val we sent for a script val; with `scaled`, interpolate from the nearest known one. */
  liveTsFor(scriptVal: number, scaled: boolean): number | undefined {
    const exact = this.tsLive.get(scriptVal);
    if (exact !== undefined || !scaled || this.tsLive.size === 0) return exact;
    let best: [number, number] | undefined;
    for (const pair of this.tsLive) {
      if (best === undefined || Math.abs(pair[0] - scriptVal) < Math.abs(best[0] - scriptVal)) best = pair;
    }
    return add32(best![1], scriptVal - best![0]);
  }
}

// ---------------------------------------------------------------------------
// Inbound

export interface Endpoints {
  /** Our address and port (the stack under test). */
  localIp: string;
  localPort: number;
  /** The scripted peer. */
  remoteIp: string;
  remotePort: number;
  family: 4 | 6;
}

const ECN_BITS: Record<NonNullable<IpInfo['ecn']>, number> = { noecn: 0, ect1: 1, ect0: 2, ce: 3, ect01: 2 };

function inboundIp(ip: IpInfo, ends: Endpoints): LiveIp {
  let tos = ip.tos ?? 0;
  if (ip.ecn !== undefined) tos = (tos & ~3) | ECN_BITS[ip.ecn];
  const out: LiveIp = { family: ends.family, src: ends.remoteIp, dst: ends.localIp, tos, ttl: ip.ttl ?? 255 };
  if (ip.flowLabel !== undefined) out.flowLabel = ip.flowLabel;
  return out;
}

function fastOpenData(o: Extract<TcpOptionSpec, { kind: 'fastOpen' }>): Uint8Array {
  if (!o.experimental) return o.cookie;
  // RFC 7413 §4.1.1: the experimental form is kind 254 with the magic 0xF989.
  const d = new Uint8Array(2 + o.cookie.length);
  d[0] = 0xf9;
  d[1] = 0x89;
  d.set(o.cookie, 2);
  return d;
}

export type Built<T> = { ok: true; packet: T } | { ok: false; error: string };

/**
 * The live segment for a scripted inbound TCP line. A SYN's seq is literal
 * and the first one becomes the peer ISN; other seqs are offset by it; ack (when `.` is
 * set) by our ISN; SACK edges by our ISN; TS ecr mapped to the live val we
 * sent under that script val.
 */
export function buildInboundTcp(spec: TcpPacketSpec, space: SeqSpace, ends: Endpoints, time: number, env: DrillEnvironment): Built<LiveTcp> {
  const syn = (spec.flags & SYN) !== 0;
  const hasAck = (spec.flags & ACK) !== 0;
  let seq: number;
  if (spec.seq.kind === 'any') return { ok: false, error: 'inbound packet needs a sequence number (...(len) is only for outbound packets)' };
  if (spec.seq.kind === 'absolute') seq = spec.seq.start;
  else if (syn) {
    // A SYN's seq is literal. The first one defines the peer ISN; a later
    // SYN on the same connection (a duplicate, or one probing a
    // synchronized state) does not move it.
    space.remoteIsn ??= spec.seq.start;
    seq = spec.seq.start;
  } else seq = add32(space.remote, spec.seq.start);
  let ack = spec.ack ?? 0;
  if (hasAck) ack = syn ? add32(sub32(ack, space.localScriptIsn), space.local) : add32(ack, space.local);
  const options: TcpOption[] = [];
  if (spec.options !== 'any') {
    for (const o of spec.options) {
      switch (o.kind) {
        case 'nop':
        case 'eol':
        case 'sackOK':
          options.push({ kind: o.kind });
          break;
        case 'mss':
          options.push({ kind: 'mss', mss: o.mss });
          break;
        case 'wscale':
          options.push({ kind: 'wscale', shift: o.shift });
          break;
        case 'sack':
          options.push({ kind: 'sack', blocks: o.blocks.map((b) => ({ left: add32(b.left, space.local), right: add32(b.right, space.local) })) });
          break;
        case 'timestamp': {
          if (o.val === undefined) return { ok: false, error: 'inbound TS option needs a val (TS val ... is only for outbound packets)' };
          let ecr = o.ecr;
          if (hasAck && !o.ecrAbsolute) {
            const live = space.liveTsFor(o.ecr, env.tcpTsEcrScaled);
            if (live === undefined) return { ok: false, error: `unable to infer live TS ecr for script TS ecr ${o.ecr} (no outbound TS val ${o.ecr} seen)` };
            ecr = live;
          }
          options.push({ kind: 'timestamp', val: o.val, ecr });
          break;
        }
        case 'md5':
          if (o.digest === 'valid') return { ok: false, error: 'md5 valid needs a TCP-MD5 key (not supported)' };
          options.push({ kind: 'unknown', type: 19, data: o.digest });
          break;
        case 'fastOpen':
          options.push({ kind: 'unknown', type: o.experimental ? 254 : 34, data: fastOpenData(o) });
          break;
        case 'accecn': {
          // AccECN option (order 0 = kind 172, order 1 = kind 174): 24-bit counters.
          const d = new Uint8Array(3 * o.fields.length);
          o.fields.forEach((f, i) => {
            d[3 * i] = (f.value >>> 16) & 0xff;
            d[3 * i + 1] = (f.value >>> 8) & 0xff;
            d[3 * i + 2] = f.value & 0xff;
          });
          options.push({ kind: 'unknown', type: o.fields[0]!.name === 'e0b' ? 172 : 174, data: d });
          break;
        }
      }
    }
  }
  let flags = spec.flags;
  if (spec.ace !== undefined) flags = (flags & ~(ECE | CWR | AE)) | ((spec.ace & 1) !== 0 ? ECE : 0) | ((spec.ace & 2) !== 0 ? CWR : 0) | ((spec.ace & 4) !== 0 ? AE : 0);
  const segment: Segment = {
    srcPort: spec.ports?.src ?? ends.remotePort,
    dstPort: spec.ports?.dst ?? ends.localPort,
    seq,
    ack,
    flags,
    window: spec.window ?? 0,
    urgent: spec.urg ?? 0,
    options,
    payload: new Uint8Array(spec.seq.length),
  };
  return { ok: true, packet: { protocol: 'tcp', time, ip: inboundIp(spec.ip, ends), segment } };
}

export function buildInboundUdp(spec: UdpPacketSpec, ends: Endpoints, time: number): LiveUdp {
  return {
    protocol: 'udp',
    time,
    ip: inboundIp(spec.ip, ends),
    srcPort: spec.ports?.src ?? ends.remotePort,
    dstPort: spec.ports?.dst ?? ends.localPort,
    payload: new Uint8Array(spec.length),
  };
}

// ICMP type and code names (RFC 792 and RFC 1812 for IPv4, RFC 4443 for IPv6),
// as packetdrill and the nplab dialect spell them.
const ICMP4: Record<string, [number, Record<string, number>]> = {
  echo_reply: [0, {}],
  unreachable: [
    3,
    {
      net_unreachable: 0, host_unreachable: 1, protocol_unreachable: 2, port_unreachable: 3, frag_needed: 4,
      source_route_failed: 5, net_unknown: 6, host_unknown: 7, source_host_isolated: 8, net_prohibited: 9,
      host_prohibited: 10, net_unreachable_for_tos: 11, host_unreachable_for_tos: 12, packet_filtered: 13,
      precedence_violation: 14, precedence_cutoff: 15,
    },
  ],
  source_quench: [4, {}],
  redirect: [5, {}],
  echo_request: [8, {}],
  time_exceeded: [11, { ttl_exceeded_in_transit: 0, exceeded_ttl: 0, frag_reass_exceeded: 1, exceeded_frag_time: 1 }],
  parameter_problem: [12, {}],
  timestamp_request: [13, {}],
  timestamp_reply: [14, {}],
  information_request: [15, {}],
  information_reply: [16, {}],
  address_mask_request: [17, {}],
  address_mask_reply: [18, {}],
};

const ICMP6: Record<string, [number, Record<string, number>]> = {
  unreachable: [
    1,
    { net_unreachable: 0, no_route: 0, admin_prohibited: 1, not_neighbour: 2, beyond_scope: 2, address_unreachable: 3, host_unreachable: 3, port_unreachable: 4 },
  ],
  packet_too_big: [2, {}],
  time_exceeded: [3, { exceeded_hop_limit: 0, ttl_exceeded_in_transit: 0, exceeded_frag_time: 1, frag_reass_exceeded: 1 }],
  parameter_problem: [4, { header_field: 0, unknown_next_header: 1, unknown_option: 2 }],
  echo_request: [128, {}],
  echo_reply: [129, {}],
};

/** ICMP type and code numbers for names (numbers are accepted as written). */
export function icmpNumbers(family: 4 | 6, type: string, code: string | undefined): { type: number; code: number } | string {
  const table = family === 4 ? ICMP4 : ICMP6;
  const t = /^[0-9]+$/.test(type) ? [Number(type), {}] : table[type];
  if (t === undefined) return `bad ICMP${family === 6 ? 'v6' : ''} type ${type}`;
  const [typeNum, codes] = t as [number, Record<string, number>];
  if (code === undefined) return { type: typeNum, code: 0 };
  const c = /^[0-9]+$/.test(code) ? Number(code) : codes[code];
  if (c === undefined || c > 255) return `bad ICMP${family === 6 ? 'v6' : ''} code ${code} for type ${type}`;
  return { type: typeNum, code: c };
}

/** An inbound ICMP error quoting one of our segments (its seq offset by our ISN). */
export function buildInboundIcmp(spec: IcmpPacketSpec, space: SeqSpace, ends: Endpoints, time: number): Built<LiveIcmp> {
  const n = icmpNumbers(ends.family, spec.type, spec.code);
  if (typeof n === 'string') return { ok: false, error: n };
  const e = spec.echoed;
  const quote: IcmpQuote =
    e.protocol === 'tcp'
      ? {
          protocol: 6,
          srcPort: ends.localPort,
          dstPort: ends.remotePort,
          seq: e.seq.kind === 'relative' ? add32(e.seq.start, space.local) : e.seq.kind === 'absolute' ? e.seq.start : space.local,
          payloadLength: e.seq.length,
        }
      : { protocol: e.protocol === 'udp' ? 17 : 255, srcPort: ends.localPort, dstPort: ends.remotePort, seq: 0, payloadLength: e.length };
  const p: LiveIcmp = { protocol: 'icmp', time, ip: inboundIp(spec.ip, ends), type: n.type, code: n.code, quote };
  if (spec.mtu !== undefined) p.mtu = spec.mtu;
  if (spec.id !== undefined) p.id = spec.id;
  return { ok: true, packet: p };
}

// ---------------------------------------------------------------------------
// Outbound

function field(name: string, expected: number, actual: number): string | undefined {
  return expected === actual ? undefined : `live packet field ${name}: expected: ${expected} vs actual: ${actual}`;
}

function scriptOptionText(o: TcpOptionSpec): string {
  switch (o.kind) {
    case 'mss':
      return `mss ${o.mss}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sack':
      return `sack ${o.blocks.map((b) => `${b.left}:${b.right}`).join(' ')}`;
    case 'timestamp':
      return `TS val ${o.val ?? '...'} ecr ${o.ecr}`;
    case 'md5':
      return o.digest === 'valid' ? 'md5 valid' : `md5 ${hex(o.digest)}`;
    case 'fastOpen':
      return `${o.experimental ? 'FOEXP' : 'FO'}${o.cookie.length > 0 ? ' ' + hex(o.cookie) : ''}`;
    case 'accecn':
      return `ECN ${o.fields.map((f) => `${f.name} ${f.value}`).join(' ')}`;
    default:
      return o.kind;
  }
}

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** A live option written the way a script would (numbers in script space where given). */
export function liveOptionText(o: TcpOption): string {
  switch (o.kind) {
    case 'mss':
      return `mss ${o.mss}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sack':
      return `sack ${o.blocks.map((b) => `${b.left}:${b.right}`).join(' ')}`;
    case 'timestamp':
      return `TS val ${o.val} ecr ${o.ecr}`;
    case 'unknown':
      if (o.type === 34) return `FO${o.data.length > 0 ? ' ' + hex(o.data) : ''}`;
      if (o.type === 254 && o.data[0] === 0xf9 && o.data[1] === 0x89) return `FOEXP${o.data.length > 2 ? ' ' + hex(o.data.subarray(2)) : ''}`;
      if (o.type === 19) return `md5 ${hex(o.data)}`;
      return `opt${o.type} ${hex(o.data)}`;
    default:
      return o.kind;
  }
}

/** Option kinds (IANA) of the options both the wire layer and the script language name. */
const KIND_NUMBER = { eol: 0, nop: 1, mss: 2, wscale: 3, sackOK: 4, sack: 5, timestamp: 8 } as const;

function liveOptionKind(o: TcpOption): number {
  return o.kind === 'unknown' ? o.type : KIND_NUMBER[o.kind];
}

function scriptOptionKind(o: TcpOptionSpec): number {
  switch (o.kind) {
    case 'md5':
      return 19;
    case 'fastOpen':
      return o.experimental ? 254 : 34;
    case 'accecn':
      return o.fields[0]!.name === 'e0b' ? 172 : 174;
    default:
      return KIND_NUMBER[o.kind];
  }
}

/** The data offset (32-bit words) a live segment was sent with. */
export function liveDataOffset(p: LiveTcp): number {
  if (p.dataOffset !== undefined) return p.dataOffset;
  const bytes = optionsSize(p.segment.options);
  return 5 + Math.ceil(bytes / 4);
}

/** Everything a comparison needs besides the two packets. */
export interface CompareContext {
  env: DrillEnvironment;
  /** The event's script time since the start (µs): TS val tolerance grows with it. */
  eventTime: number;
}

/** RFC 9293 flag bits and the names packetdrill gives their checks, in its order. */
const FLAG_FIELDS: [string, number][] = [
  ['tcp_fin', FIN],
  ['tcp_syn', SYN],
  ['tcp_rst', RST],
  ['tcp_psh', PSH],
  ['tcp_ack', ACK],
  ['tcp_urg', URG],
];

function bit(flags: number, b: number): number {
  return (flags & b) !== 0 ? 1 : 0;
}

function aceOf(flags: number): number {
  return bit(flags, ECE) | (bit(flags, CWR) << 1) | (bit(flags, AE) << 2);
}

function compareIp(spec: IpInfo, ip: LiveIp): string | undefined {
  if (spec.ecn === 'ect01') {
    const e = ip.tos & 3;
    if (e !== 1 && e !== 2) return `live packet field ip_ecn: expected: 0x1 or 0x2 vs actual: 0x${e.toString(16)}`;
  } else if (spec.ecn !== undefined) {
    const err = field('ip_ecn', ECN_BITS[spec.ecn], ip.tos & 3);
    if (err !== undefined) return err;
  }
  if (spec.tos !== undefined) {
    const err = field('tos', spec.tos, ip.tos);
    if (err !== undefined) return err;
  }
  if (spec.ttl !== undefined) {
    const err = field('ttl', spec.ttl, ip.ttl);
    if (err !== undefined) return err;
  }
  if (spec.flowLabel !== undefined && spec.flowLabel !== 0 && (ip.flowLabel ?? 0) === 0) return 'flowlabel unmarked in the live packet';
  return undefined;
}

/**
 * Compare one live outbound TCP segment (already aggregated if need be)
 * with a scripted one. Learns our ISN from a SYN and the TS mapping as it
 * goes. Returns the first mismatch, or undefined when the packet matches.
 */
export function compareOutboundTcp(spec: TcpPacketSpec, live: LiveTcp, space: SeqSpace, ctx: CompareContext): string | undefined {
  const seg = live.segment;
  const liveSyn = (seg.flags & SYN) !== 0;
  if (liveSyn && spec.seq.kind !== 'any') space.learnLocalIsn(seg.seq, spec.seq.kind === 'relative' ? spec.seq.start : 0);

  if (seg.payload.length !== spec.seq.length) {
    return `live packet payload: expected ${spec.seq.length} bytes vs actual ${seg.payload.length} bytes`;
  }
  const ipErr = compareIp(spec.ip, live.ip);
  if (ipErr !== undefined) return ipErr;

  if (spec.options !== 'any') {
    const scriptBytes = spec.options.reduce((n, o) => n + optionLength(o), 0);
    const err = field('tcp_data_offset', 5 + Math.ceil(scriptBytes / 4), liveDataOffset(live));
    if (err !== undefined) return err;
  }
  for (const [name, b] of FLAG_FIELDS) {
    const err = field(name, bit(spec.flags, b), bit(seg.flags, b));
    if (err !== undefined) return err;
  }
  if (spec.ace !== undefined) {
    const err = field('tcp_ace', spec.ace, aceOf(seg.flags));
    if (err !== undefined) return err;
  } else {
    for (const [name, b] of [['tcp_ece', ECE], ['tcp_cwr', CWR], ['tcp_ae', AE]] as [string, number][]) {
      const err = field(name, bit(spec.flags, b), bit(seg.flags, b));
      if (err !== undefined) return err;
    }
  }

  // RFC 9293 §3.4: our sequence numbers relative to our ISN; the SYN's own seq defines it.
  if (spec.seq.kind === 'absolute') {
    const err = field('tcp_seq', spec.seq.start, seg.seq);
    if (err !== undefined) return err;
  } else if (spec.seq.kind === 'relative') {
    const actual = liveSyn ? spec.seq.start : sub32(seg.seq, space.local);
    const err = field('tcp_seq', spec.seq.start, actual);
    if (err !== undefined) return err;
  }
  const liveAck = (seg.flags & ACK) !== 0;
  const ackActual = liveAck && !liveSyn ? sub32(seg.ack, space.remote) : seg.ack;
  {
    const err = field('tcp_ack_seq', spec.ack ?? 0, ackActual);
    if (err !== undefined) return err;
  }
  if (spec.window !== undefined) {
    const err = field('tcp_window', spec.window, seg.window);
    if (err !== undefined) return err;
  }
  {
    const err = field('tcp_urg_ptr', spec.urg ?? 0, seg.urgent);
    if (err !== undefined) return err;
  }
  if (spec.options !== 'any') {
    const err = compareOptions(spec.options, seg.options, space, ctx);
    if (err !== undefined) return err;
  }
  for (const b of seg.payload) if (b !== 0) return 'incorrect outbound data payload';
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function compareOptions(script: TcpOptionSpec[], live: TcpOption[], space: SeqSpace, ctx: CompareContext): string | undefined {
  // After an End of Option List the rest is padding: the wire view reports one eol.
  const firstEol = script.findIndex((o) => o.kind === 'eol');
  const s = firstEol < 0 ? script : script.slice(0, firstEol + 1);
  const kindsDiffer = s.length !== live.length || s.some((o, i) => scriptOptionKind(o) !== liveOptionKind(live[i]!));
  if (kindsDiffer) {
    return `bad outbound TCP options: expected <${script.map(scriptOptionText).join(',')}> vs actual <${live.map(liveOptionText).join(',')}>`;
  }
  for (let i = 0; i < s.length; i++) {
    const so = s[i]!;
    const lo = live[i]!;
    let same = true;
    let actualText = liveOptionText(lo);
    switch (so.kind) {
      case 'mss':
        same = lo.kind === 'mss' && lo.mss === so.mss;
        break;
      case 'wscale':
        same = lo.kind === 'wscale' && lo.shift === so.shift;
        break;
      case 'sack':
        if (lo.kind === 'sack') {
          // Outbound SACK blocks are the peer's sequence numbers: relative to its ISN.
          const mapped = lo.blocks.map((b) => ({ left: sub32(b.left, space.remote), right: sub32(b.right, space.remote) }));
          actualText = `sack ${mapped.map((b) => `${b.left}:${b.right}`).join(' ')}`;
          same = mapped.length === so.blocks.length && mapped.every((b, j) => b.left === so.blocks[j]!.left && b.right === so.blocks[j]!.right);
        }
        break;
      case 'timestamp':
        if (lo.kind === 'timestamp') {
          const scriptVal = space.scriptTsVal(so.val, lo.val);
          if (so.val !== undefined) space.recordTs(so.val, lo.val);
          // The TS val is checked only with --tcp_ts_tick_usecs; the ecr never is.
          if (so.val !== undefined && ctx.env.tcpTsTickUsecs > 0) {
            const tol = Math.max(ctx.env.toleranceUsecs, (ctx.env.tolerancePercent / 100) * ctx.eventTime);
            const delta = Math.abs(((scriptVal - so.val + U32 / 2) % U32) - U32 / 2);
            if (delta * ctx.env.tcpTsTickUsecs > tol) {
              return `bad outbound TCP timestamp value: expected ${so.val} vs actual ${scriptVal} (tolerance ${Math.round(tol)} usecs)`;
            }
          }
        }
        break;
      case 'md5':
        // With `md5 valid` only a 16-byte digest can be checked without the key.
        same = lo.kind === 'unknown' && (so.digest === 'valid' ? lo.data.length === 16 : sameBytes(lo.data, so.digest));
        break;
      case 'fastOpen':
        same = lo.kind === 'unknown' && sameBytes(lo.data, fastOpenData(so));
        break;
      case 'accecn':
        same = lo.kind === 'unknown' && lo.data.length === 3 * so.fields.length && so.fields.every((f, j) => ((lo.data[3 * j]! << 16) | (lo.data[3 * j + 1]! << 8) | lo.data[3 * j + 2]!) === f.value);
        break;
      default:
        break;
    }
    if (!same) return `bad value in outbound TCP option ${i + 1}: expected: ${scriptOptionText(so)} vs actual: ${actualText}`;
  }
  return undefined;
}

export function compareOutboundUdp(spec: UdpPacketSpec, live: LiveUdp): string | undefined {
  return compareIp(spec.ip, live.ip) ?? field('udp_len', spec.length + 8, live.payload.length + 8);
}

export function compareOutboundIcmp(spec: IcmpPacketSpec, live: LiveIcmp): string | undefined {
  const n = icmpNumbers(live.ip.family, spec.type, spec.code);
  if (typeof n === 'string') return n;
  return compareIp(spec.ip, live.ip) ?? field('icmp_type', n.type, live.type) ?? (spec.code === undefined ? undefined : field('icmp_code', n.code, live.code));
}

// ---------------------------------------------------------------------------
// TSO/GSO aggregation

/**
 * Join consecutive live segments the way packetdrill reassembles a TSO
 * burst: same flags apart from FIN/PSH/CWR, contiguous sequence numbers,
 * same ack and window, equal-sized segments before the last. The result takes
 * seq and CWR from the first segment, everything else (flags, options, time)
 * from the last. Returns a reason when they cannot be joined.
 */
export function aggregate(parts: LiveTcp[]): LiveTcp | string {
  const first = parts[0]!;
  let payloadLength = first.segment.payload.length;
  for (let i = 1; i < parts.length; i++) {
    const prev = parts[i - 1]!.segment;
    const cur = parts[i]!.segment;
    const loose = FIN | PSH | CWR;
    if ((prev.flags & ~loose) !== (cur.flags & ~loose)) return 'aggregate candidate: flags differ';
    if ((prev.flags & FIN) !== 0) return 'aggregate candidate: data after FIN';
    if (cur.seq !== add32(prev.seq, prev.payload.length)) return 'aggregate candidate: sequence numbers not contiguous';
    if (cur.ack !== prev.ack) return 'aggregate candidate: ack differs';
    if (cur.window !== prev.window) return 'aggregate candidate: window differs';
    if (i >= 2 && prev.payload.length !== first.segment.payload.length) return 'aggregate candidate: unequal segment sizes';
    payloadLength += cur.payload.length;
  }
  const last = parts[parts.length - 1]!;
  const payload = new Uint8Array(payloadLength);
  let off = 0;
  for (const p of parts) {
    payload.set(p.segment.payload, off);
    off += p.segment.payload.length;
  }
  const flags = (last.segment.flags & ~CWR) | (first.segment.flags & CWR);
  const out: LiveTcp = { protocol: 'tcp', time: last.time, ip: last.ip, segment: { ...last.segment, seq: first.segment.seq, flags, payload } };
  if (last.dataOffset !== undefined) out.dataOffset = last.dataOffset;
  return out;
}

// ---------------------------------------------------------------------------
// Timing

/** When an event is expected, in µs since the start (`any` = no check). */
export type Expected = { kind: 'point'; at: number } | { kind: 'range'; start: number; end: number } | { kind: 'any' };

export function secs(us: number): string {
  return (us / 1_000_000).toFixed(6);
}

/**
 * packetdrill's timing check: the actual time must be within ±tolerance of
 * the expected one, tolerance = max(tolerance_usecs, tolerance_percent of
 * the gap since the previous event's script time).
 */
export function checkTime(what: string, expected: Expected, actual: number, previous: number | undefined, env: DrillEnvironment): string | undefined {
  if (expected.kind === 'any') return undefined;
  const start = expected.kind === 'point' ? expected.at : expected.start;
  let tol = env.toleranceUsecs;
  if (previous !== undefined) tol = Math.max(tol, Math.trunc((env.tolerancePercent / 100) * (start - previous)));
  if (expected.kind === 'range') {
    if (actual < expected.start - tol || actual > expected.end + tol) {
      return `timing error: expected ${what} in time range ${secs(expected.start)}~${secs(expected.end)} sec but happened at ${secs(actual)} sec`;
    }
    return undefined;
  }
  if (actual < expected.at - tol || actual > expected.at + tol) {
    return `timing error: expected ${what} at ${secs(expected.at)} sec but happened at ${secs(actual)} sec; tolerance ${secs(tol)} sec`;
  }
  return undefined;
}

/** The latest time an expected event may still happen. */
export function latest(expected: Expected, previous: number | undefined, env: DrillEnvironment): number {
  if (expected.kind === 'any') return Infinity;
  const start = expected.kind === 'point' ? expected.at : expected.start;
  const end = expected.kind === 'point' ? expected.at : expected.end;
  let tol = env.toleranceUsecs;
  if (previous !== undefined) tol = Math.max(tol, Math.trunc((env.tolerancePercent / 100) * (start - previous)));
  return end + tol;
}
