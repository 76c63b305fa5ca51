// Comparing live packets with scripted ones, on hand-made packets: sequence
// spaces (ISNs learned from SYNs), ack/window/urg/flags, options in order,
// SACK and TS mapping, payload, IP fields, TSO aggregation, timing, ICMP.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScript } from '../../src/drill/parser.js';
import { environmentFor, type DrillEnvironment } from '../../src/drill/env.js';
import {
  SeqSpace,
  aggregate,
  buildInboundIcmp,
  buildInboundTcp,
  checkTime,
  compareOutboundIcmp,
  compareOutboundTcp,
  icmpNumbers,
  type Endpoints,
  type LiveTcp,
} from '../../src/drill/compare.js';
import type { IcmpPacketSpec, PacketSpec, TcpPacketSpec } from '../../src/drill/ast.js';
import { ACK, FIN, PSH, SYN, type Segment, type TcpOption } from '../../src/wire/tcp-types.js';

function pkt(line: string): PacketSpec {
  const r = parseScript(`0 ${line}`, { file: 't.pkt' });
  if (!r.ok) assert.fail(r.error.message);
  const ev = r.script.events[0]!;
  assert.equal(ev.kind, 'packet');
  return (ev as { packet: PacketSpec }).packet;
}

function tcpSpec(line: string): TcpPacketSpec {
  const p = pkt(line);
  assert.equal(p.protocol, 'tcp');
  return p as TcpPacketSpec;
}

function env(opts: Record<string, string> = {}): DrillEnvironment {
  const r = parseScript('0 close(3) = 0', {});
  assert.ok(r.ok);
  const e = environmentFor(r.script, opts);
  assert.ok(e.ok);
  return e.env;
}

const ENDS: Endpoints = { family: 4, localIp: '192.168.0.1', localPort: 8080, remoteIp: '192.0.2.1', remotePort: 40000 };

function live(s: Partial<Segment> & { flags: number }, time = 0, extra: Partial<LiveTcp> = {}): LiveTcp {
  const segment: Segment = { srcPort: 8080, dstPort: 40000, seq: 0, ack: 0, window: 65535, urgent: 0, options: [], payload: new Uint8Array(0), ...s };
  return { protocol: 'tcp', time, ip: { family: 4, src: ENDS.localIp, dst: ENDS.remoteIp, tos: 0, ttl: 64 }, segment, ...extra };
}

