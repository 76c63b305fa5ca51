// The time-sequence graph: what it computes (retransmissions, ACK and window
// lines, SACK blocks, RTT samples, throughput) and what it draws.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { readCapture } from '../../src/trace/read-capture.js';
import { tcpFlows } from '../../src/trace/diagram/index.js';
import {
  analyze,
  graphsSvg,
  parseCwndJson,
  throughput,
  timeSequenceSvg,
  tsgInputFromEvents,
  tsgInputFromFlow,
  type TsgSegment,
} from '../../src/trace/graph/index.js';
import { fmtDuration, niceTicks } from '../../src/trace/graph/svg.js';
import { ACK, FIN, SYN } from '../../src/wire/tcp-types.js';
import { byClass, parseXml } from './diagram-xml.js';
import { seg } from './diagram-figures.js';

const FIX = join(REPO_ROOT, 'test', 'fixtures', 'kernel');

function s(t: number, from: 'A' | 'B', seq: number, ack: number, flags: number, len = 0, extra: Partial<TsgSegment> = {}): TsgSegment {
  return { t, from, seq, ack, flags, len, window: 100, ...extra };
}

// A sends 4 segments of 100 bytes from ISN 1000; the second is lost and sent again.
const TRANSFER: TsgSegment[] = [
  s(0, 'A', 1000, 0, SYN),
  s(10, 'B', 5000, 1001, SYN | ACK),
  s(20, 'A', 1001, 5001, ACK, 100),
  s(21, 'A', 1101, 5001, ACK, 100),
  s(22, 'A', 1201, 5001, ACK, 100),
  s(23, 'A', 1301, 5001, ACK, 100),
  s(30, 'B', 5001, 1101, ACK),
  s(32, 'B', 5001, 1101, ACK, 0, { sack: [{ left: 1201, right: 1301 }] }),
  s(33, 'B', 5001, 1101, ACK, 0, { sack: [{ left: 1201, right: 1401 }] }),
  s(40, 'A', 1101, 5001, ACK, 100),
  s(55, 'B', 5001, 1401, ACK),
  s(60, 'A', 1401, 5001, FIN | ACK),
  s(70, 'B', 5001, 1402, ACK),
];

test('analysis: sequence numbers relative to the sender\'s ISN, the resend marked, SACK blocks kept', () => {
  const a = analyze({ segments: TRANSFER });
  assert.equal(a.sender, 'A');
  assert.equal(a.base, 1000);
  assert.deepEqual(
    a.data.map((d) => [d.t, d.start, d.end, d.retransmission]),
    [
      [0, 0, 1, false],
      [20, 1, 101, false],
      [21, 101, 201, false],
      [22, 201, 301, false],
      [23, 301, 401, false],
      [40, 101, 201, true],
      [60, 401, 402, false],
    ],
  );
  assert.equal(a.retransmissions, 1);
  assert.deepEqual(a.sacks, [
    { t: 32, start: 201, end: 301 },
    { t: 33, start: 201, end: 401 },
  ]);
  assert.deepEqual(
    a.acks.map((k) => [k.t, k.ack]),
    [
      [10, 1],
      [30, 101],
      [32, 101],
      [33, 101],
      [55, 401],
      [70, 402],
    ],
  );
  assert.equal(a.bytesSent, 500);
  assert.equal(a.bytesAcked, 402);
});

test('analysis: RTT samples follow Karn (none for data sent twice); a cumulative ACK samples its newest segment', () => {
  const a = analyze({ segments: TRANSFER });
  // SYN (0 -> 10), first data segment (20 -> 30); the ACK at 55 covers 101..401, whose
  // newest segment (sent at 23) was sent once but the resent range makes 101..201 ambiguous only;
  // the sample is taken for the segment ending at 401: 55 - 23.
  // FIN: 60 -> 70.
  assert.deepEqual(a.rtt, [
    { t: 10, rtt: 10 },
    { t: 30, rtt: 10 },
    { t: 55, rtt: 32 },
    { t: 70, rtt: 10 },
  ]);
  // An ACK that exactly covers a resent segment gives no sample.
  const b = analyze({
    segments: [s(0, 'A', 0, 0, ACK, 10), s(50, 'A', 0, 0, ACK, 10), s(60, 'B', 0, 10, ACK)],
  });
  assert.deepEqual(b.rtt, []);
});

