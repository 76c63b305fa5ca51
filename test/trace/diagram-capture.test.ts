// Ladders drawn from the kernel-made captures: connections found, peers
// ordered (A sent the first SYN), states inferred from the segments. The
// expected ladders were written from the tcpdump text of each capture
// (test/fixtures/kernel/*.nn.out: relative numbers + 100 for A, + 300 for B).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { readCapture } from '../../src/trace/read-capture.js';
import {
  eventsFromCapture,
  eventsFromFlow,
  ladderText,
  tcpFlows,
  type FlowPacket,
  type LadderEvent,
  type TcpFlow,
} from '../../src/trace/diagram/index.js';
import { ACK, FIN, PSH, RST, SYN } from '../../src/wire/tcp-types.js';

const FIX = join(REPO_ROOT, 'test', 'fixtures', 'kernel');

function capture(name: string): ReturnType<typeof readCapture> {
  return readCapture(readFileSync(join(FIX, `${name}.pcap`)));
}

function ladder(name: string, isn: 'rfc' | 'asSeen'): string {
  const cap = capture(name);
  return ladderText(eventsFromCapture(cap.records, cap.linktype), { isn, blankLines: false });
}

const HTTP_CURL = [
  '     TCP Peer A                                            TCP Peer B',
  '',
  '1.   CLOSED                                                LISTEN',
  '2.   SYN-SENT    --> <SEQ=100><CTL=SYN>                --> SYN-RECEIVED',
  '3.   ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK>   <-- SYN-RECEIVED',
  '4.   ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK>       --> ESTABLISHED',
  '5.   ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK><DATA> --> ESTABLISHED',
  '6.   ESTABLISHED <-- <SEQ=301><ACK=184><CTL=ACK>       <-- ESTABLISHED',
  '7.   ESTABLISHED <-- <SEQ=301><ACK=184><CTL=ACK><DATA> <-- ESTABLISHED',
  '8.   ESTABLISHED --> <SEQ=184><ACK=486><CTL=ACK>       --> ESTABLISHED',
  '9.   ESTABLISHED <-- <SEQ=486><ACK=184><CTL=ACK><DATA> <-- ESTABLISHED',
  '10.  ESTABLISHED --> <SEQ=184><ACK=527><CTL=ACK>       --> ESTABLISHED',
  '11.  ESTABLISHED <-- <SEQ=527><ACK=184><CTL=FIN,ACK>   <-- FIN-WAIT-1',
  '12.  FIN-WAIT-1  --> <SEQ=184><ACK=527><CTL=FIN,ACK>   --> CLOSING',
  '13.  FIN-WAIT-2  <-- <SEQ=528><ACK=185><CTL=ACK>       <-- CLOSING',
  '14.  TIME-WAIT   --> <SEQ=185><ACK=528><CTL=ACK>       --> TIME-WAIT',
  '',
].join('\n');

test('http-curl: handshake, request, response; the two FINs cross (A\'s FIN,ACK does not acknowledge B\'s FIN)', () => {
  assert.equal(ladder('http-curl', 'rfc'), HTTP_CURL);
});

const IPV6_CURL = [
  '     TCP Peer A                                            TCP Peer B',
  '',
  '1.   CLOSED                                                LISTEN',
  '2.   SYN-SENT    --> <SEQ=100><CTL=SYN>                --> SYN-RECEIVED',
  '3.   ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK>   <-- SYN-RECEIVED',
  '4.   ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK>       --> ESTABLISHED',
  '5.   ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK><DATA> --> ESTABLISHED',
  '6.   ESTABLISHED <-- <SEQ=301><ACK=192><CTL=ACK>       <-- ESTABLISHED',
  '7.   ESTABLISHED <-- <SEQ=301><ACK=192><CTL=ACK><DATA> <-- ESTABLISHED',
  '8.   ESTABLISHED --> <SEQ=192><ACK=486><CTL=ACK>       --> ESTABLISHED',
  '9.   ESTABLISHED <-- <SEQ=486><ACK=192><CTL=ACK><DATA> <-- ESTABLISHED',
  '10.  ESTABLISHED --> <SEQ=192><ACK=527><CTL=ACK>       --> ESTABLISHED',
  '11.  CLOSE-WAIT  <-- <SEQ=527><ACK=192><CTL=FIN,ACK>   <-- FIN-WAIT-1',
  '12.  LAST-ACK    --> <SEQ=192><ACK=528><CTL=FIN,ACK>   --> TIME-WAIT',
  '13.  CLOSED      <-- <SEQ=528><ACK=193><CTL=ACK>       <-- TIME-WAIT',
  '',
].join('\n');