const CTX = { env: env(), eventTime: 0 };
const LINUX_SYNACK_OPTS: TcpOption[] = [{ kind: 'mss', mss: 1460 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sackOK' }, { kind: 'nop' }, { kind: 'wscale', shift: 8 }];

test('a passive open: peer ISN from the scripted SYN, our ISN from the live SYN-ACK, then relative numbers', () => {
  const space = new SeqSpace();
  const syn = buildInboundTcp(tcpSpec('< S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>'), space, ENDS, 0, CTX.env);
  assert.ok(syn.ok);
  assert.equal(space.remoteIsn, 0);
  assert.deepEqual([syn.packet.segment.seq, syn.packet.segment.ack, syn.packet.segment.flags, syn.packet.segment.window], [0, 0, SYN, 32792]);
  assert.deepEqual([syn.packet.segment.srcPort, syn.packet.segment.dstPort, syn.packet.ip.src, syn.packet.ip.ttl], [40000, 8080, '192.0.2.1', 255]);

  // Our SYN-ACK: its seq is whatever the stack chose; the ack is compared raw.
  const synack = live({ flags: SYN | ACK, seq: 3_000_000_000, ack: 1, options: LINUX_SYNACK_OPTS });
  assert.equal(compareOutboundTcp(tcpSpec('> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>'), synack, space, CTX), undefined);
  assert.equal(space.localIsn, 3_000_000_000);

  // The peer's ACK: its ack is offset by our ISN.
  const ack = buildInboundTcp(tcpSpec('< . 1:1(0) ack 1 win 257'), space, ENDS, 0, CTX.env);
  assert.ok(ack.ok);
  assert.deepEqual([ack.packet.segment.seq, ack.packet.segment.ack], [1, 3_000_000_001]);

  // Data from us: relative to our ISN, wrapping past 2^32.
  const data = live({ flags: PSH | ACK, seq: 3_000_000_001 + 1_294_967_295, ack: 1, payload: new Uint8Array(1000) });
  assert.equal(compareOutboundTcp(tcpSpec('> P. 1294967296:1294967296(0) ack 1'), data, space, CTX), 'live packet payload: expected 0 bytes vs actual 1000 bytes');
  const data2 = live({ flags: PSH | ACK, seq: 3_000_000_001, ack: 1, payload: new Uint8Array(1000) });
  assert.equal(compareOutboundTcp(tcpSpec('> P. 1:1001(1000) ack 1'), data2, space, CTX), undefined);
});

test('a peer ISN other than 0: inbound seqs offset by it, our acks compared relative to it', () => {
  const space = new SeqSpace();
  const syn = buildInboundTcp(tcpSpec('< S 1428932:1428932(0) win 1000'), space, ENDS, 0, CTX.env);
  assert.ok(syn.ok);
  assert.equal(syn.packet.segment.seq, 1428932);
  // On a SYN-ACK the ack is raw: the script writes the peer's ISN + 1.
  assert.equal(compareOutboundTcp(tcpSpec('> S. 0:0(0) ack 1428933'), live({ flags: SYN | ACK, seq: 77, ack: 1428933 }), space, CTX), undefined);
  const fin = buildInboundTcp(tcpSpec('< F. 1:1(0) ack 1 win 100'), space, ENDS, 0, CTX.env);
  assert.ok(fin.ok);
  assert.deepEqual([fin.packet.segment.seq, fin.packet.segment.ack], [1428933, 78]);
  assert.equal(compareOutboundTcp(tcpSpec('> . 1:1(0) ack 2'), live({ flags: ACK, seq: 78, ack: 1428934 }), space, CTX), undefined);
  assert.equal(
    compareOutboundTcp(tcpSpec('> . 1:1(0) ack 2'), live({ flags: ACK, seq: 78, ack: 1428933 }), space, CTX),
    'live packet field tcp_ack_seq: expected: 2 vs actual: 1',
  );
});

test('an active open: an inbound SYN-ACK acks our SYN relative to the script ISN', () => {
  const space = new SeqSpace();
  assert.equal(compareOutboundTcp(tcpSpec('> S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 8>'), live({ flags: SYN, seq: 555, options: LINUX_SYNACK_OPTS }), space, CTX), undefined);
  const sa = buildInboundTcp(tcpSpec('< S. 123:123(0) ack 1 win 14600'), space, ENDS, 0, CTX.env);
  assert.ok(sa.ok);
  assert.deepEqual([sa.packet.segment.seq, sa.packet.segment.ack, space.remoteIsn], [123, 556, 123]);
  // Without the ACK flag the ack field is sent as written.
  const rst = buildInboundTcp(tcpSpec('< R 1:1(0) win 0'), space, ENDS, 0, CTX.env);
  assert.ok(rst.ok);
  assert.deepEqual([rst.packet.segment.seq, rst.packet.segment.ack], [124, 0]);
});

test('flag, ack, window and urgent mismatches name the field (packetdrill wording)', () => {
  const space = new SeqSpace();
  space.learnLocalIsn(100, 0);
  const spec = tcpSpec('> . 1:1(0) ack 1 win 257');
  assert.equal(compareOutboundTcp(spec, live({ flags: 0, seq: 101, ack: 1, window: 257 }), space, CTX), 'live packet field tcp_ack: expected: 1 vs actual: 0');
  assert.equal(compareOutboundTcp(spec, live({ flags: ACK | FIN, seq: 101, ack: 1, window: 257 }), space, CTX), 'live packet field tcp_fin: expected: 0 vs actual: 1');
  assert.equal(compareOutboundTcp(spec, live({ flags: ACK, seq: 102, ack: 1, window: 257 }), space, CTX), 'live packet field tcp_seq: expected: 1 vs actual: 2');
  assert.equal(compareOutboundTcp(spec, live({ flags: ACK, seq: 101, ack: 1, window: 256 }), space, CTX), 'live packet field tcp_window: expected: 257 vs actual: 256');
  // No `win` in the script: the window is not checked.
  assert.equal(compareOutboundTcp(tcpSpec('> . 1:1(0) ack 1'), live({ flags: ACK, seq: 101, ack: 1, window: 1 }), space, CTX), undefined);
  assert.equal(compareOutboundTcp(tcpSpec('> . 1:1(0) ack 1'), live({ flags: ACK, seq: 101, ack: 1, urgent: 5 }), space, CTX), 'live packet field tcp_urg_ptr: expected: 0 vs actual: 5');
  // A segment without ACK must carry the scripted ack field (0).
  assert.equal(compareOutboundTcp(tcpSpec('> R 1:1(0)'), live({ flags: 4, seq: 101, ack: 9 }), space, CTX), 'live packet field tcp_ack_seq: expected: 0 vs actual: 9');
});

test('a connection-less RST is compared with our ISN taken as 0', () => {
  const space = new SeqSpace();
  space.remoteIsn = 0;
  assert.equal(compareOutboundTcp(tcpSpec('> R. 0:0(0) ack 1 win 0'), live({ flags: 4 | ACK, seq: 0, ack: 1, window: 0 }), space, CTX), undefined);
});

test('options: compared in order with NOPs, omitted means none, <...> means any, eol padding', () => {
  const space = new SeqSpace();
  const spec = tcpSpec('> S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 8>');
  const reordered: TcpOption[] = [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'wscale', shift: 8 }];
  assert.equal(
    compareOutboundTcp(spec, live({ flags: SYN, options: reordered }), space, CTX),
    'bad outbound TCP options: expected <mss 1460,nop,nop,sackOK,nop,wscale 8> vs actual <mss 1460,sackOK,nop,nop,nop,wscale 8>',
  );
  const otherMss = [...LINUX_SYNACK_OPTS];
  otherMss[0] = { kind: 'mss', mss: 1000 };
  assert.equal(compareOutboundTcp(spec, live({ flags: SYN, options: otherMss }), space, CTX), 'bad value in outbound TCP option 1: expected: mss 1460 vs actual: mss 1000');
  assert.equal(compareOutboundTcp(tcpSpec('> S 0:0(0) <...>'), live({ flags: SYN, options: reordered }), space, CTX), undefined);
  // No option list: exactly no options (the data offset says so first).
  assert.equal(compareOutboundTcp(tcpSpec('> S 0:0(0)'), live({ flags: SYN, options: reordered }), space, CTX), 'live packet field tcp_data_offset: expected: 5 vs actual: 8');
  // FreeBSD-style <mss,sackOK,eol,eol>: the wire view reports one eol, the rest is padding.
  const bsd: TcpOption[] = [{ kind: 'mss', mss: 1440 }, { kind: 'sackOK' }, { kind: 'eol' }];
  assert.equal(compareOutboundTcp(tcpSpec('> S 0:0(0) <mss 1440,sackOK,eol,eol>'), live({ flags: SYN, options: bsd }), space, CTX), undefined);
});

test('outbound SACK blocks are relative to the peer ISN; inbound ones are offset by ours', () => {
  const space = new SeqSpace();
  space.remoteIsn = 1000;
  space.learnLocalIsn(5000, 0);
  const out = live({ flags: ACK, seq: 5001, ack: 1001, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [{ left: 2001, right: 3001 }] }] });
  assert.equal(compareOutboundTcp(tcpSpec('> . 1:1(0) ack 1 <nop,nop,sack 1001:2001>'), out, space, CTX), undefined);
  assert.equal(
    compareOutboundTcp(tcpSpec('> . 1:1(0) ack 1 <nop,nop,sack 1001:2002>'), out, space, CTX),
    'bad value in outbound TCP option 3: expected: sack 1001:2002 vs actual: sack 1001:2001',
  );
  const inb = buildInboundTcp(tcpSpec('< . 1:1(0) ack 1 win 100 <nop,nop,sack 101:201>'), space, ENDS, 0, CTX.env);
  assert.ok(inb.ok);
  assert.deepEqual(inb.packet.segment.options[2], { kind: 'sack', blocks: [{ left: 5101, right: 5201 }] });
});