test('analysis: the window edge is ack + window << the receiver\'s shift, only when both peers offered scaling', () => {
  const segs = [s(0, 'A', 0, 0, SYN), s(1, 'B', 0, 1, SYN | ACK, 0, { window: 65535 }), s(2, 'A', 1, 1, ACK, 10), s(3, 'B', 1, 11, ACK, 0, { window: 64 })];
  const both = analyze({ segments: segs, wscale: { A: 7, B: 10 } });
  // The SYN,ACK's window is never scaled (RFC 7323 §2.2).
  assert.deepEqual(both.acks.map((k) => k.win), [1 + 65535, 11 + 64 * 1024]);
  const one = analyze({ segments: segs, wscale: { A: undefined, B: 10 } });
  assert.deepEqual(one.acks.map((k) => k.win), [1 + 65535, 11 + 64]);
});

test('analysis: the data sender is the side with more payload unless given', () => {
  const segs = [s(0, 'A', 0, 0, ACK, 10), s(1, 'B', 0, 10, ACK, 500), s(2, 'A', 10, 500, ACK)];
  assert.equal(analyze({ segments: segs }).sender, 'B');
  assert.equal(analyze({ segments: segs, sender: 'A' }).sender, 'A');
});

test('analysis: sequence numbers wrapping past 2^32 stay continuous', () => {
  const base = 2 ** 32 - 150;
  const a = analyze({ segments: [s(0, 'A', base, 0, ACK, 100), s(1, 'A', base + 100, 0, ACK, 100), s(2, 'B', 0, (base + 200) % 2 ** 32, ACK)] });
  assert.deepEqual(a.data.map((d) => [d.start, d.end]), [[0, 100], [100, 200]]);
  assert.equal(a.acks[0]!.ack, 200);
});

test('throughput: every byte sent and acknowledged is counted once across the intervals', () => {
  const a = analyze({ segments: TRANSFER });
  const buckets = throughput(a, 7);
  assert.equal(buckets.length, 7);
  const bits = (key: 'sentBps' | 'ackedBps'): number => buckets.reduce((sum, b) => sum + (b[key] * (b.t1 - b.t0)) / 1e6, 0);
  assert.ok(Math.abs(bits('sentBps') - 500 * 8) < 1e-6);
  // Acknowledged: 402 sequence numbers, SYN and FIN included.
  assert.ok(Math.abs(bits('ackedBps') - 402 * 8) < 1e-6);
});