test('ipv6-curl: an ordinary close (A acknowledges B\'s FIN with its own), IPv6 addresses decoded', () => {
  assert.equal(ladder('ipv6-curl', 'rfc'), IPV6_CURL);
  const cap = capture('ipv6-curl');
  const { flows } = tcpFlows(cap.records, cap.linktype);
  assert.equal(flows.length, 1);
  assert.deepEqual([flows[0]!.ipVersion, flows[0]!.a, flows[0]!.b], [6, { addr: 'fd00:99::1', port: 34352 }, { addr: 'fd00:99::2', port: 8000 }]);
});

const REFUSED = [
  '    TCP Peer A                                            TCP Peer B',
  '',
  '1.  CLOSED                                                CLOSED',
  '2.  SYN-SENT --> <SEQ=1309920157><CTL=SYN>            --> CLOSED',
  '3.  CLOSED   <-- <SEQ=0><ACK=1309920158><CTL=RST,ACK> <-- CLOSED',
  '',
].join('\n');

test('refused: nobody listens on B (CLOSED), its RST,ACK acknowledges the SYN and closes A; numbers as seen', () => {
  assert.equal(ladder('refused', 'asSeen'), REFUSED);
});

/** TCP lines of a tcpdump text file, with their direction, flags and lengths. */
function tcpdumpLines(name: string): { src: string; flags: string; len: number; seq?: [number, number]; sack: number }[] {
  const out: { src: string; flags: string; len: number; seq?: [number, number]; sack: number }[] = [];
  for (const line of readFileSync(join(FIX, `${name}.nn.out`), 'latin1').split('\n')) {
    const m = /^\S+ IP6? (\S+) > \S+: Flags \[([^\]]*)\]/.exec(line);
    if (m === null) continue;
    const len = /length (\d+)/.exec(line);
    const seq = /seq (\d+):(\d+)/.exec(line);
    const sack = /sack (\d+) \{/.exec(line);
    out.push({
      src: m[1]!,
      flags: m[2]!,
      len: Number(len?.[1] ?? 0),
      seq: seq === null ? undefined : [Number(seq[1]), Number(seq[2])],
      sack: Number(sack?.[1] ?? 0),
    });
  }
  return out;
}

test('sack-loss: one connection of every TCP packet in the capture, one ladder line each', () => {
  const cap = capture('sack-loss');
  const lines = tcpdumpLines('sack-loss');
  const { flows } = tcpFlows(cap.records, cap.linktype);
  assert.equal(flows.length, 1);
  const flow = flows[0]!;
  assert.equal(flow.packets.length, lines.length);
  // Direction and payload length of every packet agree with tcpdump's.
  assert.deepEqual(
    flow.packets.map((p) => [p.from === 'A' ? '10.99.0.1.44502' : '10.99.0.2.8000', p.len]),
    lines.map((l) => [l.src, l.len]),
  );
  assert.deepEqual(flow.wscale, { A: 10, B: 10 });
  const text = ladder('sack-loss', 'rfc').trimEnd().split('\n');
  const numbered = text.filter((l) => /^\d+\./.test(l));
  assert.equal(numbered.length, lines.length + 1);
  // The client closes first once it has everything (600204 bytes: 300 + 600205 is B's FIN).
  assert.deepEqual(numbered.slice(-3), [
    '729.  FIN-WAIT-1  --> <SEQ=186><ACK=600505><CTL=FIN,ACK>   --> CLOSE-WAIT',
    '730.  TIME-WAIT   <-- <SEQ=600505><ACK=187><CTL=FIN,ACK>   <-- LAST-ACK',
    '731.  TIME-WAIT   --> <SEQ=187><ACK=600506><CTL=ACK>       --> CLOSED',
  ]);
});

test('a capture without TCP (or a connection number past the last) gives no events', () => {
  const cap = capture('http-curl');
  const icmpOnly = cap.records.filter((_, i) => i < 5);
  assert.deepEqual(eventsFromCapture(icmpOnly, cap.linktype), []);
  assert.deepEqual(eventsFromCapture(cap.records, cap.linktype, { conn: 2 }), []);
  assert.equal(tcpFlows(icmpOnly, cap.linktype).skipped, 5);
});