test('timestamps: outbound vals are remembered for inbound ecr; ecr never checked; val only with a tick', () => {
  const space = new SeqSpace();
  const ts = (val: number, ecr: number): TcpOption[] => [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val, ecr }];
  space.learnLocalIsn(0, 0);
  assert.equal(compareOutboundTcp(tcpSpec('> . 1:1(0) <nop,nop,TS val 4000 ecr 100>'), live({ flags: ACK, seq: 1, options: ts(987654, 5) }), space, CTX), undefined);
  const inb = buildInboundTcp(tcpSpec('< . 1:1(0) ack 1 win 100 <nop,nop,TS val 110 ecr 4000>'), space, ENDS, 0, CTX.env);
  assert.ok(inb.ok);
  assert.deepEqual(inb.packet.segment.options[2], { kind: 'timestamp', val: 110, ecr: 987654 });
  const unknown = buildInboundTcp(tcpSpec('< . 1:1(0) ack 1 win 100 <nop,nop,TS val 110 ecr 4100>'), space, ENDS, 0, CTX.env);
  assert.deepEqual(unknown, { ok: false, error: 'unable to infer live TS ecr for script TS ecr 4100 (no outbound TS val 4100 seen)' });
  const scaled = buildInboundTcp(tcpSpec('< . 1:1(0) ack 1 win 100 <nop,nop,TS val 110 ecr 4100>'), space, ENDS, 0, env({ tcp_ts_ecr_scaled: '' }));
  assert.ok(scaled.ok);
  assert.deepEqual(scaled.packet.segment.options[2], { kind: 'timestamp', val: 110, ecr: 987754 });
  // A SYN (no ACK bit) sends its ecr as written.
  const syn = buildInboundTcp(tcpSpec('< S 0:0(0) win 100 <nop,nop,TS val 1 ecr 4100>'), space, ENDS, 0, CTX.env);
  assert.ok(syn.ok);
  assert.deepEqual(syn.packet.segment.options[2], { kind: 'timestamp', val: 1, ecr: 4100 });

  // With --tcp_ts_tick_usecs=1000 the val is checked against the first mapping (4000 ↔ 987654).
  const ticked = { env: env({ tcp_ts_tick_usecs: '1000' }), eventTime: 100_000 };
  assert.equal(compareOutboundTcp(tcpSpec('> . 1:1(0) <nop,nop,TS val 4100 ecr 0>'), live({ flags: ACK, seq: 1, options: ts(987754, 9) }), space, ticked), undefined);
  assert.equal(
    compareOutboundTcp(tcpSpec('> . 1:1(0) <nop,nop,TS val 4100 ecr 0>'), live({ flags: ACK, seq: 1, options: ts(987854, 9) }), space, ticked),
    'bad outbound TCP timestamp value: expected 4100 vs actual 4200 (tolerance 12500 usecs)',
  );
  // Without a tick the same packet passes.
  assert.equal(compareOutboundTcp(tcpSpec('> . 1:1(0) <nop,nop,TS val 4100 ecr 0>'), live({ flags: ACK, seq: 1, options: ts(987854, 9) }), space, CTX), undefined);
});