/** The TCP lines of a tcpdump text file. */
function tcpdumpTcp(name: string): string[] {
  return readFileSync(join(FIX, `${name}.nn.out`), 'latin1')
    .split('\n')
    .filter((l) => / Flags \[/.test(l));
}

test('sack-loss: retransmissions, SACK blocks, bytes and the last ACK agree with tcpdump\'s text of the capture', () => {
  const cap = readCapture(readFileSync(join(FIX, 'sack-loss.pcap')));
  const { flows, t0 } = tcpFlows(cap.records, cap.linktype);
  const a = analyze(tsgInputFromFlow(flows[0]!, t0));
  assert.equal(a.sender, 'B');
  // From tcpdump -nn: B's segments (relative seq a:b), a resend being one that starts below the highest end so far.
  let high = 0;
  let resent = 0;
  let sent = 0;
  let sackBlocks = 0;
  let lastAck = 0;
  for (const line of tcpdumpTcp('sack-loss')) {
    const fromB = line.includes(' 10.99.0.2.8000 > ');
    const range = /seq (\d+):(\d+)/.exec(line);
    if (fromB && range !== null) {
      const [x, y] = [Number(range[1]), Number(range[2])];
      if (x < high) resent++;
      high = Math.max(high, y);
      sent += y - x;
    }
    if (!fromB) {
      const sack = /sack (\d+) \{/.exec(line);
      if (sack !== null) sackBlocks += Number(sack[1]);
      const ack = /ack (\d+)/.exec(line);
      if (ack !== null) lastAck = Math.max(lastAck, Number(ack[1]));
    }
  }
  assert.ok(resent > 0 && sackBlocks > 0);
  assert.equal(a.retransmissions, resent);
  assert.equal(a.sacks.length, sackBlocks);
  assert.equal(a.bytesSent, sent);
  assert.equal(a.bytesAcked, lastAck);
  assert.ok(a.rtt.length > 0);
});

test('SVG: the plots and their lines, retransmissions drawn apart; cwnd only with samples, unset ssthresh left out', () => {
  const cap = readCapture(readFileSync(join(FIX, 'sack-loss.pcap')));
  const { flows, t0 } = tcpFlows(cap.records, cap.linktype);
  const input = tsgInputFromFlow(flows[0]!, t0);
  const svg = parseXml(timeSequenceSvg(input));
  for (const cls of ['tsg', 'rtt', 'throughput', 'data', 'retrans', 'ack-line', 'win-line', 'sack', 'rtt-samples', 'sent-rate', 'acked-rate']) {
    assert.equal(byClass(svg, cls).length, 1, cls);
  }
  assert.equal(byClass(svg, 'cwnd').length, 0);
  // One I-bar (three subpaths) per resent segment.
  const retrans = byClass(svg, 'retrans')[0]!.attrs['d']!;
  assert.equal((retrans.match(/M/g) ?? []).length, 3 * analyze(input).retransmissions);

  const withCwnd = parseXml(
    timeSequenceSvg({
      ...input,
      cwnd: [
        { t: 0, cwnd: 14480, ssthresh: 2147483647 },
        { t: 8000, cwnd: 60000 },
        { t: 9000, cwnd: 30000, ssthresh: 30000 },
        { t: 12000, cwnd: 31448, ssthresh: 30000 },
      ],
    }),
  );
  assert.equal(byClass(withCwnd, 'cwnd-line').length, 1);
  const ss = byClass(withCwnd, 'ssthresh-line')[0]!.attrs['d']!;
  // Two finite ssthresh samples: a start and one step, nothing at the unset 2^31 - 1.
  assert.equal((ss.match(/V/g) ?? []).length, 1);
});

test('graphs of several connections stack in one document with distinct clip ids', () => {
  const input = { segments: TRANSFER };
  const doc = graphsSvg([input, input]);
  const svg = parseXml(doc);
  assert.equal(byClass(svg, 'connection').length, 2);
  const ids = doc.match(/<clipPath id="[^"]+"/g) ?? [];
  assert.equal(new Set(ids).size, 2);
  assert.match(graphsSvg([]), /no TCP connection/);
});

test('graph input from ladder events: seen at the sender, lost data kept and marked, lost ACKs left out', () => {
  const events = [
    seg('A', 0, 0, ACK, 0, 100, 10),
    seg('A', 10, 0, ACK, 1, undefined, 10),
    seg('B', 0, 10, ACK, 100, 200),
    seg('B', 0, 10, ACK, 101, undefined),
    seg('A', 10, 0, ACK, 300, 400, 10),
  ];
  const input = tsgInputFromEvents(events);
  assert.equal(input.sender, 'A');
  assert.deepEqual(
    input.segments.map((x) => [x.from, x.t, x.lost]),
    [
      ['A', 0, false],
      ['A', 1, true],
      ['B', 200, false],
      ['B', 101, true],
      ['A', 300, false],
    ],
  );
  const a = analyze(input);
  assert.deepEqual(a.data.map((d) => [d.lost, d.retransmission]), [[false, false], [true, false], [false, true]]);
  assert.equal(a.acks.length, 1);
});

test('cwnd side channel: samples parsed, every kind of bad input named', () => {
  assert.deepEqual(parseCwndJson('[{"t": 5, "cwnd": 10, "ssthresh": null}, {"t": 6, "cwnd": 20}]'), {
    ok: true,
    samples: [
      { t: 5, cwnd: 10, ssthresh: null },
      { t: 6, cwnd: 20 },
    ],
  });
  const err = (text: string): string => {
    const r = parseCwndJson(text);
    assert.equal(r.ok, false);
    return r.ok ? '' : r.error;
  };
  assert.match(err('{'), /^not JSON/);
  assert.match(err('{"t": 1}'), /expected an array/);
  assert.match(err('[3]'), /sample 0: not an object/);
  assert.match(err('[{"cwnd": 1}]'), /sample 0: 't' is not a finite number/);
  assert.match(err('[{"t": 1, "cwnd": 1}, {"t": 2, "cwnd": -1}]'), /sample 1: 'cwnd'/);
  assert.match(err('[{"t": 1, "cwnd": 1, "ssthresh": "x"}]'), /'ssthresh' is neither/);
});

test('axis helpers: round ticks and readable durations', () => {
  assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(3, 27, 3), [10, 20]);
  assert.deepEqual(niceTicks(0.1, 0.35, 5), [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
  assert.equal(fmtDuration(850), '850 µs');
  assert.equal(fmtDuration(12_345), '12.345 ms');
  assert.equal(fmtDuration(1_500_000), '1.5 s');
  assert.equal(fmtDuration(2_000), '2 ms');
});

test('timeSequenceSvg takes ladder events as they are', () => {
  const events = [seg('A', 0, 0, ACK, 0, 100, 10), seg('B', 0, 10, ACK, 100, 200), seg('A', 10, 0, ACK, 300, 400, 10)];
  const svg = parseXml(timeSequenceSvg(events));
  const d = byClass(svg, 'data')[0]!.attrs['d']!;
  assert.equal((d.match(/M/g) ?? []).length, 6);
  assert.equal(byClass(svg, 'ack-line').length, 1);
});