test('records cut short (snaplen) still give the payload length from the IP header', () => {
  const cap = capture('http-curl');
  // Ethernet (14) + IPv4 (20) + TCP with options (at most 40 on these SYNs) fits in 80 bytes.
  assert.equal(cap.linktype, 1);
  const cut = cap.records.map((r) => ({ ...r, data: r.data.subarray(0, Math.min(r.data.length, 80)) }));
  const full = tcpFlows(cap.records, cap.linktype).flows[0]!.packets.map((p) => p.len);
  const short = tcpFlows(cut, cap.linktype).flows[0]!.packets.map((p) => p.len);
  assert.deepEqual(short, full);
  assert.ok(full.includes(83) && full.includes(185) && full.includes(41));
});

// Hand-made connections for the state inference.
function flowOf(packets: [side: 'A' | 'B', seq: number, ack: number, flags: number, len?: number][]): TcpFlow {
  return {
    id: 1,
    ipVersion: 4,
    a: { addr: '192.0.2.1', port: 1000 },
    b: { addr: '192.0.2.2', port: 2000 },
    wscale: { A: undefined, B: undefined },
    packets: packets.map(([from, seq, ack, flags, len], i): FlowPacket => ({
      record: i,
      t: 1000 * i,
      from,
      seq,
      ack,
      flags,
      window: 1000,
      len: len ?? 0,
      options: [],
    })),
  };
}

function states(events: LadderEvent[]): string[] {
  return events.filter((e) => e.kind === 'state').map((e) => (e.kind === 'state' ? `${e.side}:${e.state}@${e.t / 1000}` : ''));
}

// Seen from one point, B's SYN shows that A's SYN had not reached B yet; A's
// SYN,ACK then reaches B in SYN-SENT and acknowledges its SYN, which takes B
// straight to ESTABLISHED (RFC 9293 §3.10.7.3).
test('inference: simultaneous open (each side sends its SYN before seeing the other\'s)', () => {
  const flow = flowOf([
    ['A', 100, 0, SYN],
    ['B', 300, 0, SYN],
    ['A', 100, 301, SYN | ACK],
    ['B', 300, 101, SYN | ACK],
  ]);
  assert.deepEqual(states(eventsFromFlow(flow)), [
    'A:CLOSED@0',
    'B:CLOSED@0',
    'A:SYN-SENT@0',
    'A:SYN-RECEIVED@1',
    'B:SYN-SENT@1',
    'B:ESTABLISHED@2',
    'A:ESTABLISHED@3',
  ]);
});

test('inference: a RST answering a SYN,ACK sends a passive open back to LISTEN (RFC 9293 §3.10.7.4)', () => {
  const flow = flowOf([
    ['A', 100, 0, SYN],
    ['B', 300, 101, SYN | ACK],
    ['A', 101, 0, RST],
  ]);
  assert.deepEqual(states(eventsFromFlow(flow)), ['A:CLOSED@0', 'B:LISTEN@0', 'A:SYN-SENT@0', 'B:SYN-RECEIVED@0', 'A:ESTABLISHED@1', 'A:CLOSED@2', 'B:LISTEN@2']);
});

test('inference: a RST in SYN-SENT that does not acknowledge the SYN is ignored (RFC 9293 §3.10.7.3)', () => {
  const flow = flowOf([
    ['A', 100, 0, SYN],
    ['B', 0, 555, RST | ACK],
  ]);
  assert.deepEqual(states(eventsFromFlow(flow)), ['A:CLOSED@0', 'B:CLOSED@0', 'A:SYN-SENT@0']);
});

test('inference: a capture that starts mid-connection takes both sides as ESTABLISHED; half-close to CLOSED', () => {
  const flow = flowOf([
    ['A', 500, 900, ACK | PSH, 10],
    ['B', 900, 510, ACK],
    ['B', 900, 510, FIN | ACK],
    ['A', 510, 901, ACK],
    ['A', 510, 901, ACK | PSH, 5],
    ['B', 901, 515, ACK],
    ['A', 515, 901, FIN | ACK],
    ['B', 901, 516, ACK],
  ]);
  assert.deepEqual(states(eventsFromFlow(flow)), [
    'A:ESTABLISHED@0',
    'B:ESTABLISHED@0',
    'A:CLOSE-WAIT@2',
    'B:FIN-WAIT-1@2',
    'B:FIN-WAIT-2@3',
    'A:LAST-ACK@6',
    'B:TIME-WAIT@6',
    'A:CLOSED@7',
  ]);
});