test('payload bytes must be zeros; IP ECN, TOS and TTL are checked when scripted', () => {
  const space = new SeqSpace();
  space.learnLocalIsn(0, 0);
  const data = new Uint8Array(10);
  data[9] = 1;
  assert.equal(compareOutboundTcp(tcpSpec('> P. 1:11(10)'), live({ flags: PSH | ACK, seq: 1, payload: data }), space, CTX), 'incorrect outbound data payload');
  const p = live({ flags: ACK, seq: 1 }, 0, { ip: { family: 4, src: 'a', dst: 'b', tos: 0x22, ttl: 64 } });
  assert.equal(compareOutboundTcp(tcpSpec('> [ect0] . 1:1(0)'), p, space, CTX), undefined);
  assert.equal(compareOutboundTcp(tcpSpec('> [ect01] . 1:1(0)'), p, space, CTX), undefined);
  assert.equal(compareOutboundTcp(tcpSpec('> [ce] . 1:1(0)'), p, space, CTX), 'live packet field ip_ecn: expected: 3 vs actual: 2');
  assert.equal(compareOutboundTcp(tcpSpec('> (tos 0x20) . 1:1(0)'), p, space, CTX), 'live packet field tos: expected: 32 vs actual: 34');
  assert.equal(compareOutboundTcp(tcpSpec('> (ttl 63) . 1:1(0)'), p, space, CTX), 'live packet field ttl: expected: 63 vs actual: 64');
});

test('nplab forms: absolute seq compared raw, ...(len) does not check the seq', () => {
  const space = new SeqSpace();
  space.learnLocalIsn(1000, 0);
  assert.equal(compareOutboundTcp(tcpSpec('> R. 0:0(0)! ack 2 win 0'), live({ flags: 4 | ACK, seq: 0, ack: 2, window: 0 }), space, CTX), undefined);
  assert.equal(compareOutboundTcp(tcpSpec('> R. 0:0(0)! ack 2 win 0'), live({ flags: 4 | ACK, seq: 1000, ack: 2, window: 0 }), space, CTX), 'live packet field tcp_seq: expected: 0 vs actual: 1000');
  assert.equal(compareOutboundTcp(tcpSpec('> S. ...(0) ack 4 win 65535'), live({ flags: SYN | ACK, seq: 424242, ack: 4 }), space, CTX), undefined);
});

test('TSO aggregation: contiguous equal segments join; seq from the first, flags from the last', () => {
  const mk = (seq: number, len: number, flags: number, time: number): LiveTcp => live({ flags, seq, ack: 1, payload: new Uint8Array(len) }, time);
  const agg = aggregate([mk(1, 1000, ACK, 10), mk(1001, 1000, ACK, 11), mk(2001, 500, PSH | ACK, 12)]);
  assert.ok(typeof agg !== 'string');
  assert.deepEqual([agg.segment.seq, agg.segment.payload.length, agg.segment.flags, agg.time], [1, 2500, PSH | ACK, 12]);
  assert.equal(aggregate([mk(1, 1000, ACK, 0), mk(1002, 1000, ACK, 0)]), 'aggregate candidate: sequence numbers not contiguous');
  assert.equal(aggregate([mk(1, 1000, ACK, 0), mk(1001, 500, ACK, 0), mk(1501, 1000, ACK, 0)]), 'aggregate candidate: unequal segment sizes');
  assert.equal(aggregate([mk(1, 1000, ACK | FIN, 0), mk(1001, 1000, ACK, 0)]), 'aggregate candidate: data after FIN');
  const space = new SeqSpace();
  space.learnLocalIsn(0, 0);
  assert.equal(compareOutboundTcp(tcpSpec('> P. 1:2501(2500) ack 1'), agg, space, CTX), undefined);
});

test('timing: ±max(tolerance_usecs, tolerance_percent × gap), ranges, and *', () => {
  const e = CTX.env;
  // A 10 ms gap: 12.5 % of it is less than the 4 ms floor.
  assert.equal(checkTime('outbound packet', { kind: 'point', at: 100_000 }, 104_000, 90_000, e), undefined);
  assert.equal(checkTime('outbound packet', { kind: 'point', at: 100_000 }, 96_000, 90_000, e), undefined);
  assert.equal(
    checkTime('outbound packet', { kind: 'point', at: 100_000 }, 104_001, 90_000, e),
    'timing error: expected outbound packet at 0.100000 sec but happened at 0.104001 sec; tolerance 0.004000 sec',
  );
  assert.match(checkTime('outbound packet', { kind: 'point', at: 100_000 }, 95_999, 90_000, e) ?? '', /happened at 0\.095999 sec/);
  // 12.5 % of a 1 s gap = 125 ms of slack.
  assert.equal(checkTime('outbound packet', { kind: 'point', at: 1_000_000 }, 1_120_000, 0, e), undefined);
  assert.equal(
    checkTime('outbound packet', { kind: 'point', at: 1_000_000 }, 1_130_000, 0, e),
    'timing error: expected outbound packet at 1.000000 sec but happened at 1.130000 sec; tolerance 0.125000 sec',
  );
  assert.equal(checkTime('outbound packet', { kind: 'range', start: 100_000, end: 300_000 }, 302_000, 90_000, e), undefined);
  assert.equal(
    checkTime('outbound packet', { kind: 'range', start: 100_000, end: 300_000 }, 305_000, 90_000, e),
    'timing error: expected outbound packet in time range 0.100000~0.300000 sec but happened at 0.305000 sec',
  );
  assert.equal(checkTime('outbound packet', { kind: 'any' }, 9e9, 0, e), undefined);
});

test('ICMP: names to numbers per family; inbound quotes our seq; outbound checks type and code', () => {
  assert.deepEqual(icmpNumbers(4, 'unreachable', 'frag_needed'), { type: 3, code: 4 });
  assert.deepEqual(icmpNumbers(6, 'packet_too_big', undefined), { type: 2, code: 0 });
  assert.deepEqual(icmpNumbers(6, 'unreachable', 'port_unreachable'), { type: 1, code: 4 });
  assert.deepEqual(icmpNumbers(4, 'time_exceeded', 'ttl_exceeded_in_transit'), { type: 11, code: 0 });
  assert.equal(icmpNumbers(4, 'unreachable', 'bogus'), 'bad ICMP code bogus for type unreachable');
  assert.equal(icmpNumbers(6, 'redirect', undefined), 'bad ICMPv6 type redirect');
  const space = new SeqSpace();
  space.learnLocalIsn(7000, 0);
  const b = buildInboundIcmp(pkt('< icmp unreachable frag_needed mtu 1200 [1:1461(1460)]') as IcmpPacketSpec, space, ENDS, 5);
  assert.ok(b.ok);
  assert.deepEqual([b.packet.type, b.packet.code, b.packet.mtu, b.packet.quote], [3, 4, 1200, { protocol: 6, srcPort: 8080, dstPort: 40000, seq: 7001, payloadLength: 1460 }]);
  const out = { protocol: 'icmp' as const, time: 0, ip: { family: 4 as const, src: 'a', dst: 'b', tos: 0, ttl: 64 }, type: 3, code: 3 };
  assert.equal(compareOutboundIcmp(pkt('> icmp unreachable port_unreachable') as IcmpPacketSpec, out), undefined);
  assert.equal(compareOutboundIcmp(pkt('> icmp unreachable host_unreachable') as IcmpPacketSpec, out), 'live packet field icmp_code: expected: 1 vs actual: 3');
});
